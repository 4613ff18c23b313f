// A gate split across CI jobs (`gate --shard I/N`) and put back together (`schedcheck merge`). The gate's model
// configurations (each checked once for its block's properties) are dealt like cards: configuration k of the
// unsharded run (0-based) goes to shard k mod N + 1, so each shard gets a share of every plan's small and large
// configurations. A shard's JUnit and SARIF reports are the unsharded run's reports restricted to its
// configurations, plus what the merge needs to restore the unsharded order: the shard, the number of
// configurations and a digest of them all (an XML comment in JUnit, a run property in SARIF). The
// merge checks that the shards fit together, deals the entries back and drops that record: the result is the
// report one unsharded run writes, up to the timings.

import type { Diagnostic } from '../lang/diagnostics.js';
import { pointSpan } from '../lang/source.js';

/** More jobs than this is a typo, not a plan: a swarm of 10000 machines is far past any CI matrix. */
export const MAX_JOBS = 10_000;

export interface ShardMeta {
  /** 1-based shard index, of `of`. */
  shard: number;
  of: number;
  /** Model configurations of the unsharded run (every shard's together), each checked for its properties. */
  configurations: number;
  /** Digest of the unsharded run's configurations and properties: shards of different plans (or commits) do not merge. */
  plans: string;
}

/** How many of `total` configurations shard `index` (1-based) of `of` checks. */
export function shardSize(index: number, of: number, total: number): number {
  return total >= index ? Math.floor((total - index) / of) + 1 : 0;
}

/** Whether configuration k (0-based) of the unsharded run belongs to shard `index` of `of`. */
export function inShard(k: number, index: number, of: number): boolean {
  return k % of === index - 1;
}

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const COMMENT = /^<!-- schedcheck gate shard ([0-9]+)\/([0-9]+): configurations ([0-9]+), plans ([0-9a-f]{16}) -->$/;

/** A shard's JUnit report: the report of its configurations, with the shard recorded in a comment after the declaration. */
export function shardJunit(junit: string, meta: ShardMeta): string {
  if (!junit.startsWith(`${DECLARATION}\n`)) throw new Error('JUnit report without its XML declaration');
  const comment = `<!-- schedcheck gate shard ${meta.shard}/${meta.of}: configurations ${meta.configurations}, plans ${meta.plans} -->`;
  return `${DECLARATION}\n${comment}\n${junit.slice(DECLARATION.length + 1)}`;
}

type Json = Record<string, unknown>;

export interface SarifShardRecord extends ShardMeta {
  /** Per configuration of this shard, in order: the results and tool notifications it contributed. */
  results: number[];
  notifications: number[];
}

