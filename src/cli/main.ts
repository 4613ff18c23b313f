#!/usr/bin/env node
// yargs declarations only: each command calls one function and exits with the code it returns.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { setColourMode } from './colour.js';
import { GLOBAL_OPTIONS, OPTIONS } from './options.js';
import { checkPartition } from './partition.js';
import { MAX_SHARDS } from '../checker/explicit/wasmsearch.js';
import { rerunWithoutTrapHandler } from './trapless.js';
import { unknownArgument } from './unknown.js';

/**
 * A command's module, loaded when the command runs: start-up reads only what the command given needs (the language
 * server's and the kernels' libraries are not loaded for a check).
 */
function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<number>>): (...args: A) => Promise<number> {
  return async (...args) => (await load())(...args);
}
const checkCommand = lazy(async () => (await import('./commands/check.js')).checkCommand);
const conformCommand = lazy(async () => (await import('./commands/conform.js')).conformCommand);
const exploreCommand = lazy(async () => (await import('./commands/explore.js')).exploreCommand);
const exportCommand = lazy(async () => (await import('./commands/export.js')).exportCommand);
const gateCommand = lazy(async () => (await import('./commands/gate.js')).gateCommand);
const initCommand = lazy(async () => (await import('./commands/init.js')).initCommand);
const kernelQemuCommand = lazy(async () => (await import('./commands/kernel.js')).kernelQemuCommand);
const kernelRunCommand = lazy(async () => (await import('./commands/kernel.js')).kernelRunCommand);
const lspCommand = lazy(async () => (await import('./commands/lsp.js')).lspCommand);
const mergeCommand = lazy(async () => (await import('./commands/merge.js')).mergeCommand);
const parseCommand = lazy(async () => (await import('./commands/parse.js')).parseCommand);
const propertiesCommand = lazy(async () => (await import('./commands/properties.js')).propertiesCommand);
const replayCommand = lazy(async () => (await import('./commands/replay.js')).replayCommand);
const simulateCommand = lazy(async () => (await import('./commands/simulate.js')).simulateCommand);

const NUMERIC = ['max-depth', 'max-states', 'max-memory', 'timeout', 'seed', 'cycles', 'steps', 'cpus', 'events', 'hold', 'workers', 'checkpoint-every'] as const;

function checkNumbers(argv: Record<string, unknown>): true {
  for (const name of NUMERIC) {
    const value = argv[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
      throw new Error(`--${name} needs a non-negative whole number`);
    }
  }
  return true;
}

/** A random path is printed whole, with every state: a longer one would take minutes and gigabytes. */
const MAX_SIMULATE_STEPS = 100_000;

function atMost(argv: Record<string, unknown>, name: string, max: number): true {
  const value = argv[name];
  if (typeof value === 'number' && value > max) throw new Error(`--${name} is at most ${max}`);
  return true;
}

function between(argv: Record<string, unknown>, name: string, min: number, max: number): true {
  const value = argv[name];
  if (typeof value === 'number' && (value < min || value > max)) throw new Error(`--${name} is between ${min} and ${max}`);
  return true;
}

