// `check --workers N` as a user waits for it: the built command line (dist/, `npm run build` first) in a fresh
// process per run, timed whole (start-up, the one-thread start of the search, the worker threads' start, the
// partitioned search, the report), with the process's CPU time beside it. Prints, per worker count, the median
// wall-clock seconds of `--runs` runs, the speed-up over one worker, the CPU seconds (user and system), and the
// states and transitions, which must be the same on every row.
//
//   npx tsx bench/workers.ts [MODEL] [--set NAME=VALUE]... [--property ID]... [--workers 1,2] [--runs 3] [--turns]
//
// --turns: the worker counts take turns, in the order 1 2, 2 1, 1 2, ... (the runs of each count then meet the
// machine's drift and the memory the previous run left alike); without it, one worker count's runs after another.

import { spawnSync } from 'node:child_process';
import { runSpin } from './spin.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MAIN = join(ROOT, 'dist/src/cli/main.js');

interface Run {
  wall: number;
  user: number;
  sys: number;
  states: number;
  transitions: number;
}

/** One run: bash's `time` gives the process's CPU seconds; the JSON report gives the counts. */
function once(args: string[]): Run {
  const quoted = ['node', MAIN, 'check', ...args, '--format', 'json'].map((a) => `'${a}'`).join(' ');
  const started = performance.now();
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; time ${quoted}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`exit ${r.status}: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  const report = JSON.parse(r.stdout) as { results: { stats: { states: number; transitions: number } }[] };
  const stats = report.results[0]!.stats;
  return { wall, user: user!, sys: sys!, states: stats.states, transitions: stats.transitions };
}

/**
 * The machine's own bound on a two-thread speed-up: two one-worker runs side by side, in two processes that share
 * nothing. Their throughput over one run's is the most a search of the same states over two threads could gain.
 */
function sideBySide(args: string[]): number {
  const quoted = ['node', MAIN, 'check', ...args, '--format', 'json', '--workers', '1'].map((a) => `'${a}'`).join(' ');
  const started = performance.now();
  const r = spawnSync('bash', ['-c', `${quoted} >/dev/null & ${quoted} >/dev/null; wait`], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return (performance.now() - started) / 1000;
}

function main(argv: string[]): void {
  let model = 'models/aethelos-001/option2-yield-pending.sched';
  const rest: string[] = [];
  let workers = [1, 2];
  let runs = 3;
  let turns = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--turns') turns = true;
    else if (a === '--set' || a === '--property') rest.push(a, argv[++i]!);
    else if (a === '--workers') workers = argv[++i]!.split(',').map(Number);
    else if (a === '--runs') runs = Number(argv[++i]);
    else model = a;
  }
  if (!rest.includes('--set') && model.endsWith('option2-yield-pending.sched')) rest.push('--set', 'THREADS=7');
  if (!rest.includes('--property')) rest.push('--property', 'stack-integrity');
  process.stdout.write(`${model} ${rest.join(' ')}, median of ${runs} runs (whole process${turns ? ', the worker counts taking turns' : ''})\n`);
  process.stdout.write('workers  wall s  speed-up  user s  sys s     states   transitions\n');
  let base = 0;
  let expected = 0;
  const runsOf = new Map<number, Run[]>(workers.map((w) => [w, []]));
  if (turns) {
    for (let i = 0; i < runs; i++) for (const w of i % 2 === 0 ? workers : [...workers].reverse()) runsOf.get(w)!.push(once([model, ...rest, '--workers', String(w)]));
  } else {
    for (const w of workers) for (let i = 0; i < runs; i++) runsOf.get(w)!.push(once([model, ...rest, '--workers', String(w)]));
  }
  for (const w of workers) {
    const done = runsOf.get(w)!;
    done.sort((a, b) => a.wall - b.wall);
    const m = done[done.length >> 1]!;
    if (base === 0) base = m.wall;
    expected = m.states;
    process.stdout.write(
      `${String(w).padStart(7)}  ${m.wall.toFixed(2).padStart(6)}  ${(base / m.wall).toFixed(2).padStart(7)}x  ${m.user.toFixed(2).padStart(6)}  ${m.sys.toFixed(2).padStart(5)}  ${String(m.states).padStart(9)}  ${String(m.transitions).padStart(12)}\n`,
    );
  }
  // SPIN's multi-core pan on the Promela twin of the same configuration (-DNCORE=N; its temporaries are kept in
  // the state vector and zeroed after every step, so that multi-core pan takes them and the count stays equal).
  const sets = Object.fromEntries(rest.flatMap((a, i) => (rest[i - 1] === '--set' ? [a.split('=') as [string, string]] : [])).map(([k, v]) => [k, Number(v)]));
  let spinBase = 0;
  for (const w of workers) {
    const done = Array.from({ length: runs }, () => runSpin({ model, sets }, 'full', expected, 1200, true, w));
    const ok = done.filter((r): r is Exclude<typeof r, { error: string }> => !('error' in r)).sort((a, b) => a.wall - b.wall);
    if (ok.length === 0) {
      process.stdout.write(`SPIN -DNCORE=${w}: ${(done[0] as { error: string }).error.slice(0, 200)}\n`);
      continue;
    }
    const m = ok[ok.length >> 1]!;
    if (spinBase === 0) spinBase = m.wall;
    process.stdout.write(
      `SPIN -DNCORE=${w}: search ${m.wall.toFixed(2)} s wall (${(spinBase / m.wall).toFixed(2)}x), ${m.seconds.toFixed(2)} s CPU, whole process with spin -a and gcc ${m.process?.toFixed(2)} s, ${m.states} states${m.complete ? '' : ` (incomplete: ${m.note})`}\n`,
    );
  }
  const pair = Array.from({ length: runs }, () => sideBySide([model, ...rest])).sort((a, b) => a - b)[runs >> 1]!;
  process.stdout.write(`two one-worker runs side by side: ${pair.toFixed(2)} s for both, ${((2 * base) / pair).toFixed(2)}x one run's throughput\n`);
}

main(process.argv.slice(2));
