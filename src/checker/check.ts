// The entry point every front end of the checker uses (CLI, gate, tests): a program and the properties to
// check, in one exploration, to one report.

import { PROPERTY_IDS, type Program, type PropertyId } from '../ir/ir.js';
import { buildModel, ModelTooLarge } from '../hw/build.js';
import { loadModel } from '../lang/load.js';
import type { Diagnostic } from '../lang/diagnostics.js';
import { pointSpan } from '../lang/source.js';
import { compiledFor, explore, memoryLimitOf, type ExploreBounds, type ExploreResult } from './explicit/explore.js';
import { addressSpaceLimit } from './explicit/memory.js';
import { FigureCollector } from './explicit/figures.js';
import { CheckpointRefused, type Checkpoint, type CheckpointOf } from './explicit/checkpoint.js';
import { searchPartitioned, ShardPool, ShardsUnavailable, type Handover, type PartitionedOutcome, type PartitionOptions } from './explicit/workers.js';
import type { Model } from '../ir/model.js';
import { PROPERTIES } from './properties/index.js';
import { USER_MODE_FAIRNESS } from './properties/no-starvation.js';
import type { Exploration, Finding, Monitor } from './properties/property.js';
import type { CheckReport, Counterexample, CycleTrace, Figures, PropertyResult, Stats } from './verdict.js';
import { traceOf } from './view.js';
import type { VisitedStates } from './explicit/visited.js';

export interface CheckOptions {
  /** The properties to check; default `defaultProperties(program)` (every property, irq-latency only with a bound). */
  properties?: PropertyId[];
  engine?: 'explicit' | 'smt' | 'both';
  maxDepth?: number;
  maxStates?: number;
  maxMemoryMb?: number;
  timeoutSeconds?: number;
  /** A progress line on stderr when it is a terminal (default true). */
  progress?: boolean;
  /**
   * Hash compaction: keep a 64-bit fingerprint per state (at most 8 bytes) instead of the state. Properties that
   * need the state graph are only checked for violations; `report.reductions` gives the collision probability.
   */
  hashCompaction?: boolean;
  /** Symmetry reduction over interchangeable threads (off by default); see src/checker/explicit/symmetry.ts. */
  symmetry?: boolean;
  /**
   * Swarm job `job` of `of` (`check --swarm I/N`): a hash-compacted search diversified by the job (ExploreBounds.
   * swarmJob); swarm.ts writes its result for `schedcheck merge`.
   */
  swarm?: { job: number; of: number };
  /** Which loop runs the exact search (explore.ts's ExploreBounds.searchLoop; not on the command line: for tests). */
  searchLoop?: 'wasm' | 'js';
  /** The WebAssembly store's memory cap (ExploreBounds.wasmMemoryBytes; not on the command line: for tests). */
  wasmMemoryBytes?: number;
  /** `--spill-dir DIR`: states the search core's store moves out of its memory go to a file there (ExploreBounds.spillDir). */
  spillDir?: string;
  /** SMT: smaller configurations of the model to learn per-thread invariants from (smt/learn.ts). */
  learnFrom?: Program[];
  /**
   * Threads of the explicit search (`--workers`; default 1): a search that grows past `partitionAt` states goes
   * on hash-partitioned over this many worker threads (explicit/workers.ts), where it can check the properties
   * asked. Counts and verdicts are those of one thread.
   */
  workers?: number;
  /** Told why a search asked to run over several workers ran in one thread (ExploreResult.notPartitioned). */
  note?: (text: string) => void;
  /** States a search reaches before it is partitioned (default PARTITION_AT; tests set less). */
  partitionAt?: number;
  /** Run a partitioned search's shards in this thread, one after another (tests, the bench's simulations). */
  partitionInProcess?: boolean;
  /** `--checkpoint DIR`: write checkpoints of the explicit search (explicit/checkpoint.ts); no partitioning then. */
  checkpoint?: { dir: string; of: CheckpointOf; everySeconds: number };
  /** `--resume DIR`: go on with the search of a checkpoint read (and checked) by the caller. */
  resume?: Checkpoint;
  /** SMT: also try a bit-level IC3 proof with ABC (smt/aig/pdr.ts; `--pdr`). */
  pdr?: boolean;
}

