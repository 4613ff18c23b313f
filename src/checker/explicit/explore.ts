// The driver of an explicit search: it chooses the store, the expander and the loop, sets up the monitors, the
// state graph, the figures and the bounds, runs the search, and turns how it ended into the result.
//
// An exact search without symmetry runs in the WebAssembly search core (coresearch.ts over wasmstore.ts) when
// the model compiles to WebAssembly; otherwise the JavaScript loop runs (bfs.ts) over the arena (arena.ts) or,
// with hash compaction, the fingerprint store (hashcompact.ts: 8-byte fingerprints instead of whole states).
// Symmetry reduction (symmetry.ts) stores one canonical state per permutation of interchangeable threads. A search
// that outgrows the WebAssembly memory (4 GiB) runs again in the JavaScript store: same states, same order.
//
// A core search whose monitors decide from one state or transition (levelSynchronous) can also be handed over,
// at the end of a level, to a partitioned search (ExploreBounds.handover; workers.ts, partition.ts), and can
// write checkpoints and go on from one (checkpoint.ts). One whose monitors also gather what a partitioned search
// can combine (Monitor.gathered: lock-order, irq-lock-safety) can be handed over too.

import type { PropertyId } from '../../ir/ir.js';
import { machineOf } from '../../hw/build.js';
import type { Model } from '../../ir/model.js';
import type { Exploration, Finding, Monitor } from '../properties/property.js';
import type { Figures, InconclusiveReason, Stats } from '../verdict.js';
import { Admission } from './admission.js';
import { ArenaStore } from './arena.js';
import { breadthFirst } from './bfs.js';
import { SearchBounds, Stop, type ExploreBounds } from './bounds.js';
import { actionsInto, compileModel, maxActions, type CompiledModel, type SearchInstance } from './compile.js';
import { CompiledExpander } from './compiledexpander.js';
import { coreBreadthFirst } from './coresearch.js';
import type { Expander } from './expander.js';
import { FigureCollector } from './figures.js';
import { StateGraph, StateGraphFull } from './graph.js';
import { HashCompactStore, type Compaction } from './hashcompact.js';
import { defaultMemoryLimit, memoryGauge } from './memory.js';
import { SpillFailed } from './movedchunks.js';
import { SearchObserver } from './observer.js';
import { OpenMonitors } from './openmonitors.js';
import { ProgressLine } from './progress.js';
import { ReferenceExpander } from './referenceexpander.js';
import type { Store } from './searchstore.js';
import { MemoryBudgetExceeded } from './store.js';
import { SwarmOrderExpander, swarmSalt } from './swarmorder.js';
import { symmetryOf, type Symmetry } from './symmetry.js';
import type { VisitedStates } from './visited.js';
import { WasmStore, WasmStoreFull } from './wasmstore.js';
import type { Handover } from './workers.js';
import { Ownership } from './ownership.js';
import { CHUNK, CTL } from './wasmsearch.js';
import { CheckpointRefused, restore, writeCheckpoint } from './checkpoint.js';

export type { ExploreBounds } from './bounds.js';

export interface ExploreResult {
  findings: Map<PropertyId, { finding: Finding; stats: Stats }>;
  /** Why the search did not cover every reachable state, or null when it did (or every property was decided). */
  stop: { reason: InconclusiveReason; detail: string } | null;
  /** Every property was decided before the search was complete. */
  decidedEarly: boolean;
  stats: Stats;
  store: VisitedStates;
  figures: Figures | null;
  /**
   * Properties a reduction in force cannot decide without a violation (their monitor needs the state graph, or
   * per-thread identities symmetry does not keep), with the reason; they are inconclusive unless found violated.
   */
  unsupported: Map<PropertyId, string>;
  /** What the reductions did, for reports and the bench. */
  reductions: { hashCompaction: Compaction | null; symmetry: { groups: string[] } | null };
  /** The search was stopped to go on partitioned (ExploreBounds.handover): the states so far, per shard. */
  handover: Handover | null;
  /**
   * A partitioned search was asked for (ExploreBounds.handover) and the search grew past the handover's size, but
   * could not be handed over: why, for the user who asked for workers.
   */
  notPartitioned: string | null;
  /** The figures' worsts so far, in figureSlots' order, to merge with the partitioned search's. */
  figureWorsts: number[];
}

