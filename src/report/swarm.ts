// Swarm verification (Holzmann, Joshi and Groce, IEEE TSE 2011) across machines: `check MODEL --swarm I/N`
// runs job I of N, a hash-compacted search with the job's own fingerprint functions and order of actions, and
// writes its result as JSON; `schedcheck merge` combines the jobs' results into one verdict per property. A
// violation any job found is reported, with the shortest counterexample among the jobs (replayed on the model's
// reference semantics before it is believed); `holds` needs a job that searched every reachable state (up to its
// fingerprints' collision probability); anything else is inconclusive.

import type { CheckReport, Counterexample, InconclusiveReason } from '../checker/verdict.js';
import { PROPERTY_IDS, type PropertyId } from '../ir/ir.js';
import type { Diagnostic } from '../lang/diagnostics.js';
import { pointSpan } from '../lang/source.js';
import type { ModelInfo } from './dot.js';
import { fromItf, toItf } from './itf.js';
import { MAX_JOBS } from './shard.js';

export const SWARM_FORMAT = 'schedcheck-swarm-job';
export const SWARM_VERSION = 1;

export type SwarmPropertyResult =
  | { property: PropertyId; verdict: 'holds'; complete: boolean }
  | { property: PropertyId; verdict: 'violated'; length: number; counterexample: unknown }
  | { property: PropertyId; verdict: 'inconclusive'; reason: InconclusiveReason; detail: string };

/** What one job writes. */
export interface SwarmJobResult {
  format: typeof SWARM_FORMAT;
  version: number;
  job: number;
  of: number;
  /** The model path as the job was given it, its constants (`--set`) and a digest of its text. */
  model: string;
  sets: string[];
  config: string;
  modelDigest: string;
  properties: PropertyId[];
  /** How the job searched: its fingerprint salt, its action order, the bounds it was given. */
  search: { salt: number; order: 'model' | 'shuffled'; maxStates: number | null; maxDepth: number | null; timeoutSeconds: number | null };
  /** Distinct states stored, transitions, depth reached, seconds. */
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  /**
   * Every reachable state was searched (no bound stopped it, and it did not end early with every property
   * decided), up to `collisionProbability`.
   */
  complete: boolean;
  collisionProbability: number | null;
  results: SwarmPropertyResult[];
}

export interface SwarmJobSpec {
  job: number;
  of: number;
  model: string;
  sets: string[];
  config: string;
  modelDigest: string;
  salt: number;
  bounds: { maxStates?: number; maxDepth?: number; timeoutSeconds?: number };
}

/** A job's result from its check report. */
export function swarmJobResult(spec: SwarmJobSpec, report: CheckReport, program: ModelInfo): SwarmJobResult {
  const results = report.results.map((r): SwarmPropertyResult => {
    switch (r.verdict) {
      case 'holds':
        return { property: r.property, verdict: 'holds', complete: r.complete };
      case 'violated':
        return { property: r.property, verdict: 'violated', length: r.counterexample.length, counterexample: toItf(r.counterexample, program) };
      case 'inconclusive':
        return { property: r.property, verdict: 'inconclusive', reason: r.reason, detail: r.detail };
    }
  });
  const widest = report.results.reduce((a, b) => (b.stats.states > a.stats.states ? b : a), report.results[0]!);
  return {
    format: SWARM_FORMAT,
    version: SWARM_VERSION,
    job: spec.job,
    of: spec.of,
    model: spec.model,
    sets: spec.sets,
    config: spec.config,
    modelDigest: spec.modelDigest,
    properties: report.results.map((r) => r.property),
    search: {
      salt: spec.salt,
      order: spec.job === 1 ? 'model' : 'shuffled',
      maxStates: spec.bounds.maxStates ?? null,
      maxDepth: spec.bounds.maxDepth ?? null,
      timeoutSeconds: spec.bounds.timeoutSeconds ?? null,
    },
    states: widest.stats.states,
    transitions: widest.stats.transitions,
    depth: widest.stats.depth,
    seconds: widest.stats.seconds,
    // The explicit engine reports its figures only after a search of every reachable state (not one a bound
    // stopped, nor one that ended once every property was decided).
    complete: report.figures !== undefined,
    collisionProbability: report.reductions?.hashCompaction?.collisionProbability ?? null,
    results,
  };
}

/** Whether a parsed JSON value is a swarm job's result (by its format field; the rest is checked on reading). */
export function isSwarmResult(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === SWARM_FORMAT;
}

// ---------------------------------------------------------------------------------------------------------
// Merging

export interface SwarmInput {
  file: string;
  value: unknown;
}

/** Replays a counterexample on the model: null when it is a path of the model, else why not. */
export type Replayer = (job: SwarmJobResult, cex: Counterexample) => string | null;

