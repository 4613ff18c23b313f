// What a real check costs beside the bare search: `schedcheck check` runs every property's monitor on every
// state and transition, keeps the state graph for the properties that need it, and analyses it after the
// search (no-deadlock's livelocks, eoi-discipline, no-starvation's fair cycles). For each seed model with at
// least a thousand states, in its largest plan configuration (bench/cases.ts), this prints the CPU seconds of
// the bare search (bench/run.ts's figure) and of the full check, each in a fresh process, median of `--runs`.
//
//   npx tsx bench/check.ts [--runs N] [--only TEXT]
//
// SCHEDCHECK_SRC=DIR measures the engine of another checkout (bench/schedcheck.ts), for before/after figures.

import { configLabel, modelLabel, SEED_CASES, type BenchCase } from './cases.js';
import { runSchedcheck } from './schedcheck.js';
import type { EngineRun } from './spin.js';
import { fmtInt, fmtRatio, fmtSeconds, renderMarkdown, renderText, type Table } from './table.js';

function parseArgs(argv: string[]): { runs: number; only: string | null } {
  const o = { runs: 3, only: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--runs') o.runs = Number(v);
    else if (a === '--only') o.only = v;
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs needs a positive whole number');
  return o;
}

/** The run of median CPU time among `runs` fresh processes. */
function median(c: BenchCase, fullCheck: boolean, runs: number): EngineRun | { error: string } {
  const done: EngineRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = runSchedcheck(c, { timeoutSeconds: 600, fullCheck });
    if ('error' in r) return r;
    done.push(r);
  }
  done.sort((a, b) => a.seconds - b.seconds);
  return done[done.length >> 1]!;
}

const { runs, only } = parseArgs(process.argv.slice(2));
const cases = SEED_CASES.filter((c) => only === null || c.model.includes(only));
const table: Table = {
  title: `A full check against the bare search (CPU seconds, median of ${runs} runs)`,
  header: ['model', 'config', 'states', 'search s', 'check s', 'check / search', 'verdicts'],
  numeric: [false, false, true, true, true, true, false],
  rows: [],
};
for (const c of cases) {
  const search = median(c, false, runs);
  if ('error' in search || search.states < 1000) continue;
  const check = median(c, true, runs);
  const row: string[] = [modelLabel(c.model), configLabel(c.sets), fmtInt(search.states), fmtSeconds(search.seconds)];
  if ('error' in check) row.push(check.error, '', '');
  else row.push(fmtSeconds(check.seconds), fmtRatio(check.seconds / search.seconds), check.note);
  table.rows.push(row);
  process.stderr.write(`${row.join('  ')}\n`);
}
process.stdout.write(`${renderText(table)}\n\n${renderMarkdown(table)}\n`);