/**
 * A search is partitioned only once it has this many states (the worker threads start at a twentieth of it, each
 * loading the checker and compiling the model meanwhile): enough to learn which words the owner's hash may leave
 * out (ownership.ts), and early enough that little of a large search runs in one thread.
 */
export const PARTITION_AT = 20_000;

const NO_STATS: Stats = { states: 0, transitions: 0, depth: 0, seconds: 0 };

function counterexample(model: Model, store: VisitedStates, property: PropertyId, finding: Finding): Counterexample {
  const halves = cycleTraces(model, store, finding);
  const path = store.path(finding.state);
  const states = path.states;
  const actions = path.actions;
  if (finding.action !== null) {
    actions.push(finding.action);
    states.push(model.successor(states[states.length - 1]!, finding.action).next);
  }
  // A lasso: steps stem+1.. repeat forever (the state after the last step is the state after step `stem`).
  const stem = actions.length;
  for (const action of finding.loop ?? []) {
    actions.push(action);
    states.push(model.successor(states[states.length - 1]!, action).next);
  }
  return {
    property,
    message: finding.message,
    length: actions.length,
    steps: traceOf(model, states, actions),
    ...(finding.loop ? { loop: stem + 1 } : {}),
    ...(finding.scenario ? { scenario: finding.scenario } : {}),
    ...(finding.details ? { details: finding.details } : {}),
    ...(finding.lockGraph ? { lockGraph: finding.lockGraph } : {}),
    ...(halves ? { cycleTraces: halves } : {}),
    violationSpan: finding.violationSpan,
  };
}

/** The other halves of a lock-order cycle, each traced to the acquire that first showed it. */
function cycleTraces(model: Model, store: VisitedStates, finding: Finding): CycleTrace[] | undefined {
  if (finding.otherHalves === undefined || finding.otherHalves.length === 0) return undefined;
  return finding.otherHalves.map(({ title, state, action }) => {
    const path = store.path(state);
    path.actions.push(action);
    path.states.push(model.successor(path.states[path.states.length - 1]!, action).next);
    return { title, length: path.actions.length, steps: traceOf(model, path.states, path.actions) };
  });
}

/**
 * With `--engine both`: a verdict of one engine that the other contradicts is a bug in one of them, never a
 * result to print. Contradictions: a proof (`holds`, complete) against a violation, and two counterexamples of
 * different lengths for a property both engines search completely (both are shortest). The SMT engine's
 * `not-checkable` and bounded answers contradict nothing.
 */
export function disagreement(explicit: PropertyResult, smt: PropertyResult): string | null {
  const proof = (r: PropertyResult): boolean => r.verdict === 'holds' && r.complete;
  if (explicit.verdict === 'violated' && proof(smt)) return `${explicit.property}: the explicit engine found a violation in ${explicit.counterexample.length} steps, the SMT engine proved it holds`;
  if (smt.verdict === 'violated' && proof(explicit)) return `${smt.property}: the SMT engine found a violation in ${smt.counterexample.length} steps, the explicit engine explored every state and found none`;
  if (explicit.verdict === 'violated' && smt.verdict === 'violated' && explicit.counterexample.length !== smt.counterexample.length && SHORTEST_IN_BOTH.has(explicit.property)) {
    return `${explicit.property}: shortest counterexamples of ${explicit.counterexample.length} steps (explicit) and ${smt.counterexample.length} steps (SMT)`;
  }
  return null;
}

/**
 * Properties whose every violation both engines search for by length. no-deadlock and eoi-discipline are not:
 * the explicit engine also reports, after a complete search, states from which no progress (or no EOI) is
 * reachable, which can be shorter than the first stuck state or bad EOI the SMT engine can see.
 */
const SHORTEST_IN_BOTH = new Set<PropertyId>(['stack-integrity', 'atomic-sleep', 'assertions', 'lock-order', 'irq-lock-safety', 'irq-latency']);