function run(code: Promise<number>): void {
  code.then(
    (exit) => {
      process.exitCode = exit;
    },
    (error: unknown) => {
      process.stderr.write(`schedcheck: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 4;
    },
  );
}

function usageError(message: string): never {
  process.stderr.write(`schedcheck: ${message}\nRun 'schedcheck --help' for usage.\n`);
  process.exit(2);
}

/** yargs's help text object, which it keeps for a later showHelp() (yargs's internals: absent, nothing changes). */
type UsageInternals = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };

export function buildCli(argv: string[]): Argv {
  const cli = yargs(argv);
  // Once a command's handler has started, yargs renders the whole help text and keeps it for a later showHelp(),
  // which this command line never calls (bad usage gets a line of its own, `--help` renders it anew): about 25 ms
  // of a check's 0.25 s start-up, spent while the command's module loads.
  const usage = (cli as unknown as UsageInternals).getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage !== undefined) usage.cacheHelpMessage = () => {};
  return cli
    .scriptName('schedcheck')
    .usage('$0 <command> [options]')
    .options(GLOBAL_OPTIONS)
    .middleware((a) => setColourMode(a.color))
    .command(
      'check <models..>',
      'check properties of one or more models',
      (y) =>
        y
          .positional('models', { type: 'string', array: true, describe: 'model files (.sched), one or more' })
          .default('models', undefined)
          .options(OPTIONS.check)
          .check(checkNumbers)
          .check((a) => between(a, 'workers', 1, MAX_SHARDS))
          .check(checkPartition('swarm')),
      (a) =>
        run(
          checkCommand({
            models: a.models ?? [],
            property: a.property,
            engine: a.engine,
            set: a.set,
            maxDepth: a['max-depth'],
            maxStates: a['max-states'],
            maxMemory: a['max-memory'],
            timeout: a.timeout,
            hashCompaction: a['hash-compaction'],
            symmetry: a.symmetry,
            workers: a.workers,
            checkpoint: a.checkpoint,
            checkpointEvery: a['checkpoint-every'],
            spillDir: a['spill-dir'],
            resume: a.resume,
            learnFrom: a['learn-from'],
            pdr: a.pdr,
            format: a.format,
            expect: a.expect,
            output: a.output,
            junit: a.junit,
            sarif: a.sarif,
            trace: a.trace,
            dot: a.dot,
            svg: a.svg,
            html: a.html,
            swarm: a.swarm,
          }),
        ),
    )
    .command('properties', 'list the property ids and what violates each', (y) => y, () => run(propertiesCommand()))
    .command(
      'init [file]',
      'write a commented starter model that checks clean',
      (y) =>
        y
          .positional('file', { type: 'string', default: 'model.sched', describe: 'the model file to write (never overwritten)' })
          .options(OPTIONS.init)
          .check(checkNumbers)
          .check((a) => {
            if (a.cpus < 1 || a.cpus > 32) throw new Error('--cpus needs a number of CPUs from 1 to 32');
            return true;
          }),
      (a) => run(initCommand({ file: a.file, arch: a.arch, cpus: a.cpus })),
    )
    .command(
      'parse <model>',
      'check a model for errors; print its IR with --ir',
      (y) => y.positional('model', { type: 'string', demandOption: true, describe: 'model file (.sched)' }).options(OPTIONS.parse),
      (a) => run(parseCommand({ model: a.model, ir: a.ir, set: a.set })),
    )
    .command(
      'explore <model>',
      'draw the whole state graph of a small model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: 'model file (.sched)' })
          .options(OPTIONS.explore)
          .check(checkNumbers),
      (a) =>
        run(exploreCommand({ model: a.model, set: a.set, dot: a.dot, svg: a.svg, property: a.property, maxStates: a['max-states'] })),
    )
    .command(
      'simulate <model>',
      'run one random path of a model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: 'model file (.sched)' })
          .options(OPTIONS.simulate)
          .check((argv) => checkNumbers(argv) && atMost(argv, 'steps', MAX_SIMULATE_STEPS)),
      (a) => run(simulateCommand({ model: a.model, set: a.set, seed: a.seed, steps: a.steps, storms: a.storms })),
    )
    .command(
      'export <trace>',
      'draw a saved ITF counterexample again',
      (y) =>
        y
          .positional('trace', { type: 'string', demandOption: true, describe: 'counterexample written by check --trace (.itf.json)' })
          .options(OPTIONS.export),
      (a) => run(exportCommand({ trace: a.trace, dot: a.dot, svg: a.svg, html: a.html })),
    )
    .command('kernel', 'the reference kernel on the emulated machine', (y) =>
      y
        .command(
          'run [design]',
          'run a design of the reference kernel on the emulated machine (without a design: list them)',
          (k) =>
            k
              .positional('design', { type: 'string', describe: 'design name' })
              .options(OPTIONS['kernel run'])
              .check(checkNumbers),
          (a) => run(kernelRunCommand({ design: a.design, seed: a.seed, cycles: a.cycles, timeout: a.timeout, trace: a.trace })),
        )
        .command(
          'qemu <design>',
          'build a real kernel of kernels/ and boot it under QEMU, writing its trace',
          (k) =>
            k
              .positional('design', { type: 'string', demandOption: true, describe: 'kernel name (kernels/)' })
              .options(OPTIONS['kernel qemu'])
              .check(checkNumbers),
          (a) => run(kernelQemuCommand({ design: a.design, seed: a.seed, events: a.events, trace: a.trace, timeout: a.timeout })),
        )
        .demandCommand(1, 'name a kernel subcommand: run or qemu'),
    )
    .command(
      'conform <model> <trace>',
      'decide whether a kernel event trace is a behaviour of the model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: 'model file (.sched)' })
          .positional('trace', { type: 'string', demandOption: true, describe: 'event trace (JSON lines, docs/trace-format.md)' })
          .options(OPTIONS.conform),
      (a) => run(conformCommand({ model: a.model, trace: a.trace, set: a.set, complete: a.complete })),
    )
    .command(
      'replay <model> <cex>',
      'force a counterexample on the reference kernel',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true, describe: 'model file (.sched) of a reference kernel design' })
          .positional('cex', { type: 'string', demandOption: true, describe: 'counterexample written by check --trace (.itf.json)' })
          .options(OPTIONS.replay)
          .check(checkNumbers),
      (a) => run(replayCommand({ model: a.model, cex: a.cex, set: a.set, hold: a.hold })),
    )
    .command(
      'gate [plans..]',
      'run verification plans (default: every specs/*.plan)',
      (y) =>
        y
          .positional('plans', { type: 'string', array: true, default: [] as string[], describe: 'plan files (.plan)' })
          .options(OPTIONS.gate)
          .check(checkPartition('shard')),
      (a) => run(gateCommand({ plans: a.plans as string[], format: a.format, output: a.output, junit: a.junit, sarif: a.sarif, html: a.html, shard: a.shard })),
    )
    .command(
      'merge <files..>',
      'merge what the jobs of one split run wrote: gate shard reports, swarm job results',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'JUnit reports and SARIF logs of gate --shard jobs, or results of check --swarm jobs' })
          .default('files', undefined)
          .options(OPTIONS.merge),
      (a) => run(mergeCommand({ files: a.files ?? [], junit: a.junit, sarif: a.sarif, format: a.format, output: a.output, trace: a.trace })),
    )
    .command('lsp', 'a language server for .sched files, on stdin and stdout', (y) => y.options(OPTIONS.lsp), () => run(lspCommand()))
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version()
    .fail((message, error) => usageError(message ?? error?.message ?? 'bad usage'));
}

/**
 * A reader that stops early (`schedcheck explore M | head`) closes the pipe: that is the reader's choice, not an
 * error. End quietly with exit 0, as `cat` does, instead of an unhandled 'error' event and a stack trace.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);

const args = hideBin(process.argv);
// Under an address-space limit the CLI runs again without the WebAssembly trap handler (trapless.ts).
const rerun = rerunWithoutTrapHandler();
if (rerun !== null) {
  void rerun.then((code) => {
    process.exitCode = code;
  });
} else {
  const unknown = unknownArgument(args, OPTIONS);
  if (unknown !== null) usageError(unknown);
  buildCli(args).parse();
}