export type MergedProperty =
  | { property: PropertyId; verdict: 'violated'; job: number; length: number; counterexample: Counterexample; itf: unknown; foundBy: number[] }
  | { property: PropertyId; verdict: 'holds'; job: number; collisionProbability: number | null }
  | { property: PropertyId; verdict: 'inconclusive'; reason: InconclusiveReason; detail: string };

export interface MergedSwarm {
  model: string;
  sets: string[];
  config: string;
  of: number;
  jobs: { job: number; file: string; states: number; transitions: number; depth: number; seconds: number; complete: boolean }[];
  results: MergedProperty[];
}

function bad(file: string, code: string, message: string): Diagnostic {
  return { code, severity: 'error', message, span: pointSpan(file, 1, 1) };
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** The shape of a job's result, or why it is not one. */
function readJob(input: SwarmInput): SwarmJobResult | string {
  const v = input.value as Partial<SwarmJobResult>;
  if (v.version !== SWARM_VERSION) return `a swarm job result of version ${String(v.version)}; this schedcheck reads version ${SWARM_VERSION}`;
  if (!isCount(v.job) || !isCount(v.of) || v.job < 1 || v.job > v.of || v.of > MAX_JOBS) return 'job and of are not a job I of N';
  if (typeof v.model !== 'string' || !isStrings(v.sets) || typeof v.config !== 'string' || typeof v.modelDigest !== 'string') return 'the model is not recorded';
  if (!isStrings(v.properties) || !v.properties.every((p) => (PROPERTY_IDS as readonly string[]).includes(p))) return 'the properties are not property ids';
  if (![v.states, v.transitions, v.depth].every(isCount) || typeof v.seconds !== 'number' || typeof v.complete !== 'boolean') return 'the search figures are missing';
  if (v.collisionProbability !== null && (typeof v.collisionProbability !== 'number' || !(v.collisionProbability >= 0 && v.collisionProbability <= 1))) {
    return 'the collision probability is not a probability';
  }
  const search = v.search as Partial<SwarmJobResult['search']> | undefined;
  const bound = (x: unknown): boolean => x === null || (typeof x === 'number' && x >= 0);
  if (typeof search !== 'object' || search === null || !isCount(search.salt) || (search.order !== 'model' && search.order !== 'shuffled') || ![search.maxStates, search.maxDepth, search.timeoutSeconds].every(bound)) {
    return 'how the job searched is not recorded';
  }
  if (!Array.isArray(v.results) || v.results.length !== v.properties.length) return 'not one result per property';
  for (const [i, r] of v.results.entries()) {
    const ok =
      typeof r === 'object' &&
      r !== null &&
      r.property === v.properties[i] &&
      ((r.verdict === 'holds' && typeof r.complete === 'boolean') ||
        (r.verdict === 'violated' && isCount(r.length) && typeof r.counterexample === 'object') ||
        (r.verdict === 'inconclusive' && typeof r.reason === 'string' && typeof r.detail === 'string'));
    if (!ok) return `result ${i + 1} (${String((r as { property?: unknown })?.property)}) is not a verdict`;
  }
  return v as SwarmJobResult;
}

/**
 * One verdict per property from the jobs' results. Every job must be of one swarm: the same model text and
 * constants, properties and N (M105), each job once (M103). A counterexample that does not read back or does
 * not replay on the model is bad input (M106): a job's result is believed only as far as the model confirms it.
 */
export function mergeSwarm(inputs: SwarmInput[], replay: Replayer): { ok: true; merged: MergedSwarm } | { ok: false; diagnostics: Diagnostic[] } {
  const jobs: { file: string; job: SwarmJobResult }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const input of inputs) {
    const read = readJob(input);
    if (typeof read === 'string') diagnostics.push(bad(input.file, 'M102', `not a swarm job's result: ${read}`));
    else jobs.push({ file: input.file, job: read });
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  const first = jobs[0]!;
  const seen = new Map<number, string>();
  for (const { file, job } of jobs) {
    const same =
      job.model === first.job.model &&
      job.modelDigest === first.job.modelDigest &&
      job.config === first.job.config &&
      job.of === first.job.of &&
      job.properties.join(' ') === first.job.properties.join(' ');
    if (!same) {
      diagnostics.push(
        bad(file, 'M105', `job ${job.job}/${job.of} of ${job.model} [${job.config}] (${job.properties.length} properties) is not of the swarm of ${first.file}, job ${first.job.job}/${first.job.of} of ${first.job.model} [${first.job.config}]: the jobs of one merge check one model text with the same constants and properties`),
      );
    } else if (seen.has(job.job)) {
      diagnostics.push(bad(file, 'M103', `job ${job.job}/${job.of} is given twice (also ${seen.get(job.job)})`));
    } else seen.set(job.job, file);
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  jobs.sort((a, b) => a.job.job - b.job.job);

  const results = first.job.properties.map((property, i): MergedProperty => {
    const all = jobs.map(({ file, job }) => ({ file, job, r: job.results[i]! }));
    const found = all.filter((x) => x.r.verdict === 'violated');
    if (found.length > 0) {
      // The shortest counterexample; among equals, the lowest job's.
      const ordered = [...found].sort((a, b) => (a.r as { length: number }).length - (b.r as { length: number }).length || a.job.job - b.job.job);
      const best = ordered[0]!;
      const itf = (best.r as { counterexample: unknown }).counterexample;
      const read = fromItf(itf);
      if (!read.ok) {
        diagnostics.push(bad(best.file, 'M106', `the ${property} counterexample of job ${best.job.job} does not read back: ${read.problem.code} ${read.problem.message}`));
      } else {
        const why = replay(best.job, read.counterexample);
        if (why !== null) diagnostics.push(bad(best.file, 'M106', `the ${property} counterexample of job ${best.job.job} does not replay on ${best.job.model}: ${why}`));
        return { property, verdict: 'violated', job: best.job.job, length: read.counterexample.length, counterexample: read.counterexample, itf, foundBy: found.map((x) => x.job.job) };
      }
    }
    const proof = all.find((x) => x.r.verdict === 'holds' && x.r.complete && x.job.complete);
    if (proof !== undefined) return { property, verdict: 'holds', job: proof.job.job, collisionProbability: proof.job.collisionProbability };
    const notCheckable = all.find((x) => x.r.verdict === 'inconclusive' && x.r.reason === 'not-checkable');
    if (notCheckable !== undefined && notCheckable.r.verdict === 'inconclusive') return { property, verdict: 'inconclusive', reason: 'not-checkable', detail: notCheckable.r.detail };
    const stopped = all.find((x) => x.r.verdict === 'inconclusive');
    const reason: InconclusiveReason = stopped !== undefined && stopped.r.verdict === 'inconclusive' ? stopped.r.reason : 'max-states';
    const missing = first.job.of - jobs.length;
    const detail = `no job searched every reachable state (${jobs.length} of ${first.job.of} jobs merged${missing > 0 ? `, ${missing} missing` : ''}) and none found a violation`;
    return { property, verdict: 'inconclusive', reason, detail };
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  return {
    ok: true,
    merged: {
      model: first.job.model,
      sets: first.job.sets,
      config: first.job.config,
      of: first.job.of,
      jobs: jobs.map(({ file, job }) => ({ job: job.job, file, states: job.states, transitions: job.transitions, depth: job.depth, seconds: job.seconds, complete: job.complete })),
      results,
    },
  };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** The merged verdicts as text: one line per job, one per property. */
export function formatSwarmText(m: MergedSwarm): string {
  const lines = [`swarm: ${m.model} [${m.config}]: ${m.jobs.length} of ${m.of} jobs merged`];
  for (const j of m.jobs) lines.push(`  job ${j.job}/${m.of}: ${fmt(j.states)} states, ${fmt(j.transitions)} transitions, depth ${j.depth}, ${j.complete ? 'every reachable state' : 'not every state (a bound, or every property decided)'} (${j.file})`);
  const width = Math.max(...m.results.map((r) => r.property.length));
  for (const r of m.results) {
    const name = r.property.padEnd(width);
    if (r.verdict === 'violated') {
      lines.push(`${name}  violated: ${r.counterexample.message} (${r.length} steps, the shortest, job ${r.job}; found by job${r.foundBy.length === 1 ? '' : 's'} ${r.foundBy.join(', ')}; replayed on the model)`);
    } else if (r.verdict === 'holds') {
      const p = r.collisionProbability === null ? '' : `, P(fingerprint collision) ${r.collisionProbability.toExponential(1)}`;
      lines.push(`${name}  holds (job ${r.job} searched every reachable state${p})`);
    } else lines.push(`${name}  inconclusive (${r.reason}): ${r.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The merged verdicts as JSON; a violation carries its counterexample as the job wrote it (ITF). */
export function formatSwarmJson(m: MergedSwarm): string {
  const results = m.results.map((r) =>
    r.verdict === 'violated'
      ? { property: r.property, verdict: r.verdict, job: r.job, length: r.length, foundBy: r.foundBy, counterexample: r.itf }
      : r.verdict === 'holds'
        ? { property: r.property, verdict: r.verdict, job: r.job, collisionProbability: r.collisionProbability }
        : { property: r.property, verdict: r.verdict, reason: r.reason, detail: r.detail },
  );
  return `${JSON.stringify({ model: m.model, sets: m.sets, config: m.config, of: m.of, jobs: m.jobs, results }, null, 2)}\n`;
}

/** Exit code of the merged verdicts, as `check`'s: 1 a violation, 3 something undecided, 0 every property holds. */
export function swarmExitCode(m: MergedSwarm): number {
  if (m.results.some((r) => r.verdict === 'violated')) return 1;
  if (m.results.some((r) => r.verdict === 'inconclusive')) return 3;
  return 0;
}