export class EnginesDisagree extends Error {}

/**
 * One verdict per property of a report. With `--engine both` a property has a result of each engine, which do
 * not contradict each other (checked when they were made): it is violated when either engine found a
 * violation, holds when either proved it, and inconclusive only when neither decided it (a correct design whose
 * liveness only the explicit engine can check still holds).
 */
export function combinedVerdicts(results: PropertyResult[]): PropertyResult['verdict'][] {
  const by = new Map<PropertyId, PropertyResult['verdict'][]>();
  for (const r of results) by.set(r.property, [...(by.get(r.property) ?? []), r.verdict]);
  return [...by.values()].map((v) => (v.includes('violated') ? 'violated' : v.includes('holds') ? 'holds' : 'inconclusive'));
}

/**
 * The properties checked when none is named: every one the model gives a meaning to. irq-latency needs the
 * model's `latency` bound; without one it is not run at all (no verdict), so a correct design without a bound
 * holds on everything that was checked. Named explicitly, it is run and answers "not checkable".
 */
export function defaultProperties(program: Pick<Program, 'latencyBound'>): PropertyId[] {
  return PROPERTY_IDS.filter((id) => id !== 'irq-latency' || program.latencyBound !== null);
}

/** A property's fairness assumption, with the user-mode one where the model has user-mode code. */
function fairnessOf(fairness: string | undefined, program: Program): string | undefined {
  const user = program.units.some((u) => (u.user ?? []).length > 0);
  return fairness === undefined || !user ? fairness : `${fairness}; ${USER_MODE_FAIRNESS}`;
}