/**
 * Whether a search with these bounds and monitors can be handed over level by level, to a partitioned search
 * (`gathering`: also where monitors gather what the shards' monitors can be combined with, Monitor.gathered) or
 * to a checkpoint (a resumed search's monitors have seen nothing before it): its monitors keep nothing a state or
 * a transition does not say, and no bound cuts it.
 */
function levelSynchronous(bounds: ExploreBounds, monitors: Map<PropertyId, Monitor>, gathering: boolean): boolean {
  return (
    bounds.maxStates === undefined &&
    bounds.maxDepth === undefined &&
    monitors.size > 0 &&
    [...monitors.values()].every((m) => (m.local === true || (gathering && m.gathered !== undefined)) && !m.needsGraph)
  );
}

/** Why a search that asked to be partitioned could not be (levelSynchronous, and the store it ran on). */
function whyNotPartitioned(bounds: ExploreBounds, monitors: Map<PropertyId, Monitor>, hashCompaction: boolean, symmetry: boolean): string {
  const graph = [...monitors].filter(([, m]) => m.needsGraph).map(([id]) => id);
  if (graph.length > 0) return `${graph.join(', ')} ${graph.length === 1 ? 'needs' : 'need'} the whole state graph`;
  if (hashCompaction || symmetry) return `${hashCompaction ? 'hash compaction' : 'symmetry reduction'} runs in one thread`;
  if (bounds.maxStates !== undefined || bounds.maxDepth !== undefined) return `a search bounded by ${bounds.maxStates !== undefined ? '--max-states' : '--max-depth'} runs in one thread`;
  if (bounds.searchLoop === 'js') return 'the search outgrew the WebAssembly store and went on in JavaScript';
  return 'the model does not compile to WebAssembly, whose search core the partitioned search runs on';
}

/**
 * Every stored state as (hash, words), in id order, in the list of the shard that owns it (ownership.ts), with how
 * many of each depth.
 */
function handoverOf(store: WasmStore, shards: number, transitions: number, monitors: OpenMonitors): Handover {
  const words = store.words;
  const frontier = store.depth(store.get(CTL.NEXT));
  // The first states found (Ownership.sampleSize), to the end of a level: the last level sampled is then a whole
  // one, not the first of its states, which come from the first of their parents and are alike. A level too large
  // is left out.
  const want = Math.min(store.count, Ownership.sampleSize(shards));
  const level = store.depth(want - 1);
  const sampled = store.levelStart(level + 1) > 2 * want && level > 0 ? store.levelStart(level) : store.levelStart(level + 1);
  const sample = { count: sampled, chunkParts: (first: number, n: number) => store.chunkParts(first, n) };
  const ownership = Ownership.choose(sample, words, shards, store.levelStart(store.depth(sampled - 1)));
  const count = store.count;
  // The states chunk by chunk (wasmsearch.ts's CHUNK ids each), read in place.
  const counts = new Array<number>(shards).fill(0);
  const owners = new Int32Array(count);
  for (let first = 0; first < count; first += CHUNK) {
    const { hashes, states } = store.chunkParts(first, Math.min(CHUNK, count - first));
    for (let i = 0; i < hashes.length; i++) counts[(owners[first + i] = ownership.owner(hashes[i]!, states, i * words))]++;
  }
  const records = counts.map((n) => new Int32Array(n * (words + 1)));
  const levels = counts.map(() => new Int32Array(store.depth(count - 1) + 1));
  const at = new Array<number>(shards).fill(0);
  let depth = 0;
  let nextLevel = store.levelStart(1);
  for (let first = 0; first < count; first += CHUNK) {
    const { hashes, states } = store.chunkParts(first, Math.min(CHUNK, count - first));
    for (let i = 0; i < hashes.length; i++) {
      while (nextLevel <= first + i) nextLevel = store.levelStart(++depth + 1);
      const s = owners[first + i]!;
      const r = records[s]!;
      const to = at[s]!;
      r[to] = hashes[i]!;
      r.set(states.subarray(i * words, (i + 1) * words), to + 1);
      at[s] = to + words + 1;
      levels[s]![depth]!++;
    }
  }
  return { records, levels, frontier, transitions, leftOut: [...ownership.leftOut], gathered: monitors.gathered() };
}

