// The SPIN side of the bench: the model's Promela twin, printed from the machine semantics by bench/promela.ts
// into a temporary directory (no twin is kept or written by hand), `spin -a` on it, `gcc -O2` on the pan.c it
// writes (full state storage, or hash compaction with -DHC4), and pan's own figures parsed from its report. The
// search is SPIN's default depth-first safety search with partial-order reduction off (-DNOREDUCE: the machine
// is one process, so there is nothing to reduce, and the state space stays exactly the one schedcheck explores)
// and no never claim. `npx tsx bench/spin.ts` runs the whole bench (the same as `npm run bench`).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../src/hw/build.js';
import { loadModel } from '../src/lang/load.js';
import type { BenchCase } from './cases.js';
import { printPromela } from './promela.js';

export type SpinMode = 'full' | 'hc4';

export interface EngineRun {
  states: number;
  transitions: number;
  /** CPU time of the search (user + system): other load on a shared machine inflates wall time, not this. */
  seconds: number;
  /** Wall-clock time of the search. */
  wall: number;
  /** SPIN only: wall-clock time of printing the twin, `spin -a` and gcc, which a run needs before its search starts. */
  build?: number;
  /**
   * Wall-clock time of the whole command a user waits for, start-up included: `schedcheck check MODEL` spawned
   * as a child process (every property, the report printed), or for SPIN `spin -a`, gcc and pan together.
   */
  process?: number;
  /** Memory that grows with the states (stored states and the hash table) divided by the states. */
  bytesPerState: number;
  /** Searched the whole state space (no timeout, no depth or memory cut). */
  complete: boolean;
  note: string;
}

const MB = 1024 * 1024;
/** GNU time, for pan's CPU time (Debian package `time`). */
const TIME = '/usr/bin/time';
/** pan's DFS stack bound: deep enough for every bench model (it reports the depth it reached). */
const MAX_DEPTH = 2_000_000;

export function spinVersion(): string | null {
  const r = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  if (r.status !== 0 || r.stdout === undefined) return null;
  return r.stdout.trim();
}

/** -w for pan: a hash table with about as many slots as states (chaining), at least 2^16. */
export function hashBits(expectedStates: number): number {
  return Math.max(16, Math.ceil(Math.log2(Math.max(expectedStates, 1))));
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number) {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * MB });
}

function number(text: string, pattern: RegExp): number | null {
  const m = pattern.exec(text);
  return m === null ? null : Number(m[1]);
}

/** pan's report → the bench's figures. Exported for the parser's own test. */
export function parsePan(out: string): EngineRun | { error: string } {
  const states = number(out, /^\s*(\d+) states, stored/m);
  const transitions = number(out, /^\s*(\d+) transitions \(= stored\+matched\)/m);
  // Multi-core pan reports each core's time (`cpu0: elapsed time ...`): the first core's is the search's.
  const seconds = number(out, /^(?:pan|cpu0): elapsed time ([\d.e+-]+) seconds/m);
  const stateMb = number(out, /^\s*([\d.]+)\s+actual memory usage for states/m);
  const hashMb = number(out, /^\s*([\d.]+)\s+memory used for hash table/m);
  const errors = number(out, /errors: (\d+)/);
  if (states === null || transitions === null || seconds === null || stateMb === null || hashMb === null) {
    return { error: `unreadable pan report: ${out.slice(0, 400)}` };
  }
  const cut = /max search depth too small/.test(out);
  const notes: string[] = [];
  if (errors !== 0) notes.push(`pan reported ${errors} error(s)`);
  if (cut) notes.push('depth bound hit');
  // CPU time from /usr/bin/time when pan ran under it (its `TIME user system` line), else pan's elapsed time.
  const cpu = /^TIME ([\d.]+) ([\d.]+)$/m.exec(out);
  return {
    states,
    transitions,
    seconds: cpu === null ? seconds : Number(cpu[1]) + Number(cpu[2]),
    wall: seconds,
    bytesPerState: ((stateMb + hashMb) * MB) / states,
    complete: errors === 0 && !cut,
    note: notes.join('; '),
  };
}

/** The Promela twin of a case: its model in its configuration, printed from the semantics (bench/promela.ts). */
export function twin(c: BenchCase, visibleTemps = false): string | { error: string } {
  const loaded = loadModel(c.model, Object.entries(c.sets).map(([k, v]) => `${k}=${v}`));
  if (loaded.program === null) return { error: loaded.diagnostics.map((d) => d.message).join('; ') };
  try {
    return printPromela(buildModel(loaded.program), visibleTemps);
  } catch (error) {
    return { error: `no Promela twin: ${(error as Error).message}` };
  }
}

/**
 * Runs pan on one case. `expectedStates` sizes the hash table (-w); `timeoutSeconds` bounds pan's search.
 * `optimize` false compiles pan without optimisation (gcc -O0, about a quarter of -O2's time): for a count of
 * states, not a measurement of speed.
 */
export function runSpin(c: BenchCase, mode: SpinMode, expectedStates: number, timeoutSeconds: number, optimize = true, ncore = 1): EngineRun | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'schedcheck-spin-'));
  try {
    const building = performance.now();
    const printed = twin(c, ncore > 1);
    if (typeof printed !== 'string') return printed;
    writeFileSync(join(dir, 'model.pml'), printed);
    // -o2: keep write-only variables in the state vector (SPIN hides them by default). A twin writes a variable
    // of the model that only an invariant reads and never reads it, but it is part of the state all the same.
    const gen = run('spin', ['-o2', '-a', 'model.pml'], dir, 60_000);
    if (gen.status !== 0) return { error: `spin -a failed: ${gen.stdout}${gen.stderr}` };
    // Multi-core pan (-DNCORE) keeps its states in shared memory of -DMEMLIM megabytes.
    const cores = ncore > 1 ? [`-DNCORE=${ncore}`, `-DMEMLIM=${Math.max(2048, Math.ceil((expectedStates * 1024) / 2 ** 20))}`] : [];
    const cflags = [optimize ? '-O2' : '-O0', '-w', '-DSAFETY', '-DNOREDUCE', ...(mode === 'hc4' ? ['-DHC4'] : []), ...cores];
    const cc = run('gcc', [...cflags, '-o', 'pan', 'pan.c'], dir, 300_000);
    if (cc.status !== 0) return { error: `gcc failed: ${cc.stderr.slice(0, 400)}` };
    const build = (performance.now() - building) / 1000;
    const panArgs = ['-n', `-m${MAX_DEPTH}`, `-w${hashBits(expectedStates)}`];
    // coreutils `timeout` stops pan itself (a signal to /usr/bin/time would leave pan running); GNU time counts
    // the CPU time of everything it waited for, pan included.
    const limited = ['timeout', String(timeoutSeconds), './pan', ...panArgs];
    const pan = existsSync(TIME)
      ? run(TIME, ['-f', 'TIME %U %S', ...limited], dir, (timeoutSeconds + 30) * 1000)
      : run(limited[0]!, limited.slice(1), dir, (timeoutSeconds + 30) * 1000);
    if (pan.status === 124) return { error: `timeout after ${timeoutSeconds} s` };
    if (pan.error !== undefined || pan.signal !== null) return { error: `pan failed: ${pan.error?.message ?? pan.signal}` };
    const parsed = parsePan(`${pan.stdout}\n${pan.stderr}`);
    return 'error' in parsed ? parsed : { ...parsed, build, process: (performance.now() - building) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { main } = await import('./run.js');
  process.exitCode = await main(process.argv.slice(2));
}
