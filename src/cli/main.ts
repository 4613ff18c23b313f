#!/usr/bin/env node
// yargs declarations only: each command calls one function and exits with the code it returns.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkCommand } from './commands/check.js';
import { conformCommand } from './commands/conform.js';
import { exploreCommand } from './commands/explore.js';
import { exportCommand } from './commands/export.js';
import { gateCommand } from './commands/gate.js';
import { kernelQemuCommand, kernelRunCommand } from './commands/kernel.js';
import { parseCommand } from './commands/parse.js';
import { propertiesCommand } from './commands/properties.js';
import { replayCommand } from './commands/replay.js';
import { simulateCommand } from './commands/simulate.js';

const NUMERIC = ['max-depth', 'max-states', 'max-memory', 'timeout', 'seed', 'cycles', 'steps', 'events', 'hold'] as const;

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

const setOption = {
  type: 'string',
  array: true,
  default: [] as string[],
  describe: 'override a model constant, NAME=VALUE',
} as const;

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

export function buildCli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('schedcheck')
    .usage('$0 <command> [options]')
    .command(
      'check <models..>',
      'check properties of one or more models',
      (y) =>
        y
          .positional('models', { type: 'string', array: true, demandOption: true, describe: 'model files (.sched)' })
          .option('property', { type: 'string', array: true, default: [] as string[], describe: 'property id (repeatable); all when omitted' })
          .option('engine', { choices: ['explicit', 'smt', 'both'] as const, default: 'explicit' as const })
          .option('set', setOption)
          .option('max-depth', { type: 'number', describe: 'bound on search depth' })
          .option('max-states', { type: 'number', describe: 'bound on distinct states' })
          .option('max-memory', { type: 'number', describe: 'bound on memory, in MB' })
          .option('timeout', { type: 'number', describe: 'bound on time, in seconds' })
          .option('hash-compaction', { type: 'boolean', default: false, describe: 'store 64-bit fingerprints, not states (prints the collision probability)' })
          .option('symmetry', { type: 'boolean', default: false, describe: 'one state per renumbering of interchangeable threads' })
          .option('format', { choices: ['text', 'json', 'junit', 'sarif'] as const, default: 'text' as const })
          .option('output', { type: 'string', describe: 'write the report to this file' })
          .option('trace', { type: 'string', describe: 'write the counterexample as ITF JSON' })
          .option('dot', { type: 'string', describe: 'write the counterexample graph as DOT' })
          .option('svg', { type: 'string', describe: 'write the counterexample graph as SVG' })
          .check(checkNumbers),
      (a) =>
        run(
          checkCommand({
            models: a.models as string[],
            property: a.property,
            engine: a.engine,
            set: a.set,
            maxDepth: a['max-depth'],
            maxStates: a['max-states'],
            maxMemory: a['max-memory'],
            timeout: a.timeout,
            hashCompaction: a['hash-compaction'],
            symmetry: a.symmetry,
            format: a.format,
            output: a.output,
            trace: a.trace,
            dot: a.dot,
            svg: a.svg,
          }),
        ),
    )
    .command('properties', 'list the property ids', (y) => y, () => run(propertiesCommand()))
    .command(
      'parse <model>',
      'check a model for errors; print its IR with --ir',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true })
          .option('ir', { type: 'boolean', default: false, describe: 'print the lowered IR' })
          .option('set', setOption),
      (a) => run(parseCommand({ model: a.model, ir: a.ir, set: a.set })),
    )
    .command(
      'explore <model>',
      'explore the whole state graph of a small model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true })
          .option('set', setOption)
          .option('dot', { type: 'string' })
          .option('svg', { type: 'string' })
          .option('property', { type: 'string', describe: 'colour the counterexample path of this property' })
          .option('max-states', { type: 'number' })
          .check(checkNumbers),
      (a) =>
        run(exploreCommand({ model: a.model, set: a.set, dot: a.dot, svg: a.svg, property: a.property, maxStates: a['max-states'] })),
    )
    .command(
      'simulate <model>',
      'run one random path of a model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true })
          .option('set', setOption)
          .option('seed', { type: 'number', default: 1 })
          .option('steps', { type: 'number', default: 50 })
          .check(checkNumbers),
      (a) => run(simulateCommand({ model: a.model, set: a.set, seed: a.seed, steps: a.steps })),
    )
    .command(
      'export <trace>',
      'render a saved ITF counterexample again',
      (y) =>
        y
          .positional('trace', { type: 'string', demandOption: true })
          .option('dot', { type: 'string' })
          .option('svg', { type: 'string' }),
      (a) => run(exportCommand({ trace: a.trace, dot: a.dot, svg: a.svg })),
    )
    .command('kernel', 'the reference kernel', (y) =>
      y
        .command(
          'run <design>',
          'run a design of the reference kernel on the emulated machine',
          (k) =>
            k
              .positional('design', { type: 'string', demandOption: true })
              .option('seed', { type: 'number', default: 1 })
              .option('cycles', { type: 'number' })
              .option('trace', { type: 'string', describe: 'write the event trace (JSON lines)' })
              .check(checkNumbers),
          (a) => run(kernelRunCommand({ design: a.design, seed: a.seed, cycles: a.cycles, trace: a.trace })),
        )
        .command(
          'qemu <design>',
          'build a real kernel of kernels/ and boot it under QEMU, writing its trace',
          (k) =>
            k
              .positional('design', { type: 'string', demandOption: true })
              .option('seed', { type: 'number', default: 1, describe: 'varies the timer period and the work lengths' })
              .option('events', { type: 'number', default: 2000, describe: 'events the kernel logs before its end' })
              .option('trace', { type: 'string', describe: 'write the event trace (JSON lines)' })
              .option('timeout', { type: 'number', default: 60, describe: 'seconds before the harness watchdog calls it a hang' })
              .check(checkNumbers),
          (a) => run(kernelQemuCommand({ design: a.design, seed: a.seed, events: a.events, trace: a.trace, timeout: a.timeout })),
        )
        .demandCommand(1, 'name a kernel subcommand'),
    )
    .command(
      'conform <model> <trace>',
      'decide whether a kernel event trace is a behaviour of the model',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true })
          .positional('trace', { type: 'string', demandOption: true })
          .option('set', setOption)
          .option('complete', { type: 'boolean', default: false, describe: 'the trace must end with an end, fault or hang event' }),
      (a) => run(conformCommand({ model: a.model, trace: a.trace, set: a.set, complete: a.complete })),
    )
    .command(
      'replay <model> <cex>',
      'force a counterexample on the reference kernel',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true })
          .positional('cex', { type: 'string', demandOption: true })
          .option('set', setOption)
          .option('hold', { type: 'number', default: 0, describe: 'then hold the other CPUs for this many cycles' })
          .check(checkNumbers),
      (a) => run(replayCommand({ model: a.model, cex: a.cex, set: a.set, hold: a.hold })),
    )
    .command(
      'gate [plans..]',
      'run the verification plans in specs/',
      (y) =>
        y
          .positional('plans', { type: 'string', array: true, default: [] as string[] })
          .option('format', { choices: ['text', 'junit', 'sarif'] as const, default: 'text' as const })
          .option('output', { type: 'string' }),
      (a) => run(gateCommand({ plans: a.plans as string[], format: a.format, output: a.output })),
    )
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version()
    .fail((message, error) => {
      process.stderr.write(`schedcheck: ${message ?? error?.message ?? 'bad usage'}\nRun 'schedcheck --help' for usage.\n`);
      process.exit(2);
    });
}

buildCli(hideBin(process.argv)).parse();