const MB = 1024 * 1024;
/** Without --max-memory: three quarters of the machine's memory, within the process's limits (memory.ts). */
const DEFAULT_MEMORY = defaultMemoryLimit();

/**
 * The WebAssembly store's memory cap: with --spill-dir, half the memory limit (the states past it go to disk), or
 * the cap tests set if lower; else the cap tests set, or none.
 */
export function spillCap(bounds: Pick<ExploreBounds, 'wasmMemoryBytes' | 'spillDir'>, memoryLimit: number): number | undefined {
  if (bounds.spillDir === undefined) return bounds.wasmMemoryBytes;
  const half = Math.max(1, Math.floor(memoryLimit / 2 / 65536)) * 65536;
  return Math.min(bounds.wasmMemoryBytes ?? 2 ** 32, half, 2 ** 32);
}

/** What the monitors read of a search of `model` over `store`. */
export function explorationOf(model: Model, compiled: CompiledModel | null, store: Store, room: number): Exploration {
  return {
    model,
    machine: machineOf(model),
    state: (id) => store.state(id),
    view: (id) => store.view(id),
    enabled: (state, out) => actionsInto(model, compiled, state, out),
    actionRoom: room,
    depth: (id) => store.depth(id),
    parentAction: (id) => store.action(id),
    parent: (id) => store.parent(id),
  };
}

const CHECKPOINTED_ONLY =
  'checkpoints are written and resumed only for an exact search whose properties are each decided by one state or one transition (stack-integrity, atomic-sleep, assertions, irq-latency), without --max-states, --max-depth, --hash-compaction, --symmetry or --swarm, on a model the WebAssembly back end compiles';

/** When the search writes its checkpoint: every `everySeconds`, between two batches of the core. */
class Checkpointing {
  private last = Date.now();

  constructor(
    private readonly spec: NonNullable<ExploreBounds['checkpoint']>,
    private readonly store: WasmStore,
    private readonly observer: SearchObserver,
    private readonly secondsBefore: number,
    private readonly started: number,
  ) {}

  due(): void {
    if (Date.now() - this.last >= this.spec.everySeconds * 1000) this.write();
  }

  /**
   * Writes one, unless a violation was found: a monitor closed by a finding would be open again in a resumed
   * search, past the state that showed it. The last checkpoint before the finding stays, and finds it again.
   */
  write(): void {
    if (this.observer.monitors.findings.size > 0) return;
    writeCheckpoint(this.spec.dir, this.spec.of, this.store, this.observer.transitions, this.secondsBefore + (Date.now() - this.started) / 1000);
    this.last = Date.now();
  }
}

/** The memory a search with these bounds may use, in bytes. */
export function memoryLimitOf(bounds: Pick<ExploreBounds, 'maxMemoryMb'>): number {
  return bounds.maxMemoryMb !== undefined ? bounds.maxMemoryMb * MB : DEFAULT_MEMORY;
}

/** Models whose WebAssembly could not be instantiated: they run on the reference model alone. */
const uncompiled = new WeakSet<Model>();

/**
 * The compiled successor code, or null where the process cannot instantiate it. Each instance reserves the
 * address space of a 32-bit memory up front, which an address-space limit (`ulimit -v`) may refuse; the search
 * then runs on the reference model, slower, instead of failing.
 */
export function compiledFor(model: Model): CompiledModel | null {
  if (uncompiled.has(model)) return null;
  try {
    return compileModel(model);
  } catch (error) {
    if (!(error instanceof RangeError || isOutOfMemory(error))) throw error;
    uncompiled.add(model);
    return null;
  }
}

/**
 * An allocation the process could not make: a WebAssembly memory it cannot reserve, an ArrayBuffer it cannot
 * allocate (V8 says so with a RangeError, or a WebAssembly.RuntimeError).
 */
function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /out of memory|cannot allocate|could not allocate|allocation failed/i.test(error.message);
}

/**
 * A fresh instance of the compiled module for the search core, or null: no WebAssembly, or the process cannot
 * reserve one more WebAssembly memory (each reserves its address space up front); the JavaScript loop runs then.
 */
function coreInstance(compiled: CompiledModel | null): SearchInstance | null {
  if (compiled?.searchInstance == null) return null;
  try {
    return compiled.searchInstance();
  } catch (error) {
    if (error instanceof RangeError || isOutOfMemory(error)) return null;
    throw error;
  }
}

