// The SMT engine on every seed model: how long bounded model checking takes to the shortest counterexample, how
// deep it gets in a fixed window on the correct designs, and how long k-induction takes to prove them.
//
//   npx tsx bench/smt.ts [--only TEXT] [--window S] [--timeout S] [--markdown FILE] [--correct-only]
//
// Table 1 (broken designs): for each safety property the explicit engine finds violated, the length of its
// shortest counterexample and the time bounded model checking takes to find one of the same length (k-induction
// off, depth bound = that length). Table 2 (correct designs, where the explicit engine finds no safety
// violation): the depth bounded model checking reaches within the window (default 60 s), and the time and k of
// the k-induction proof of every provable safety property (with its strengthening invariant found first).
// Times are wall seconds on whatever else the machine is doing. Not run in CI.

import { writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkProgram } from '../src/checker/check.js';
import { checkWithSmt } from '../src/checker/smt/check.js';
import type { PropertyResult } from '../src/checker/verdict.js';
import type { Program, PropertyId } from '../src/ir/ir.js';
import { loadModel } from '../src/lang/load.js';
import { fmtSeconds, renderMarkdown, renderText, type Table } from './table.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

/** The safety properties the SMT engine searches for. */
const SAFETY: PropertyId[] = ['no-deadlock', 'stack-integrity', 'lock-order', 'irq-lock-safety', 'eoi-discipline', 'atomic-sleep', 'assertions'];
/** Those a k-induction proof decides completely (no-deadlock and eoi-discipline only in part). */
const PROVABLE: PropertyId[] = ['stack-integrity', 'lock-order', 'irq-lock-safety', 'atomic-sleep', 'assertions'];

interface Options {
  only: string | null;
  window: number;
  timeout: number;
  markdown: string | null;
  /** Only the correct designs (table 2). */
  correctOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { only: null, window: 60, timeout: 300, markdown: null, correctOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only = value();
    else if (a === '--window') o.window = Number(value());
    else if (a === '--timeout') o.timeout = Number(value());
    else if (a === '--markdown') o.markdown = value();
    else if (a === '--correct-only') o.correctOnly = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function seedModels(): string[] {
  const dir = join(ROOT, 'models');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(dir, d.name)).filter((f) => f.endsWith('.sched')).map((f) => join(dir, d.name, f)))
    .sort();
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = Date.now();
  const value = await run();
  return { value, seconds: (Date.now() - started) / 1000 };
}

function describe(r: PropertyResult): string {
  if (r.verdict === 'violated') return `violated (${r.counterexample.length})`;
  if (r.verdict === 'holds') return 'holds';
  return `inconclusive (${r.reason})`;
}

/** Explicit shortest counterexamples the SMT engine searches for (not livelocks, lost lines or liveness). */
function searchableViolations(results: PropertyResult[]): { property: PropertyId; length: number }[] {
  return results.flatMap((r) => {
    if (r.verdict !== 'violated') return [];
    const m = r.counterexample.message;
    if (r.property === 'no-deadlock' && !m.startsWith('deadlock')) return [];
    if (r.property === 'eoi-discipline' && / forever /.test(m)) return [];
    return [{ property: r.property, length: r.counterexample.length }];
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const broken: Table = {
    title: 'Bounded model checking to the shortest counterexample (broken designs)',
    header: ['model', 'property', 'explicit', 'smt', 'BMC s'],
    rows: [],
    numeric: [false, false, false, false, true],
  };
  const correct: Table = {
    title: `Correct designs: BMC depth in ${o.window} s, k-induction proof`,
    header: ['model', 'BMC depth', 'k-induction', 'k', 'proof s'],
    rows: [],
    numeric: [false, true, false, true, true],
  };
  for (const file of seedModels()) {
    const name = relative(join(ROOT, 'models'), file).replace(/\.sched$/, '');
    if (o.only !== null && !name.includes(o.only)) continue;
    const { program } = loadModel(file, []);
    if (program === null) throw new Error(`${name} does not load`);
    process.stderr.write(`${name}\n`);
    const explicit = await checkProgram(program, { properties: SAFETY, progress: false });
    const violations = searchableViolations(explicit.results);
    if (violations.length > 0) {
      if (o.correctOnly) continue;
      for (const v of violations) {
        const { value, seconds } = await timed(() => checkWithSmt(program, [v.property], { maxDepth: v.length, kInduction: false, timeoutSeconds: o.timeout }));
        broken.rows.push([name, v.property, `violated (${v.length})`, describe(value[0]!), fmtSeconds(seconds)]);
      }
      continue;
    }
    correct.rows.push(await correctRow(name, program, o));
  }
  const tables = o.correctOnly ? [correct] : [broken, correct];
  process.stdout.write(`${tables.map(renderText).join('\n\n')}\n`);
  if (o.markdown !== null) writeFileSync(o.markdown, `${tables.map(renderMarkdown).join('\n\n')}\n`);
}

async function correctRow(name: string, program: Program, o: Options): Promise<(string | number)[]> {
  const bmc = await checkWithSmt(program, SAFETY, { maxDepth: 10_000, kInduction: false, timeoutSeconds: o.window });
  // The depth every property still open was searched to (a property decided early, or not checkable by this
  // engine, says nothing about the depth reached).
  const open = bmc.filter((r) => r.verdict === 'inconclusive' && r.reason !== 'not-checkable');
  const depth = open.length === 0 ? '-' : Math.min(...open.map((r) => r.stats.depth));
  const { value, seconds } = await timed(() => checkWithSmt(program, PROVABLE, { timeoutSeconds: o.timeout }));
  const proved = value.every((r) => r.verdict === 'holds' && r.complete);
  const k = Math.max(...value.map((r) => r.stats.depth));
  return [name, depth, proved ? 'proved' : value.map(describe).join(', '), proved ? k : '-', fmtSeconds(seconds)];
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
