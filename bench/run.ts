// schedcheck against SPIN, side by side, on the seed models and their Promela twins (printed by bench/promela.ts).
//
//   npx tsx bench/run.ts [--timeout S] [--only TEXT] [--no-seeds] [--no-growth] [--max-threads N]
//                        [--markdown FILE] [--help]
//
// Table 1 runs every seed model once: schedcheck's explicit engine (exact, and with hash compaction), SPIN with
// full state storage and SPIN with hash compaction (-DHC4), with the ratios schedcheck/SPIN. Table 2 shows how
// states and time grow on the correct designs as threads go from 2 to 6 and CPUs from 1 to 2, with schedcheck's
// symmetry reduction beside them; a series stops growing once a run takes more than a quarter of the timeout.
// Times are CPU seconds of the search (user + system; a shared machine's load inflates wall time, not these),
// and beside them `process s`: the wall-clock time of the whole command a user waits for, start-up included
// (`schedcheck check MODEL` spawned as a child process, every property and the report; for SPIN, `spin -a`, gcc
// and pan). `--only TEXT --no-growth` measures a single seed model.
// SPIN stores one state more than schedcheck on every model (its pre-boot state, bench/promela.ts): the
// tables print schedcheck's count and flag any other difference.

import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configLabel, GROWTH, growthCases, modelLabel, SEED_CASES, type BenchCase } from './cases.js';
import { cliCommand, runSchedcheck, timeCheckProcess } from './schedcheck.js';
import { runSpin, spinVersion, type EngineRun } from './spin.js';
import { fmtInt, fmtRatio, fmtSeconds, renderMarkdown, renderText, type Cell, type Table } from './table.js';

const USAGE = `usage: npx tsx bench/run.ts [options]
  --timeout S       bound of each engine run, in seconds (default 120)
  --only TEXT       only the models whose path contains TEXT
  --no-seeds        leave out the seed table
  --no-growth       leave out the growth table
  --max-threads N   largest thread count of the growth table (default 6)
  --markdown FILE   also write the tables as Markdown to FILE
SCHEDCHECK_SRC=DIR measures the engine of another checkout.
`;

class UsageError extends Error {}

interface Options {
  timeout: number;
  only: string | null;
  seeds: boolean;
  growth: boolean;
  maxThreads: number;
  markdown: string | null;
  help: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { timeout: 120, only: null, seeds: true, growth: true, maxThreads: 6, markdown: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--timeout') o.timeout = Number(value());
    else if (a === '--only') o.only = value();
    else if (a === '--no-seeds') o.seeds = false;
    else if (a === '--no-growth') o.growth = false;
    else if (a === '--max-threads') o.maxThreads = Number(value());
    else if (a === '--markdown') o.markdown = value();
    else if (a === '--help') o.help = true;
    else throw new UsageError(`unknown option ${a}`);
  }
  return o;
}

type Result = EngineRun | { error: string };

const ok = (r: Result): r is EngineRun => !('error' in r);

/** States per CPU second, or null when the run was too short for the timers (pan's resolution is 10 ms). */
function rate(r: EngineRun, offset = 0): number | null {
  return r.seconds >= 0.01 ? (r.states - offset) / r.seconds : null;
}

interface Measured {
  c: BenchCase;
  exact: Result;
  compacted: Result;
  symmetric: Result | null;
  spinFull: Result;
  spinHc: Result;
}

/** The search's figures, with the wall-clock time of the whole `schedcheck check` process beside them. */
function withProcess(run: Result, c: BenchCase, options: { timeoutSeconds: number; hashCompaction?: boolean }): Result {
  if (!ok(run)) return run;
  const timed = timeCheckProcess(c, options);
  if ('error' in timed) return { ...run, note: [run.note, `process: ${timed.error}`].filter((n) => n !== '').join('; ') };
  return { ...run, process: timed.seconds, note: [run.note, timed.complete ? '' : 'process inconclusive'].filter((n) => n !== '').join('; ') };
}

function measure(c: BenchCase, timeout: number, withSymmetry: boolean, withProcessTime = false): Measured {
  const search = runSchedcheck(c, { timeoutSeconds: timeout });
  const hc = runSchedcheck(c, { timeoutSeconds: timeout, hashCompaction: true });
  const exact = withProcessTime ? withProcess(search, c, { timeoutSeconds: timeout }) : search;
  const compacted = withProcessTime ? withProcess(hc, c, { timeoutSeconds: timeout, hashCompaction: true }) : hc;
  const symmetric = withSymmetry ? runSchedcheck(c, { timeoutSeconds: timeout, symmetry: true }) : null;
  const expected = ok(exact) ? exact.states + 1 : 1 << 24;
  const spinFull = runSpin(c, 'full', expected, timeout);
  const spinHc = runSpin(c, 'hc4', expected, timeout);
  return { c, exact, compacted, symmetric, spinFull, spinHc };
}

/** SPIN's counts include its pre-boot state (and its transition): subtract them to compare. */
const SPIN_OFFSET = 1;