/** Properties a reduction cannot decide without a violation, with the reason. */
function unsupportedBy(monitors: Map<PropertyId, Monitor>, hashCompaction: boolean, symmetry: Symmetry | null): Map<PropertyId, string> {
  const unsupported = new Map<PropertyId, string>();
  for (const [pid, monitor] of monitors) {
    if (monitor.needsGraph && hashCompaction) unsupported.set(pid, 'it needs the explored state graph, which hash compaction does not keep');
    else if (symmetry !== null && symmetry.breaks(pid)) unsupported.set(pid, 'symmetry reduction does not keep which thread is which along a path');
  }
  return unsupported;
}

/**
 * @param started when the search began (a search that outgrew the WebAssembly memory and runs again with the
 *   JavaScript store keeps its first start, for its time bound and statistics)
 */
export function explore(
  model: Model,
  monitorFor: (x: Exploration) => Map<PropertyId, Monitor>,
  bounds: ExploreBounds,
  started = Date.now(),
): ExploreResult {
  const memoryLimit = memoryLimitOf(bounds);
  const fits = memoryGauge(memoryLimit);
  const words = model.layout.words;
  const compiled = bounds.successors === 'reference' ? null : compiledFor(model);
  const symmetry = bounds.symmetry === true ? symmetryOf(model) : null;
  const swarmJob = bounds.swarmJob;
  const hc = bounds.hashCompaction === true || swarmJob !== undefined;
  // The WebAssembly core runs exact searches without symmetry, in an instance of its own.
  const instance = !hc && symmetry === null && bounds.searchLoop !== 'js' ? coreInstance(compiled) : null;
  const store: Store = hc
    ? new HashCompactStore(model, words, fits, memoryLimit, swarmSalt(swarmJob ?? 1))
    : instance !== null
      ? new WasmStore(instance, words, fits, spillCap(bounds, memoryLimit), bounds.spillDir, memoryLimit / 4)
      : new ArenaStore(words, fits);
  // The core steps with its own instance, whose memory holds the store; the JavaScript loop with the shared one.
  const coreExpander = instance !== null ? new CompiledExpander(model, compiled!, instance.compiled) : null;
  const plain: Expander = coreExpander ?? (compiled !== null ? new CompiledExpander(model, compiled, compiled) : new ReferenceExpander(model));
  const expander: Expander = swarmJob !== undefined && swarmJob > 1 ? new SwarmOrderExpander(plain, swarmJob) : plain;
  const room = maxActions(model.program);
  const exploration = explorationOf(model, compiled, store, room);
  const allMonitors = monitorFor(exploration);
  const unsupported = unsupportedBy(allMonitors, hc, symmetry);
  const graph = !hc && [...allMonitors.values()].some((m) => m.needsGraph) ? new StateGraph(fits) : null;
  const figures = new FigureCollector(model.program, model.layout, model.program.latencyBound, symmetry);
  const progress = ProgressLine.forStderr(bounds.progress);
  // A resumed search counts the seconds its checkpoint had run.
  const secondsBefore = bounds.resume?.header.seconds ?? 0;

  // Called only once the search runs, when the observer below exists.
  const stats = (): Stats => ({
    states: store.count,
    transitions: observer.transitions,
    // The core tells JavaScript of new states only when a monitor reads them; ids are breadth-first.
    depth: store instanceof WasmStore ? (store.count > 0 ? store.depth(store.count - 1) : 0) : observer.maxDepth,
    seconds: (Math.round(secondsBefore * 1000) + Date.now() - started) / 1000,
  });
  const monitors = new OpenMonitors(allMonitors, graph !== null, stats);
  const observer = new SearchObserver(model, monitors, graph, figures, expander);
  const admission = new Admission(store, expander, symmetry, bounds.maxStates, observer);
  const searchBounds = new SearchBounds(bounds, started, fits, model, store, expander, admission, progress, room);
  const parts = { store, expander, admission, observer, bounds: searchBounds, room };

  let stop: ExploreResult['stop'] = null;
  let handover: Handover | null = null;
  // The search core's store, level by level: what a partitioned search or a checkpoint can go on from.
  const core = store instanceof WasmStore && instance !== null && graph === null;
  const partitionable = core && levelSynchronous(bounds, allMonitors, true);
  if ((bounds.checkpoint !== undefined || bounds.resume !== undefined) && !(core && levelSynchronous(bounds, allMonitors, false))) {
    throw new CheckpointRefused(CHECKPOINTED_ONLY);
  }
  const checkpointing = bounds.checkpoint !== undefined && store instanceof WasmStore ? new Checkpointing(bounds.checkpoint, store, observer, secondsBefore, started) : null;
  try {
    const initial = [...model.initialStates()];
    if (store instanceof WasmStore) {
      store.maintain(Math.max(initial.length, room));
      expander.rebind();
    }
    if (bounds.resume !== undefined && store instanceof WasmStore) {
      restore(store, bounds.resume);
      store.maintain(1024 * room);
      expander.rebind();
      observer.transitions = bounds.resume.header.transitions;
    } else for (const init of initial) admission.admit(init, -1, -1, 0, null, 0, 0, -1);
    if (store instanceof WasmStore && instance !== null && coreExpander !== null) {
      const handoverAt = bounds.handover !== undefined && partitionable ? bounds.handover.at : undefined;
      const prepare = handoverAt === undefined || bounds.handover!.prepare === undefined ? undefined : { at: Math.floor(handoverAt / 20), run: bounds.handover!.prepare };
      const checkpoint = checkpointing === null ? undefined : () => checkpointing.due();
      const handoverReady = handoverAt === undefined ? undefined : bounds.handover!.ready;
      if (coreBreadthFirst({ ...parts, store, expander: coreExpander, instance, model, handoverAt, handoverReady, prepare, checkpoint })) {
        handover = handoverOf(store, bounds.handover!.shards, observer.transitions, monitors);
      }
    } else breadthFirst(parts);
    if (searchBounds.depthCut) stop = { reason: 'max-depth', detail: `search cut at depth ${bounds.maxDepth} (--max-depth) with ${store.count} states` };
  } catch (error) {
    if (error instanceof WasmStoreFull) {
      progress.done();
      // The JavaScript store keeps no checkpoint: a resumed search starts again from its first state.
      return explore(model, monitorFor, { ...bounds, searchLoop: 'js', checkpoint: undefined, resume: undefined }, started);
    }
    if (error instanceof Stop) {
      stop = { reason: error.reason, detail: error.detail };
      // The core stops at a timeout between two batches: the place it stopped at is one to go on from.
      if (error.reason === 'timeout') checkpointing?.write();
    }
    // An allocation refused below the bound (an address-space limit, a fragmented address space) is the
    // memory limit as well: the run ends inconclusive with what it explored.
    else if (error instanceof MemoryBudgetExceeded || isOutOfMemory(error)) {
      const limit = Math.round(memoryLimit / MB);
      stop = { reason: 'max-memory', detail: `stopped at the memory limit (${limit} MB) with ${store.count} states` };
    } else if (error instanceof StateGraphFull) {
      stop = { reason: 'max-memory', detail: `stopped: ${error.message}, with ${store.count} states` };
    } else if (error instanceof SpillFailed) {
      // The disk is the memory's extension: a full one ends the run as the memory limit does.
      stop = { reason: 'max-memory', detail: `stopped: ${error.message}, with ${store.count} states` };
    } else throw error;
  } finally {
    progress.done();
  }

  if (store instanceof WasmStore) figures.absorb(store.figureWorsts());
  const decidedEarly = monitors.open.size === 0;
  const complete = stop === null && !decidedEarly && handover === null;
  if (complete) {
    monitors.complete(graph, unsupported, (property) => progress.analysing(property, store.count));
    progress.done();
  }
  return {
    findings: monitors.findings,
    stop,
    decidedEarly,
    stats: stats(),
    store: store.finish(model, symmetry),
    figures: complete ? figures.figures() : null,
    unsupported,
    reductions: {
      hashCompaction: store instanceof HashCompactStore ? store.compaction(observer.transitions) : null,
      symmetry: symmetry === null ? null : { groups: symmetry.describe() },
    },
    handover,
    notPartitioned: bounds.handover !== undefined && handover === null && store.count >= bounds.handover.at && !partitionable ? whyNotPartitioned(bounds, allMonitors, hc, symmetry !== null) : null,
    figureWorsts: figures.worsts(),
  };
}
