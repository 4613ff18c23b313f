import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { GateArgs } from '../args.js';
import {
  displayPath,
  gotText,
  loadPlans,
  planFiles,
  runChecks,
  type GateCheck,
  type GateRow,
  type GateRun,
  type GateStatus,
} from '../../checker/gate.js';
import { paint } from '../colour.js';
import type { Tone } from '../../report/text.js';
import { printDiagnostics } from '../diagnostics.js';
import { writeHtmlReports } from '../../report/htmldir.js';
import { formatJunit } from '../../report/junit.js';
import { formatSarif, sarifLog } from '../../report/sarif.js';
import { inShard, shardJunit, shardSarif, type ShardMeta } from '../../report/shard.js';
import { parsePartition } from '../partition.js';

const STATUS_TEXT: Record<GateStatus, string> = {
  ok: 'ok',
  bounded: 'ok (bounded)',
  fail: 'FAIL',
  'not-checkable': 'not yet checkable',
};

const STATUS_TONE: Record<GateStatus, Tone> = { ok: 'holds', bounded: 'holds', fail: 'violated', 'not-checkable': 'inconclusive' };

const HEADERS = ['model', 'config', 'property', 'expected', 'got', 'states', 'seconds', 'status'] as const;

/** `config` column: the constants, and the engine when it is not the default one. */
function configCell(check: GateCheck, row?: GateRow): string {
  const engine = row?.result.engine ?? check.block.engine;
  const { hashCompaction, symmetry } = check.block.bounds;
  const how = [engine === 'explicit' ? null : engine, engine !== 'smt' && hashCompaction === true ? 'hc' : null, engine !== 'smt' && symmetry === true ? 'symmetry' : null].filter((x) => x !== null);
  return how.length === 0 ? check.label : `${check.label} [${how.join(', ')}]`;
}

/** The cells of a row; the status coloured when the row goes to a terminal's stream. */
function cells(row: GateRow, stream?: 'stdout' | 'stderr'): string[] {
  const { result } = row;
  return [
    displayPath(row.check.block.modelPath),
    configCell(row.check, row),
    row.property,
    row.expected,
    gotText(result),
    result.engine === 'smt' ? '-' : String(result.stats.states), // the SMT engine stores no states
    result.stats.seconds.toFixed(2),
    stream === undefined ? STATUS_TEXT[row.status] : paint(STATUS_TONE[row.status], STATUS_TEXT[row.status], stream),
  ];
}

/** Column widths known before anything runs, so the table can stream one row per finished check. */
function widths(checks: GateCheck[]): number[] {
  const w: number[] = HEADERS.map((h) => h.length);
  const grow = (i: number, n: number): void => {
    w[i] = Math.max(w[i]!, n);
  };
  for (const c of checks) {
    grow(0, displayPath(c.block.modelPath).length);
    grow(1, configCell(c).length + (c.block.engine === 'both' ? 9 : 0));
    for (const e of c.block.expectations) grow(2, e.property.length);
  }
  grow(4, 'inconclusive (max-memory)'.length);
  grow(5, 9);
  return w;
}

const RIGHT = new Set([5, 6]);

function line(values: readonly string[], w: number[]): string {
  return values
    .map((v, i) => (RIGHT.has(i) ? v.padStart(w[i]!) : v.padEnd(w[i]!)))
    .join('  ')
    .trimEnd();
}

function summary(run: GateRun, meta: ShardMeta | null): string {
  const count = (s: GateStatus): number => run.rows.filter((r) => r.status === s).length;
  const ok = count('ok') + count('bounded');
  const failed = count('fail');
  const skipped = count('not-checkable');
  const parts = [`${ok} as expected`, `${failed} FAILED`, `${skipped} not yet checkable`];
  const who = meta === null ? 'gate' : `gate shard ${meta.shard}/${meta.of}`;
  return `${who}: ${run.rows.length} checks over ${run.reports.length} model configurations: ${parts.join(', ')} (${run.seconds.toFixed(1)} s)`;
}

function failures(run: GateRun): string[] {
  return run.rows
    .filter((r) => r.status === 'fail')
    .map((r) => `FAIL ${displayPath(r.check.block.modelPath)} [${configCell(r.check, r)}] ${r.property}: expected ${r.expected}, got ${gotText(r.result)}: ${r.note ?? ''}`);
}

function expectedOf(run: GateRun, key: (check: GateCheck) => string): (model: string, property: string) => 'holds' | 'violated' | undefined {
  const table = new Map<string, 'holds' | 'violated'>();
  for (const row of run.rows) table.set(`${key(row.check)}\u0000${row.property}`, row.expected);
  return (model, property) => table.get(`${model}\u0000${property}`);
}

/** The suite of a check: its model and configuration. */
const suiteName = (c: GateCheck): string => `${displayPath(c.block.modelPath)} [${configCell(c)}]`;

function junit(run: GateRun, meta: ShardMeta | null): string {
  // One test case per model, configuration and property: the configuration goes into the suite's name.
  const reports = run.reports.map(({ check, report }) => ({ ...report, model: suiteName(check) }));
  const text = formatJunit(reports, { name: 'schedcheck gate', expected: expectedOf(run, suiteName) });
  return meta === null ? text : shardJunit(text, meta);
}