export async function checkProgram(program: Program, options: CheckOptions): Promise<CheckReport> {
  const properties = options.properties ?? defaultProperties(program);
  const engine = options.engine ?? 'explicit';
  const started = Date.now();
  const smt = async (): Promise<PropertyResult[]> => {
    // With both engines, the SMT engine has what the explicit one left of the time.
    const left = options.timeoutSeconds === undefined ? undefined : Math.max(0, options.timeoutSeconds - (Date.now() - started) / 1000);
    // The SMT engine's modules are loaded when it runs: an explicit check starts without them.
    const { checkWithSmt } = await import('./smt/check.js');
    return checkWithSmt(program, properties, { maxDepth: options.maxDepth, timeoutSeconds: left, maxMemoryMb: options.maxMemoryMb, learnFrom: options.learnFrom, pdr: options.pdr });
  };
  if (engine === 'smt') return { model: program.file, results: await smt() };

  let model: Model;
  try {
    model = buildModel(program);
  } catch (error) {
    if (!(error instanceof ModelTooLarge)) throw error;
    const results = properties.map((property): PropertyResult => ({
      property,
      engine: 'explicit',
      verdict: 'inconclusive',
      reason: 'not-checkable',
      detail: `the model is too large: ${error.message}`,
      stats: NO_STATS,
    }));
    return { model: program.file, results };
  }

  const notCheckable = new Map<PropertyId, string>();
  const monitorsFor = (x: Exploration): Map<PropertyId, Monitor> => {
    const monitors = new Map<PropertyId, Monitor>();
    for (const id of properties) {
      const monitor = PROPERTIES[id].monitor(x);
      if ('notCheckable' in monitor) notCheckable.set(id, monitor.notCheckable);
      else monitors.set(id, monitor);
    }
    return monitors;
  };
  const bounds: ExploreBounds = {
    maxStates: options.maxStates,
    maxDepth: options.maxDepth,
    timeoutSeconds: options.timeoutSeconds,
    maxMemoryMb: options.maxMemoryMb,
    progress: options.progress,
    hashCompaction: options.hashCompaction,
    symmetry: options.symmetry,
    searchLoop: options.searchLoop,
    wasmMemoryBytes: options.wasmMemoryBytes,
    spillDir: options.spillDir,
    swarmJob: options.swarm?.job,
    checkpoint: options.checkpoint,
    resume: options.resume,
  };
  // A partitioned search keeps its states in the shards, where no checkpoint reads them. Under an address-space
  // limit (ulimit -v) it runs in one thread: a worker thread that cannot reserve its address space ends the
  // process (V8's fatal out-of-memory, which no code can catch), where one thread ends inconclusive at the limit.
  const spaceLimited = addressSpaceLimit() !== null;
  const workers = options.checkpoint === undefined && options.resume === undefined && !spaceLimited ? (options.workers ?? 1) : 1;
  if (spaceLimited && (options.workers ?? 1) > 1) {
    options.note?.(`--workers ${options.workers}: the search ran in one thread: an address-space limit (ulimit -v) is in effect`);
  }
  const partitionOptions = (): PartitionOptions => ({
    program,
    properties: properties.filter((p) => !notCheckable.has(p)),
    shards: workers,
    inProcess: options.partitionInProcess,
    started,
    timeoutSeconds: options.timeoutSeconds,
    memoryLimit: memoryLimitOf(bounds),
    wasmMemoryBytes: options.wasmMemoryBytes,
    spillDir: options.spillDir,
    progress: options.progress,
    // The module the search compiled for this program: the shards instantiate it instead of compiling their own.
    image: compiledFor(model)?.image ?? undefined,
  });
  // The shards start while the search that hands them its states goes on (ExploreBounds.handover.prepare).
  let pool: ShardPool | null = null;
  const partitioned =
    workers > 1
      ? {
          at: options.partitionAt ?? PARTITION_AT,
          shards: workers,
          prepare: () => (pool = new ShardPool(partitionOptions())),
          ready: () => (pool as ShardPool | null)?.ready() ?? true,
        }
      : undefined;
  let result: ExploreResult;
  try {
    result = explore(model, monitorsFor, { ...bounds, handover: partitioned }, started);
  } catch (error) {
    await (pool as ShardPool | null)?.close();
    throw error;
  }
  if (result.handover !== null) result = await goOnPartitioned(result, result.handover);
  else await (pool as ShardPool | null)?.close();
  if (result.notPartitioned !== null) options.note?.(`--workers ${workers}: the search ran in one thread: ${result.notPartitioned}`);
  /** The rest of a handed-over search, in shards; a violation is found again, with its path, by one thread. */
  async function goOnPartitioned(first: ExploreResult, handover: Handover): Promise<ExploreResult> {
    let outcome: PartitionedOutcome | null = null;
    try {
      const options = partitionOptions();
      outcome = await searchPartitioned(handover, options, pool ?? new ShardPool(options));
    } catch (error) {
      if (!(error instanceof ShardsUnavailable)) throw error;
    }
    // Shards that could not start, or a violation one found: the search in one thread, which reports it.
    if (outcome === null || outcome.found) {
      notCheckable.clear();
      return explore(model, monitorsFor, bounds, started);
    }
    let figures: Figures | null = null;
    if (outcome.figureWorsts !== null) {
      const collector = new FigureCollector(program, model.layout, program.latencyBound, null);
      collector.absorb(first.figureWorsts);
      collector.absorb(outcome.figureWorsts);
      figures = collector.figures();
    }
    return { ...first, stop: outcome.stop, stats: outcome.stats, figures, handover: null };
  }

  const results = properties.map((property): PropertyResult => {
    const fairness = fairnessOf(PROPERTIES[property].fairness, program);
    const verdict = verdictOf(property);
    return fairness === undefined ? verdict : { ...verdict, fairness };
  });
  function verdictOf(property: PropertyId): PropertyResult {
    const why = notCheckable.get(property);
    if (why !== undefined) {
      return { property, engine: 'explicit', verdict: 'inconclusive', reason: 'not-checkable', detail: why, stats: result.stats };
    }
    const found = result.findings.get(property);
    if (found !== undefined) {
      return {
        property,
        engine: 'explicit',
        verdict: 'violated',
        counterexample: counterexample(model, result.store, property, found.finding),
        stats: found.stats,
      };
    }
    if (result.stop !== null) {
      return { property, engine: 'explicit', verdict: 'inconclusive', reason: result.stop.reason, detail: result.stop.detail, stats: result.stats };
    }
    // A reduction kept less than this property needs (no-starvation under symmetry or hash compaction): not
    // violated is not "holds".
    const unsupported = result.unsupported.get(property);
    if (unsupported !== undefined) {
      return { property, engine: 'explicit', verdict: 'inconclusive', reason: 'not-checkable', detail: `not checked: ${unsupported}`, stats: result.stats };
    }
    return { property, engine: 'explicit', verdict: 'holds', complete: true, stats: result.stats };
  }
  const report: CheckReport = { model: program.file, results };
  if (engine === 'both') {
    const second = await smt();
    for (const [i, r] of second.entries()) {
      const why = disagreement(results[i]!, r);
      if (why !== null) throw new EnginesDisagree(`the engines disagree on ${why}`);
    }
    report.results = [...results, ...second];
  }
  if (result.figures !== null) report.figures = result.figures;
  const { hashCompaction, symmetry } = result.reductions;
  if (hashCompaction !== null || symmetry !== null || options.symmetry === true) {
    report.reductions = {
      ...(hashCompaction === null ? {} : { hashCompaction: { fingerprintBits: hashCompaction.fingerprintBits, bytesPerState: hashCompaction.bytesPerState, collisionProbability: hashCompaction.collisionProbability } }),
      ...(options.symmetry === true ? { symmetry: { groups: symmetry?.groups ?? [] } } : {}),
    };
  }
  return report;
}