/** A shard's SARIF log: the log of its configurations with the shard record as the run's property `schedcheckShard`. */
export function shardSarif(log: { runs: Json[] } & Json, perCheck: { results: number; notifications: number }[], meta: ShardMeta): string {
  const record: SarifShardRecord = { ...meta, results: perCheck.map((c) => c.results), notifications: perCheck.map((c) => c.notifications) };
  const runs = log.runs.map((run) => ({ ...run, properties: { schedcheckShard: record } }));
  return `${JSON.stringify({ ...log, runs }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Merging

export interface MergeInput {
  file: string;
  text: string;
}

/** `failed` (JUnit only): the merged report has a failure or an error, as the unsharded gate would exit 1. */
export type MergeResult = { ok: true; text: string; failed?: boolean } | { ok: false; diagnostics: Diagnostic[] };

function problem(file: string, code: string, message: string, line = 1, col = 1): Diagnostic {
  return { code, severity: 'error', message, span: pointSpan(file, line, col) };
}

/** Whether `text` looks like a gate shard's JUnit report (the merge's first sorting of its inputs). */
export function isJunit(text: string): boolean {
  return text.startsWith('<?xml');
}

/** The shards fit together: the same N, configurations and plans, each shard once, none missing. */
function fitTogether(shards: { file: string; meta: ShardMeta }[]): Diagnostic[] {
  const first = shards[0]!;
  const out: Diagnostic[] = [];
  const seen = new Map<number, string>();
  for (const s of shards) {
    const m = s.meta;
    if (m.of !== first.meta.of || m.configurations !== first.meta.configurations || m.plans !== first.meta.plans) {
      out.push(
        problem(
          s.file,
          'M103',
          `shard ${m.shard}/${m.of} of ${m.configurations} configurations (plans ${m.plans}) does not fit with ${first.file}, shard ${first.meta.shard}/${first.meta.of} of ${first.meta.configurations} configurations (plans ${first.meta.plans}): the shards of one merge come from one gate command over the same plans`,
        ),
      );
    } else if (seen.has(m.shard)) {
      out.push(problem(s.file, 'M103', `shard ${m.shard}/${m.of} is given twice (also ${seen.get(m.shard)})`));
    } else {
      seen.set(m.shard, s.file);
    }
  }
  if (out.length > 0) return out;
  const missing = Array.from({ length: first.meta.of }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    const names = missing.slice(0, 10).map((i) => `${i}/${first.meta.of}`);
    out.push(problem(first.file, 'M103', `shard${missing.length === 1 ? '' : 's'} ${names.join(', ')}${missing.length > 10 ? ', ...' : ''} missing: a merge needs every shard of the run`));
  }
  return out;
}

/** Deal the shards' entries back into the unsharded order: entry k from shard k mod N, its next one. */
function interleave<T>(byShard: Map<number, T[][]>, meta: ShardMeta): T[] {
  const out: T[] = [];
  for (let k = 0; k < meta.configurations; k++) out.push(...byShard.get((k % meta.of) + 1)![Math.floor(k / meta.of)]!);
  return out;
}

interface JunitShard {
  file: string;
  meta: ShardMeta;
  root: string;
  suites: string[];
}

const ROOT = /^<testsuites name="([^"]*)" tests="[0-9]+" failures="[0-9]+" errors="[0-9]+" skipped="[0-9]+" time="[0-9.]+"(\/?)>$/;
const SUITE = /^ {2}<testsuite name="[^"]*" tests="([0-9]+)" failures="([0-9]+)" errors="([0-9]+)" skipped="([0-9]+)" time="([0-9.]+)"\/?>$/;

function readJunitShard(input: MergeInput): JunitShard | Diagnostic {
  const lines = input.text.split('\n');
  const bad = (message: string, line: number): Diagnostic => problem(input.file, 'M102', message, line, 1);
  if (lines[0] !== DECLARATION) return bad('not a JUnit report written by schedcheck (no XML declaration on the first line)', 1);
  const m = COMMENT.exec(lines[1] ?? '');
  if (m === null) return bad('a JUnit report, but not one of a gate shard: `schedcheck gate --shard I/N --junit FILE` writes those', 2);
  const meta: ShardMeta = { shard: Number(m[1]), of: Number(m[2]), configurations: Number(m[3]), plans: m[4]! };
  if (meta.shard < 1 || meta.shard > meta.of || meta.of > MAX_JOBS) return bad(`shard ${meta.shard}/${meta.of} is not a shard`, 2);
  const root = ROOT.exec(lines[2] ?? '');
  if (root === null) return bad('expect the <testsuites> element of a schedcheck report here', 3);
  const suites: string[] = [];
  const closed = root[2] === '/';
  const end = closed ? 3 : lines.lastIndexOf('</testsuites>');
  if (!closed && (end < 3 || lines.slice(end + 1).join('') !== '')) return bad('the report does not end with </testsuites>', lines.length);
  for (let i = 3; i < end; i++) {
    const line = lines[i]!;
    if (line.startsWith('  <testsuite ')) {
      if (!SUITE.test(line)) return bad('expect a <testsuite> element of a schedcheck report here', i + 1);
      suites.push(line);
    } else if (suites.length === 0) {
      return bad('expect a <testsuite> element here', i + 1);
    } else {
      suites[suites.length - 1] += `\n${line}`;
    }
  }
  const want = shardSize(meta.shard, meta.of, meta.configurations);
  if (suites.length !== want) return bad(`shard ${meta.shard}/${meta.of} of ${meta.configurations} configurations has ${want} test suites, this report ${suites.length}`, 3);
  return { file: input.file, meta, root: root[1]!, suites };
}

/** The merged JUnit report of every shard's; `failed`: it has a failure or error (the gate would exit 1). */
export function mergeJunit(inputs: MergeInput[]): MergeResult {
  const shards: JunitShard[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const input of inputs) {
    const read = readJunitShard(input);
    if ('code' in read) diagnostics.push(read);
    else shards.push(read);
  }
  if (diagnostics.length === 0) diagnostics.push(...fitTogether(shards));
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  const meta = shards[0]!.meta;
  const byShard = new Map(shards.map((s) => [s.meta.shard, s.suites.map((x) => [x])]));
  const suites = interleave(byShard, meta);
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  for (const suite of suites) {
    const [, tests, failures, errors, skipped, time] = SUITE.exec(suite.split('\n')[0]!)!;
    total.tests += Number(tests);
    total.failures += Number(failures);
    total.errors += Number(errors);
    total.skipped += Number(skipped);
    total.time += Number(time);
  }
  const attrs = `name="${shards[0]!.root}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${total.time.toFixed(3)}"`;
  const body = suites.length === 0 ? `<testsuites ${attrs}/>` : `<testsuites ${attrs}>\n${suites.join('\n')}\n</testsuites>`;
  return { ok: true, text: `${DECLARATION}\n${body}\n`, failed: total.failures + total.errors > 0 };
}

interface SarifShard {
  file: string;
  meta: ShardMeta;
  log: Json & { runs: Json[] };
  results: Json[][];
  notifications: Json[][];
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function readSarifShard(input: MergeInput, log: Json): SarifShard | Diagnostic {
  const bad = (message: string): Diagnostic => problem(input.file, 'M102', message);
  const runs = log.runs;
  if (log.version !== '2.1.0' || !Array.isArray(runs) || runs.length !== 1) return bad('not a SARIF 2.1.0 log of one run, as schedcheck writes');
  const run = runs[0] as Json;
  const record = (run.properties as Json | undefined)?.schedcheckShard as Partial<SarifShardRecord> | undefined;
  if (record === undefined) return bad('a SARIF log, but not one of a gate shard: `schedcheck gate --shard I/N --sarif FILE` writes those');
  const { shard, of, configurations, plans } = record;
  const counts = [record.results, record.notifications];
  if (!isCount(shard) || !isCount(of) || !isCount(configurations) || typeof plans !== 'string' || shard < 1 || shard > of || of > MAX_JOBS || !counts.every((c) => Array.isArray(c) && c.every(isCount))) {
    return bad('the run property schedcheckShard is not a shard record');
  }
  const meta: ShardMeta = { shard, of, configurations, plans };
  const want = shardSize(shard, of, configurations);
  const results = run.results;
  const notifications = (run.invocations as Json[] | undefined)?.[0]?.toolExecutionNotifications;
  if (record.results!.length !== want || record.notifications!.length !== want || !Array.isArray(results) || !Array.isArray(notifications)) {
    return bad(`shard ${shard}/${of} of ${configurations} configurations records ${record.results!.length} configurations, expected ${want}`);
  }
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  if (sum(record.results!) !== results.length || sum(record.notifications!) !== notifications.length) {
    return bad('the shard record does not count the results and notifications of the log');
  }
  const split = (items: Json[], sizes: number[]): Json[][] => {
    let at = 0;
    return sizes.map((n) => items.slice(at, (at += n)));
  };
  return { file: input.file, meta, log: log as SarifShard['log'], results: split(results as Json[], record.results!), notifications: split(notifications as Json[], record.notifications!) };
}

/** The merged SARIF log of every shard's. */
export function mergeSarif(inputs: MergeInput[]): MergeResult {
  const shards: SarifShard[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const input of inputs) {
    let log: unknown;
    try {
      log = JSON.parse(input.text);
    } catch (e) {
      diagnostics.push(problem(input.file, 'M102', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`));
      continue;
    }
    const read = typeof log === 'object' && log !== null && !Array.isArray(log) ? readSarifShard(input, log as Json) : problem(input.file, 'M102', 'not a SARIF log');
    if ('code' in read) diagnostics.push(read);
    else shards.push(read);
  }
  if (diagnostics.length === 0) diagnostics.push(...fitTogether(shards));
  if (diagnostics.length === 0) {
    const tool = JSON.stringify(shards[0]!.log.runs[0]!.tool);
    for (const s of shards) {
      if (JSON.stringify(s.log.runs[0]!.tool) !== tool) diagnostics.push(problem(s.file, 'M103', `written by another schedcheck (its tool record differs from ${shards[0]!.file})`));
    }
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  const meta = shards[0]!.meta;
  const results = interleave(new Map(shards.map((s) => [s.meta.shard, s.results])), meta);
  const notifications = interleave(new Map(shards.map((s) => [s.meta.shard, s.notifications])), meta);
  const { properties: _dropped, ...run } = shards[0]!.log.runs[0]!;
  const invocations = (run.invocations as Json[]).map((inv, i) => (i === 0 ? { ...inv, toolExecutionNotifications: notifications } : inv));
  const merged = { ...shards[0]!.log, runs: [{ ...run, invocations, results }] };
  return { ok: true, text: `${JSON.stringify(merged, null, 2)}\n` };
}