function engineCells(r: Result, offset: number): Cell[] {
  if (!ok(r)) return [r.error.slice(0, 40), '', '', '', '', ''];
  const states = fmtInt(r.states - offset) + (r.complete ? '' : '+');
  const perSecond = rate(r, offset);
  const whole = r.process === undefined ? '' : fmtSeconds(r.process);
  return [states, fmtInt(r.transitions - 2 * offset), fmtSeconds(r.seconds), whole, perSecond === null ? '-' : fmtInt(perSecond), r.bytesPerState.toFixed(1)];
}

/** The schedcheck/SPIN ratios: time, whole-process time, states per second, bytes per state. */
function ratios(a: Result, b: Result): Cell[] {
  if (!ok(a) || !ok(b)) return ['', '', '', ''];
  const ra = rate(a);
  const rb = rate(b, SPIN_OFFSET);
  const time = a.seconds >= 0.01 && b.seconds >= 0.01 ? fmtRatio(a.seconds / b.seconds) : '-';
  const whole = a.process !== undefined && b.process !== undefined ? fmtRatio(a.process / b.process) : '-';
  return [time, whole, ra === null || rb === null ? '-' : fmtRatio(ra / rb), fmtRatio(a.bytesPerState / b.bytesPerState)];
}

function note(m: Measured, r: Result, spin: boolean): string {
  if (!ok(r)) return '';
  const notes = r.note === '' ? [] : [r.note];
  if (spin && ok(m.exact) && m.exact.complete && r.complete && r.states - SPIN_OFFSET !== m.exact.states) {
    notes.push(`${fmtInt(r.states - SPIN_OFFSET - m.exact.states)} states vs schedcheck`);
  }
  return notes.join('; ');
}

const HEADER = ['model', 'config', 'engine', 'states', 'transitions', 'CPU s', 'process s', 'states/s', 'B/state', 'time ratio', 'process ratio', 'rate ratio', 'mem ratio', 'note'];
const NUMERIC = [false, false, false, true, true, true, true, true, true, true, true, true, true, false];

function seedRows(all: Measured[]): Cell[][] {
  const rows: Cell[][] = [];
  for (const m of all) {
    rows.push([modelLabel(m.c.model), configLabel(m.c.sets), 'schedcheck', ...engineCells(m.exact, 0), ...ratios(m.exact, m.spinFull), note(m, m.exact, false)]);
    rows.push(['', '', 'schedcheck HC', ...engineCells(m.compacted, 0), ...ratios(m.compacted, m.spinHc), note(m, m.compacted, false)]);
    rows.push(['', '', 'SPIN full', ...engineCells(m.spinFull, SPIN_OFFSET), '', '', '', '', note(m, m.spinFull, true)]);
    rows.push(['', '', 'SPIN HC4', ...engineCells(m.spinHc, SPIN_OFFSET), '', '', '', '', note(m, m.spinHc, true)]);
  }
  return rows;
}

/** Totals over the runs long enough to time (SPIN full took at least 0.1 CPU s): states per CPU second. */
function summary(all: Measured[]): Cell[][] {
  const timed = all.filter((m) => [m.exact, m.compacted, m.spinFull, m.spinHc].every(ok) && (m.spinFull as EngineRun).seconds >= 0.1);
  const total = (pick: (m: Measured) => Result, offset: number) => {
    let states = 0;
    let seconds = 0;
    let wall = 0;
    let build = 0;
    let whole = 0;
    let bytes = 0;
    for (const m of timed) {
      const r = pick(m) as EngineRun;
      states += r.states - offset;
      seconds += r.seconds;
      wall += r.wall;
      build += r.build ?? 0;
      whole += r.process ?? 0;
      bytes += r.bytesPerState * (r.states - offset);
    }
    return { states, seconds, wall, build, process: whole, rate: states / Math.max(seconds, 1e-9), wallRate: states / Math.max(wall, 1e-9), bytes: bytes / Math.max(states, 1) };
  };
  const sc = total((m) => m.exact, 0);
  const hc = total((m) => m.compacted, 0);
  const full = total((m) => m.spinFull, SPIN_OFFSET);
  const spinHc = total((m) => m.spinHc, SPIN_OFFSET);
  const row = (name: string, t: typeof sc): Cell[] => [
    name,
    fmtInt(t.states),
    fmtSeconds(t.seconds),
    fmtInt(t.rate),
    fmtSeconds(t.wall),
    fmtInt(t.wallRate),
    t.build === 0 ? '' : fmtSeconds(t.build),
    fmtSeconds(t.process),
    t.bytes.toFixed(1),
  ];
  const ratio = (name: string, a: typeof sc, b: typeof sc): Cell[] => [
    name,
    '',
    fmtRatio(a.seconds / b.seconds),
    fmtRatio(a.rate / b.rate),
    fmtRatio(a.wall / b.wall),
    fmtRatio(a.wallRate / b.wallRate),
    '',
    fmtRatio(a.process / b.process),
    fmtRatio(a.bytes / b.bytes),
  ];
  return [
    row('schedcheck', sc),
    row('schedcheck HC', hc),
    row('SPIN full', full),
    row('SPIN HC4', spinHc),
    ratio('schedcheck / SPIN full', sc, full),
    ratio('schedcheck HC / SPIN HC4', hc, spinHc),
    ['models', String(timed.length), '', '', '', '', '', '', ''],
  ];
}

