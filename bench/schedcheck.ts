// The schedcheck side of the bench: the explicit engine on a .sched model, in a fresh Node process per run (so
// one run's heap and JIT state do not bill the next). The search is the same as SPIN's: every reachable state,
// with fatal steps ending their path, and no property that could stop it early (a monitor that never finds
// anything). Time is measured from building the model to the end of the search; loading and type-checking the
// model text are not counted, as SPIN's `spin -a` and gcc are not.
//
// SCHEDCHECK_SRC=DIR runs the engine of another checkout (for before/after figures), e.g. one unpacked from
// `git archive HEAD`.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { BenchCase } from './cases.js';
import type { EngineRun } from './spin.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export interface SchedcheckOptions {
  timeoutSeconds: number;
  hashCompaction?: boolean;
  symmetry?: boolean;
  /** A real check of every property (`schedcheck check`'s work without the report) instead of a bare search. */
  fullCheck?: boolean;
}

/** Runs the explicit engine on one case in a child process. */
export function runSchedcheck(c: BenchCase, options: SchedcheckOptions): EngineRun | { error: string } {
  const request = JSON.stringify({ case: c, options });
  const child = spawnSync(process.execPath, ['--import', 'tsx', THIS_FILE, request], {
    encoding: 'utf8',
    timeout: (options.timeoutSeconds + 60) * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.signal !== null) return { error: `killed (${child.signal})` };
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as EngineRun | { error: string };
  } catch {
    return { error: `no result: ${child.stderr.slice(0, 400)}` };
  }
}

/** The CLI a user runs: the build (`npm run build`) when there is one, else the sources through tsx. */
export function cliCommand(): { argv: string[]; what: string } {
  const root = process.env.SCHEDCHECK_SRC ?? resolve(fileURLToPath(new URL('..', import.meta.url)));
  const built = resolve(root, 'dist/src/cli/main.js');
  if (existsSync(built)) return { argv: [built], what: 'dist/src/cli/main.js (built)' };
  return { argv: ['--import', 'tsx', resolve(root, 'src/cli/main.ts')], what: 'src/cli/main.ts through tsx (no build: start-up includes compiling)' };
}

/**
 * What a user waits for: `schedcheck check MODEL [--set ...] [--hash-compaction]` spawned as a child process and
 * timed from spawn to exit (Node's start-up, loading, every property's search and the report). Exit 0, 1 and 3
 * are verdicts; `complete` is false on 3 (a bound or the timeout stopped a search).
 */
export function timeCheckProcess(c: BenchCase, options: SchedcheckOptions): { seconds: number; complete: boolean } | { error: string } {
  const sets = Object.entries(c.sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const args = ['check', resolve(c.model), ...sets, '--timeout', String(options.timeoutSeconds), ...(options.hashCompaction === true ? ['--hash-compaction'] : [])];
  const started = performance.now();
  const child = spawnSync(process.execPath, [...cliCommand().argv, ...args], { encoding: 'utf8', timeout: (options.timeoutSeconds + 60) * 1000, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (child.signal !== null) return { error: `killed (${child.signal})` };
  if (child.status !== 0 && child.status !== 1 && child.status !== 3) return { error: `exit ${child.status}: ${child.stderr.slice(0, 200)}` };
  return { seconds, complete: child.status !== 3 };
}

async function measure(c: BenchCase, options: SchedcheckOptions): Promise<EngineRun | { error: string }> {
  const root = process.env.SCHEDCHECK_SRC ?? resolve(fileURLToPath(new URL('..', import.meta.url)));
  const from = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  const { loadModel } = await from('src/lang/load.ts');
  const { buildModel } = await from('src/hw/build.ts');
  // The driver was bfs.ts before the search was split into its parts: older checkouts still measure.
  const driver = existsSync(resolve(root, 'src/checker/explicit/explore.ts')) ? 'explore.ts' : 'bfs.ts';
  const { explore } = await from(`src/checker/explicit/${driver}`);
  const sets = Object.entries(c.sets).map(([k, v]) => `${k}=${v}`);
  const loaded = loadModel(resolve(c.model), sets);
  if (loaded.program === null) return { error: loaded.diagnostics.map((d: { message: string }) => d.message).join('; ') };
  if (options.fullCheck === true) return fullCheck(from, loaded.program, options);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const model = buildModel(loaded.program);
  const inert = () => new Map([['assertions', { needsGraph: false }]]);
  const bounds = { timeoutSeconds: options.timeoutSeconds, progress: false, hashCompaction: options.hashCompaction, symmetry: options.symmetry };
  const result = explore(model, inert, bounds);
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const states: number = result.stats.states;
  const compaction = result.reductions?.hashCompaction ?? null;
  const notes: string[] = [];
  if (result.stop !== null) notes.push(result.stop.reason);
  if (compaction !== null) notes.push(`P(collision) ${compaction.collisionProbability.toExponential(1)}`);
  return {
    states,
    transitions: result.stats.transitions,
    seconds: (cpu.user + cpu.system) / 1e6,
    wall,
    bytesPerState: compaction !== null ? compaction.bytesPerState : result.store.bytes / states,
    complete: result.stop === null,
    note: notes.join('; '),
  };
}

/** Every property checked, as `schedcheck check` does: the time from building the model to the verdicts. */
async function fullCheck(
  from: (path: string) => Promise<Record<string, unknown>>,
  program: unknown,
  options: SchedcheckOptions,
): Promise<EngineRun | { error: string }> {
  const { checkProgram } = (await from('src/checker/check.ts')) as {
    checkProgram: (p: unknown, o: object) => Promise<{ results: { verdict: string; stats: { states: number; transitions: number } }[] }>;
  };
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const report = await checkProgram(program, { timeoutSeconds: options.timeoutSeconds });
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const widest = report.results.reduce((a, b) => (b.stats.states > a.stats.states ? b : a));
  const verdicts = new Map<string, number>();
  for (const r of report.results) verdicts.set(r.verdict, (verdicts.get(r.verdict) ?? 0) + 1);
  return {
    states: widest.stats.states,
    transitions: widest.stats.transitions,
    seconds: (cpu.user + cpu.system) / 1e6,
    wall,
    bytesPerState: 0,
    complete: true,
    note: [...verdicts].map(([v, n]) => `${n} ${v}`).join(', '),
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === THIS_FILE && process.argv[2] !== undefined) {
  const request = JSON.parse(process.argv[2]) as { case: BenchCase; options: SchedcheckOptions };
  const result = await measure(request.case, request.options).catch((e: unknown) => ({ error: String(e) }));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