/** The `--set` values of a smaller configuration `extra` (`--learn-from`) on top of `sets`: its constants replace theirs. */
export function onTop(sets: readonly string[], extra: readonly string[]): string[] {
  const name = (set: string): string => set.split('=')[0]!.trim();
  return [...sets.filter((s) => !extra.some((e) => name(e) === name(s))), ...extra];
}

export async function checkModelFile(
  file: string,
  sets: string[],
  options: CheckOptions,
  /** Smaller configurations to learn from (`--learn-from`): each a list of NAME=VALUE on top of `sets`. */
  learnFrom: string[][] = [],
): Promise<{ diagnostics: Diagnostic[]; program: Program | null; report: CheckReport | null }> {
  const loaded = loadModel(file, sets);
  if (loaded.program === null) return { diagnostics: loaded.diagnostics, program: null, report: null };
  const small = learnFrom.map((extra) => loadModel(file, onTop(sets, extra)));
  const refused = small.flatMap((l) => (l.program === null ? l.diagnostics : []));
  if (refused.length > 0) return { diagnostics: [...loaded.diagnostics, ...refused], program: null, report: null };
  const withLearning = small.length === 0 ? options : { ...options, learnFrom: small.map((l) => l.program!) };
  try {
    return { diagnostics: loaded.diagnostics, program: loaded.program, report: await checkProgram(loaded.program, withLearning) };
  } catch (error) {
    // The system refused memory past the search (drawing a counterexample, a graph analysis): that is the
    // memory limit as well, not a bug.
    if (error instanceof Error && /out of memory|cannot allocate|could not allocate|allocation failed/i.test(error.message)) {
      const properties = options.properties ?? [...PROPERTY_IDS];
      const detail = `stopped at the memory limit: the process could not allocate memory (${error.message})`;
      const results = properties.map((property): PropertyResult => ({ property, engine: 'explicit', verdict: 'inconclusive', reason: 'max-memory', detail, stats: NO_STATS }));
      return { diagnostics: loaded.diagnostics, program: loaded.program, report: { model: file, results } };
    }
    // A checkpoint the search cannot write or go on from is bad usage, said by the command line.
    if (error instanceof CheckpointRefused) throw error;
    // A bug in the checker must still answer as a diagnostic, not a stack trace.
    const why = error instanceof Error ? error.message : String(error);
    const diagnostic: Diagnostic = { code: 'E000', severity: 'error', message: `Internal error in the checker: ${why}`, span: pointSpan(file, 1, 1) };
    return { diagnostics: [...loaded.diagnostics, diagnostic], program: loaded.program, report: null };
  }
}