function growthTable(options: Options, log: (s: string) => void): Table {
  const rows: Cell[][] = [];
  const secs = (r: Result | null) => (r === null ? '' : ok(r) ? fmtSeconds(r.seconds) + (r.complete ? '' : '+') : r.error.slice(0, 20));
  const perSecond = (r: Result, offset = 0) => {
    const v = ok(r) ? rate(r, offset) : null;
    return v === null ? '-' : fmtInt(v);
  };
  for (const series of GROWTH) {
    if (options.only !== null && !series.model.includes(options.only)) continue;
    let stoppedAt = -1;
    for (const c of growthCases(series, options.maxThreads)) {
      const cpus = c.sets.CPUS ?? 1;
      if (cpus === stoppedAt) continue;
      log(`growth: ${c.model} ${configLabel(c.sets)}`);
      const m = measure(c, options.timeout, true);
      const states = ok(m.exact) ? fmtInt(m.exact.states) + (m.exact.complete ? '' : '+') : ok(m.spinFull) ? fmtInt(m.spinFull.states - SPIN_OFFSET) : '?';
      const reduced = m.symmetric !== null && ok(m.symmetric) ? fmtInt(m.symmetric.states) + (m.symmetric.complete ? '' : '+') : '';
      const timeRatio = (a: Result | null) => (a !== null && ok(a) && ok(m.spinFull) && a.seconds >= 0.01 && m.spinFull.seconds >= 0.01 ? fmtRatio(a.seconds / m.spinFull.seconds) : '-');
      rows.push([
        modelLabel(c.model) + (note(m, m.spinFull, true) === '' ? '' : ' (!)'),
        cpus,
        c.sets[series.threads] ?? '',
        states,
        reduced,
        secs(m.exact),
        secs(m.symmetric),
        secs(m.spinFull),
        secs(m.spinHc),
        perSecond(m.exact),
        perSecond(m.spinFull, SPIN_OFFSET),
        timeRatio(m.exact),
        timeRatio(m.symmetric),
      ]);
      const slow = [m.exact, m.spinFull].some((r) => !ok(r) || !r.complete || r.seconds > options.timeout / 4);
      if (slow) stoppedAt = cpus; // the next thread count would not finish in time
    }
  }
  return {
    title: 'Growth of the correct designs (CPU seconds; + = stopped at the timeout; sym = schedcheck --symmetry)',
    header: ['model', 'CPUS', 'threads', 'states', 'sym states', 'schedcheck s', 'sym s', 'SPIN full s', 'SPIN HC4 s', 'schedcheck st/s', 'SPIN st/s', 'time ratio', 'sym/SPIN'],
    rows,
    numeric: [false, true, true, true, true, true, true, true, true, true, true, true, true],
  };
}

export function machineDescription(): string[] {
  const gcc = (() => {
    try {
      return execSync('gcc --version', { encoding: 'utf8' }).split('\n')[0]!;
    } catch {
      return 'gcc: not found';
    }
  })();
  return [
    `CPU: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores (nproc)`,
    `Node ${process.version}; ${spinVersion() ?? 'spin: not found'}; ${gcc}`,
    process.env.SCHEDCHECK_SRC === undefined ? 'schedcheck: this checkout' : `schedcheck: ${process.env.SCHEDCHECK_SRC}`,
    `process s: ${cliCommand().what}`,
  ];
}

export async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (spinVersion() === null) {
    process.stderr.write('spin is not installed (Debian: apt-get install spin)\n');
    return 2;
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const tables: Table[] = [];
  if (options.seeds) {
    const all: Measured[] = [];
    for (const c of SEED_CASES) {
      if (options.only !== null && !c.model.includes(options.only)) continue;
      log(`seed: ${c.model} ${configLabel(c.sets)}`);
      all.push(measure(c, options.timeout, false, true));
    }
    tables.push({ title: 'Seed models: every reachable state (CPU seconds; HC = hash compaction)', header: HEADER, rows: seedRows(all), numeric: NUMERIC });
    tables.push({
      title: 'Totals over the runs SPIN takes at least 0.1 CPU s on (build = printing the twin, spin -a and gcc, before SPIN can search; process = the whole command, wall clock)',
      header: ['engine', 'states', 'CPU s', 'states/CPU s', 'wall s', 'states/wall s', 'build s', 'process s', 'B/state'],
      rows: summary(all),
      numeric: [false, true, true, true, true, true, true, true, true],
    });
  }
  if (options.growth) tables.push(growthTable(options, log));
  const machine = machineDescription();
  process.stdout.write(`${machine.join('\n')}\n\n${tables.map(renderText).join('\n\n')}\n`);
  if (options.markdown !== null) {
    writeFileSync(options.markdown, `${machine.map((l) => `- ${l}`).join('\n')}\n\n${tables.map(renderMarkdown).join('\n\n')}\n`);
  }
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