function sarif(run: GateRun, meta: ShardMeta | null): string {
  const key = (c: GateCheck): string => c.program.file;
  const reports = run.reports.map(({ check, report }) => ({ ...report, model: key(check) }));
  const models = run.reports.map(({ check }) => check.program);
  const options = { expected: expectedOf(run, key) };
  if (meta === null) return formatSarif(reports, models, options);
  const { log, perReport } = sarifLog(reports, models, options);
  return shardSarif(log, perReport, meta);
}

/**
 * `--shard I/N`: the model configurations dealt to shard I (configuration k of the plans to shard k mod N + 1),
 * and the record its reports carry for `schedcheck merge`: the number of configurations and a digest of them all
 * with their properties, so that shards of other plans do not merge.
 */
function shardOf(checks: GateCheck[], shard: string | undefined, texts: Map<string, string>): { checks: GateCheck[]; meta: ShardMeta | null } {
  const partition = shard === undefined ? null : parsePartition(shard);
  if (partition === null) return { checks, meta: null };
  // Everything that decides a configuration's results: the model's text, the constants, the engine, the bounds
  // and reductions, the configurations learnt from and the verdicts expected.
  const digest = createHash('sha256');
  const modelText = new Map<string, string>();
  const textDigest = (path: string): string => {
    let d = modelText.get(path);
    if (d === undefined) modelText.set(path, (d = createHash('sha256').update(texts.get(path) ?? '').digest('hex')));
    return d;
  };
  for (const c of checks) {
    const { block } = c;
    const bounds = Object.entries(block.bounds).sort(([a], [b]) => (a < b ? -1 : 1));
    const learnFrom = block.learnFrom.map((l) => l.sets.join(',')).join(' ');
    const expected = block.expectations.map((e) => `${e.property}=${e.verdict}`).join(' ');
    digest.update(`${suiteName(c)}\t${textDigest(block.modelPath)}\t${block.engine}\t${JSON.stringify(bounds)}\t${learnFrom}\t${expected}\n`);
  }
  const meta: ShardMeta = { shard: partition.index, of: partition.of, configurations: checks.length, plans: digest.digest('hex').slice(0, 16) };
  return { checks: checks.filter((_, k) => inShard(k, partition.index, partition.of)), meta };
}

function writeReport(path: string, report: string): boolean {
  try {
    writeFileSync(path, report);
    return true;
  } catch (e) {
    process.stderr.write(`schedcheck: cannot write '${path}': ${e instanceof Error ? e.message : String(e)}\n`);
    return false;
  }
}

/**
 * `schedcheck gate [PLAN...] [--shard I/N] [--format text|junit|sarif] [--output FILE] [--html DIR]`: 0 when every checkable
 * result is the expected one, 1 when one is not (or a run stopped at a bound), 2 when a plan is bad (or an HTML
 * report cannot be written).
 */
export async function gateCommand(args: GateArgs): Promise<number> {
  const found = planFiles(args.plans);
  const loaded = loadPlans(found.files);
  const diagnostics = [...found.diagnostics, ...loaded.diagnostics];
  if (diagnostics.length > 0) {
    printDiagnostics(diagnostics, (file) => loaded.texts.get(file) ?? '');
    return 2;
  }

  const { checks, meta } = shardOf(loaded.checks, args.shard, loaded.texts);
  const text = args.format === 'text';
  const w = widths(checks);
  // The table goes to stdout unless it is the report itself being written elsewhere; with --format junit or
  // sarif, stdout carries the report (or nothing, with --output) and the table goes to stderr as progress.
  const table = text && args.output === undefined ? process.stdout : process.stderr;
  table.write(`${line(HEADERS, w)}\n`);
  const stream = table === process.stdout ? 'stdout' : 'stderr';
  const run = await runChecks(checks, (row) => table.write(`${line(cells(row, stream), w)}\n`), { progress: true });
  const tail = [...failures(run), summary(run, meta)].join('\n') + '\n';
  table.write(tail);

  let written = true;
  if (!text || args.output !== undefined) {
    const report = args.format === 'junit' ? junit(run, meta) : args.format === 'sarif' ? sarif(run, meta) : [line(HEADERS, w), ...run.rows.map((r) => line(cells(r), w))].join('\n') + '\n' + tail;
    if (args.output === undefined) process.stdout.write(report);
    else written = writeReport(args.output, report);
  }
  // One run, every report CI wants: `--junit FILE` and `--sarif FILE` besides the table.
  if (args.junit !== undefined) written = writeReport(args.junit, junit(run, meta)) && written;
  if (args.sarif !== undefined) written = writeReport(args.sarif, sarif(run, meta)) && written;
  if (args.html !== undefined) {
    const entries = run.rows.flatMap((r) =>
      r.result.verdict === 'violated'
        ? [{ model: displayPath(r.check.block.modelPath), config: r.check.label, engine: r.result.engine, expected: r.expected === 'violated', cex: r.result.counterexample, program: r.check.program }]
        : [],
    );
    const html = await writeHtmlReports(entries, args.html);
    for (const problem of html.problems) process.stderr.write(`schedcheck: ${problem}\n`);
    process.stderr.write(`gate: ${html.written} HTML report${html.written === 1 ? '' : 's'} in ${args.html} (index.html lists them)\n`);
    if (html.problems.length > 0) written = false;
  }
  if (!written) return 2;
  return run.rows.some((r) => r.status === 'fail') ? 1 : 0;
}
