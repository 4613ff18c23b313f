// Breadth-first exploration of a Model, watched by property monitors. Ids are discovery order, so the queue is
// the id range still to expand and every counterexample rebuilt from parent pointers is a shortest one. Bounds
// (states, depth, time, memory) end the run as incomplete, never a crash.
//
// An exact search without symmetry runs in the WebAssembly search core when the model compiles to WebAssembly
// (wasmsearch.ts, wasmstore.ts): a state's whole expansion happens there, and the core returns to this loop only
// for what JavaScript must see (`resume`): a hand-back, a transition with events someone reads, a new state a
// monitor reads, a state at the depth bound; it logs the rest of the graph's transitions for `drainLog`.
// Otherwise the loop below runs in JavaScript.
//
// The hot loop runs the compiled successor function (compile.ts) on scratch buffers and hands a transition to
// the reference model only when the compiled code says so (a violation, or an instruction it leaves out), so
// the states, transitions, events and discovery order are exactly those of the reference Model (a fatal step
// the compiled code recognises is not handed over when nothing reads its events: it only ends its path). Optional
// reductions: hash compaction (hashcompact.ts: 8-byte fingerprints instead of whole states) and symmetry
// (symmetry.ts: one canonical state per permutation of interchangeable threads).

import type { PropertyId } from '../../ir/ir.js';
import { machineOf } from '../../hw/build.js';
import { NO_EVENTS, type Model, type ModelEvent } from '../../ir/model.js';
import type { Exploration, Finding, Monitor } from '../properties/property.js';
import type { Figures, InconclusiveReason, Stats } from '../verdict.js';
import { ArenaStore } from './arena.js';
import { actionsInto, compileModel, maxActions, SLOW, WARNED, warnedEvents, type CompiledModel, type SearchInstance } from './compile.js';
import { FigureCollector } from './figures.js';
import { defaultMemoryLimit, memoryGauge } from './memory.js';
import { EDGE_FATAL, EDGE_PROGRESS, StateGraph } from './graph.js';
import { HashCompactStore, replaying, type Compaction } from './hashcompact.js';
import { ProgressLine } from './progress.js';
import { MemoryBudgetExceeded } from './store.js';
import { symmetryOf, type Symmetry } from './symmetry.js';
import type { VisitedStates } from './visited.js';
import { CTL, FLAG_EVENTS, FLAG_LOG, FLAG_NEW, RUN_BOUND, RUN_DONE, RUN_FULL, RUN_NEW, RUN_UNUSUAL } from './wasmsearch.js';
import { WasmStore, WasmStoreFull } from './wasmstore.js';

export interface ExploreBounds {
  maxStates?: number;
  maxDepth?: number;
  timeoutSeconds?: number;
  maxMemoryMb?: number;
  progress?: boolean;
  /** Keep 64-bit fingerprints instead of whole states (hashcompact.ts). */
  hashCompaction?: boolean;
  /** Store one canonical state per permutation of interchangeable threads (symmetry.ts). */
  symmetry?: boolean;
  /**
   * Which loop runs an exact search: the WebAssembly core (wasmsearch.ts; the default when the model compiles to
   * WebAssembly) or the JavaScript one (always used with a reduction). Tests hold the two to each other.
   */
  searchLoop?: 'wasm' | 'js';
  /** The WebAssembly store's memory cap in bytes, a multiple of 64 KiB (default 4 GiB; tests set less). */
  wasmMemoryBytes?: number;
}

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
}

const MB = 1024 * 1024;
/** Without --max-memory: half the machine's memory, at most 8 GB, within the process's limits (memory.ts). */
const DEFAULT_MEMORY = defaultMemoryLimit();

class Stop extends Error {
  constructor(
    readonly reason: InconclusiveReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function fatal(events: readonly ModelEvent[]): boolean {
  for (const e of events) if (e.kind === 'violation' && e.fatal) return true;
  return false;
}

/** Models whose WebAssembly could not be instantiated: they run on the reference model alone. */
const uncompiled = new WeakSet<Model>();

/**
 * The compiled successor code, or null where the process cannot instantiate it. Each instance reserves the
 * address space of a 32-bit memory up front, which an address-space limit (`ulimit -v`) may refuse; the search
 * then runs on the reference model, slower, instead of failing.
 */
function compiledFor(model: Model): CompiledModel | null {
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

const INT32_MAX = 2 ** 31 - 1;

/** The exact stores or the fingerprint store, as the loop uses them. */
type SearchStore = ArenaStore | WasmStore | HashCompactStore;

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
  const memoryLimit = bounds.maxMemoryMb !== undefined ? bounds.maxMemoryMb * MB : DEFAULT_MEMORY;
  const fits = memoryGauge(memoryLimit);
  const words = model.layout.words;
  const compiled: CompiledModel | null = compiledFor(model);
  const symmetry: Symmetry | null = bounds.symmetry === true ? symmetryOf(model) : null;
  const hc = bounds.hashCompaction === true;
  // The WebAssembly core runs exact searches without symmetry, in an instance of its own.
  const instance = !hc && symmetry === null && bounds.searchLoop !== 'js' ? coreInstance(compiled) : null;
  const store: SearchStore = hc
    ? new HashCompactStore(model, words, fits, memoryLimit)
    : instance !== null
      ? new WasmStore(instance, words, fits, bounds.wasmMemoryBytes)
      : new ArenaStore(words, fits);
  /** The compiled code the search steps with: the core's instance, or the shared one. */
  const stepper = instance?.compiled ?? compiled;
  const machine = machineOf(model);
  const room = maxActions(model.program);
  const exploration: Exploration = {
    model,
    machine,
    state: (id) => store.state(id),
    view: (id) => store.view(id),
    enabled: (state, out) => actionsInto(model, compiled, state, out),
    actionRoom: room,
    depth: (id) => store.depth(id),
    parentAction: (id) => store.action(id),
    parent: (id) => store.parent(id),
  };
  const monitors = monitorFor(exploration);
  const unsupported = new Map<PropertyId, string>();
  for (const [pid, monitor] of monitors) {
    if (monitor.needsGraph && hc) unsupported.set(pid, 'it needs the explored state graph, which hash compaction does not keep');
    else if (symmetry !== null && symmetry.breaks(pid)) unsupported.set(pid, 'symmetry reduction does not keep which thread is which along a path');
  }
  const open = new Map(monitors);
  const findings = new Map<PropertyId, { finding: Finding; stats: Stats }>();
  const graph = !hc && [...monitors.values()].some((m) => m.needsGraph) ? new StateGraph(fits) : null;
  const figures = new FigureCollector(model.program, model.layout, model.program.latencyBound, symmetry);
  const progress = ProgressLine.forStderr(bounds.progress);
  const lineCount = model.program.lines.length;
  let transitions = 0;
  let maxDepth = 0;
  let depthCut = false;

  const stats = (): Stats => ({
    states: store.count,
    transitions,
    // The core tells JavaScript of new states only when a monitor reads them; ids are breadth-first.
    depth: store instanceof WasmStore ? (store.count > 0 ? store.depth(store.count - 1) : 0) : maxDepth,
    seconds: (Date.now() - started) / 1000,
  });
  // The open monitors as arrays, rebuilt when one closes: iterating a Map on every transition allocates.
  let onStates: [PropertyId, Monitor][] = [];
  let onTransitions: [PropertyId, Monitor][] = [];
  const refresh = (): void => {
    onStates = [...open].filter(([, m]) => m.onState !== undefined);
    onTransitions = [...open].filter(([, m]) => m.onTransition !== undefined);
  };
  const record = (id: PropertyId, finding: Finding | null): void => {
    if (finding === null) return;
    findings.set(id, { finding, stats: stats() });
    open.delete(id);
    refresh();
  };
  refresh();
  const stateEvents = (state: Uint32Array): readonly ModelEvent[] =>
    compiled === null || compiled.stateCheck(state) ? model.stateEvents(state) : NO_EVENTS;
  const discovered = (id: number, state: Uint32Array, depth: number): void => {
    figures.observe(state);
    if (depth > maxDepth) maxDepth = depth;
    if (onStates.length === 0) return;
    // `state` is the search's scratch copy of what was just stored (monitors read it during the call only).
    const events = stateEvents(state);
    for (const [pid, monitor] of onStates) if (open.has(pid)) record(pid, monitor.onState!(id, state, events));
  };
  const canonical = new Uint32Array(words);
  const keyOf = (state: Uint32Array): Uint32Array => (symmetry === null ? state : symmetry.canonical(state, canonical));
  const hasher = store.hasher;
  /**
   * Stores a successor (its hashes follow from those of `from`, the state it was reached from, when given): its
   * id if new (monitors told), else -(id + 1), or -1 when hash compaction cannot say.
   */
  const admit = (
    state: Uint32Array,
    parent: number,
    action: number,
    depth: number,
    from: Uint32Array | null,
    fromA: number,
    fromB: number,
    written: number,
  ): number => {
    const key = keyOf(state);
    let a: number;
    let b = 0;
    if (from === null) {
      a = hasher.hash(key);
      if (hc) b = hasher.hashB(key);
    } else if (written >= 0 && key === state) {
      // Only the words the compiled step wrote can differ from `from`.
      hasher.rehashWords(fromA, fromB, from, key, stepper!.dirty, written, hc);
      a = hasher.a;
      b = hasher.b;
    } else {
      a = hasher.rehash(fromA, from, key);
      if (hc) b = hasher.rehashB(fromB, from, key);
    }
    if (bounds.maxStates !== undefined && store.count >= bounds.maxStates && store.find(key, a, b) < 0) {
      throw new Stop('max-states', `stopped after ${store.count} states (--max-states ${bounds.maxStates})`);
    }
    const id = store.add(key, parent, action, depth, a, b);
    if (id >= 0) discovered(id, key, depth);
    return id;
  };

  const actionBuffer = new Int32Array(room);
  // The compiled code's own buffers when it has them (WebAssembly memory), so that a step copies nothing. They
  // are views of a memory the core's store grows: `rebind` after `store.maintain`.
  let current = stepper?.scratch?.current ?? new Uint32Array(words);
  let next = stepper?.scratch?.next ?? new Uint32Array(words);
  const rebind = (): void => {
    if (instance === null) return;
    current = instance.compiled.scratch!.current;
    next = instance.compiled.scratch!.next;
  };
  const scratchEvents: ModelEvent[] = [];
  const noEois: number[] = [];
  /** The enabled actions of `state` into actionBuffer; how many. */
  const expand = (state: Uint32Array): number => actionsInto(model, compiled, state, actionBuffer);

  // The transitions of one state are split in two functions so that the JIT keeps the common case small: a
  // compiled step that made no event (`expandState`), and everything else (`unusual`: the reference model's
  // steps, warnings, acquire and EOI events, fatal steps). A rare path first taken late in the search then
  // deoptimises, and costs the recompiling of, a small function rather than the whole search loop.
  /** Set by `unusual`: the events of the transition it made and whether it was fatal. */
  let unusualEvents: readonly ModelEvent[] = NO_EVENTS;
  let unusualFatal = false;
  /** A transition the fast path could not finish; returns the successor's id as `to` (-1: fatal or not known). */
  const unusual = (id: number, action: number, depth: number, made: number, currentA: number, currentB: number): number => {
    let successor: Uint32Array = next;
    let events: readonly ModelEvent[] = NO_EVENTS;
    let written = -1;
    // Events are only built for those who read them: the monitors' onTransition and the state graph.
    const wanted = onTransitions.length > 0 || graph !== null;
    if (made === SLOW) {
      scratchEvents.length = 0;
      if (!wanted && stepper !== null && stepper.slowFatal()) {
        // A fatal step nobody reads the events of: it ends its path, and that is all the search needs.
        transitions++;
        unusualEvents = NO_EVENTS;
        unusualFatal = true;
        return -1;
      }
      const r = model.successor(current, action);
      successor = r.next;
      events = r.events;
    } else {
      written = stepper!.dirtyCount();
      if (made === WARNED && wanted) {
        // The compiled events of a warned step are the reference's less its warnings: take the reference's whole.
        scratchEvents.length = 0;
        events = warnedEvents(model, current, action);
      }
    }
    if (scratchEvents.length > 0) {
      events = scratchEvents.slice();
      scratchEvents.length = 0;
    }
    transitions++;
    const isFatal = events !== NO_EVENTS && fatal(events);
    let to = -1;
    if (!isFatal) {
      const r = admit(successor, id, action, depth + 1, current, currentA, currentB, written);
      to = r >= 0 ? r : hc ? -1 : -r - 1;
    }
    unusualEvents = events;
    unusualFatal = isFatal;
    return to;
  };
  /** Tells the monitors and the graph of a transition. */
  const observe = (id: number, action: number, events: readonly ModelEvent[], to: number, isFatal: boolean): void => {
    if (events.length > 0) {
      for (const [pid, monitor] of onTransitions) if (open.has(pid)) record(pid, monitor.onTransition!(id, action, events, to));
    }
    if (graph !== null) {
      const flags = (model.progress(action) ? EDGE_PROGRESS : 0) | (isFatal ? EDGE_FATAL : 0);
      let eois = noEois;
      for (const e of events) {
        if (e.kind !== 'eoi') continue;
        if (eois === noEois) eois = [];
        eois.push(e.cpu * lineCount + e.line);
      }
      graph.add(to, flags, eois);
    }
  };
  /** Every transition of state `id` (held in `current`), whose `count` actions are in actionBuffer. */
  const expandState = (id: number, depth: number, count: number): void => {
    const currentA = store.hashOf(id);
    const currentB = hc ? (store as HashCompactStore).hashBOf(id) : 0;
    const observed = onTransitions.length > 0 || graph !== null;
    for (let j = 0; j < count; j++) {
      const action = actionBuffer[j]!;
      const made = compiled === null ? SLOW : compiled.apply(current, action, next, observed ? scratchEvents : null);
      let to: number;
      let events: readonly ModelEvent[] = NO_EVENTS;
      let isFatal = false;
      if (made === 0 && scratchEvents.length === 0) {
        transitions++;
        const r = admit(next, id, action, depth + 1, current, currentA, currentB, compiled!.dirtyCount());
        to = r >= 0 ? r : hc ? -1 : -r - 1;
      } else {
        to = unusual(id, action, depth, made, currentA, currentB);
        events = unusualEvents;
        isFatal = unusualFatal;
      }
      if (observed) observe(id, action, events, to, isFatal);
    }
  };
  /** --max-depth: whether a state at the bound has a step that leads somewhere new (or crashes). */
  const cutAt = (count: number): boolean => {
    let cut = false;
    for (let j = 0; j < count && !cut; j++) {
      const { next: after, events } = model.successor(current, actionBuffer[j]!);
      const key = keyOf(after);
      cut = fatal(events) || store.find(key, hasher.hash(key), hc ? hasher.hashB(key) : 0) < 0;
    }
    return cut;
  };
  /**
   * Every 1024 states: room in the store for the successors of the next 1024 (so that storing a state never
   * allocates inside the hot loop), the time and memory bounds, and the progress line.
   */
  const periodic = (id: number): void => {
    store.maintain(1024 * room);
    rebind();
    if (bounds.timeoutSeconds !== undefined && Date.now() - started >= bounds.timeoutSeconds * 1000) {
      throw new Stop('timeout', `stopped after ${bounds.timeoutSeconds} s (--timeout) with ${store.count} states`);
    }
    // Allocations ask `fits` themselves; this catches what the monitors and the rest of the process hold.
    if ((id & 16383) === 0 && !fits(0)) throw new MemoryBudgetExceeded();
    progress.tick(store.count, store.count - id, store.depth(id));
  };

  /** The breadth-first loop: ids are the queue. Its own function, so that the JIT compiles it alone. */
  const search = (): void => {
    for (let id = 0; id < store.count && open.size > 0; id++) {
      if ((id & 1023) === 0) periodic(id);
      store.copyInto(id, current);
      store.expanding(id);
      const depth = store.depth(id);
      graph?.begin(id);
      const count = expand(current);
      if (bounds.maxDepth !== undefined && depth >= bounds.maxDepth) {
        // A state at the bound whose every step leads to a state already found is expanded like any other, so
        // that the monitors and the stored graph see all of its transitions. If any step leads somewhere new
        // (or crashes), the search is cut here and the run is incomplete.
        if (!depthCut) depthCut = cutAt(count);
        if (depthCut) continue;
      }
      expandState(id, depth, count);
    }
  };

  /** Hands the graph the states begun and transitions made that the core logged, in order. */
  const drainLog = (ws: WasmStore): void => {
    const count = ws.get(CTL.LOG_COUNT);
    if (count === 0 || graph === null) return;
    const m = ws.memory32;
    const at = ws.get(CTL.LOG) >>> 2;
    for (let i = 0; i < count; i++) {
      const a = m[at + 2 * i]!;
      const b = m[at + 2 * i + 1]!;
      if (a === -1) graph.begin(b);
      else graph.add(a, model.progress(b) ? EDGE_PROGRESS : 0, noEois);
    }
    ws.set(CTL.LOG_COUNT, 0);
  };
  /** Why the core returned, other than the end of a batch: JavaScript's part of the expansion. */
  const resume = (ws: WasmStore, reason: number): void => {
    const cur = ws.get(CTL.CUR);
    const depth = ws.get(CTL.DEPTH);
    const out = instance!.layout.OUT >>> 2;
    if (reason === RUN_NEW) {
      discovered(ws.get(CTL.LAST), next, depth + 1);
    } else if (reason === RUN_UNUSUAL) {
      const j = ws.get(CTL.J);
      const action = ws.memory32[out + j]!;
      const made = ws.get(CTL.MADE);
      const observed = onTransitions.length > 0 || graph !== null;
      if (made !== SLOW && observed) instance!.events(scratchEvents);
      const to = unusual(cur, action, depth, made, ws.get(CTL.HASH), 0);
      if (observed) observe(cur, action, unusualEvents, to, unusualFatal);
      ws.set(CTL.J, j + 1);
    } else if (reason === RUN_BOUND) {
      const count = ws.get(CTL.K);
      for (let j = 0; j < count; j++) actionBuffer[j] = ws.memory32[out + j]!;
      if (!depthCut) depthCut = cutAt(count);
      if (depthCut) ws.set(CTL.J, count);
    } else if (reason === RUN_FULL) {
      throw new Stop('max-states', `stopped after ${store.count} states (--max-states ${bounds.maxStates})`);
    } else throw new Error(`internal: the search core returned ${reason}`);
  };
  /** The breadth-first loop run by the WebAssembly core, 1024 states at a time. */
  const searchCore = (ws: WasmStore): void => {
    const core = ws.instance.core;
    const flags = (): number =>
      (onTransitions.length > 0 || graph !== null ? FLAG_EVENTS : 0) | (onStates.length > 0 ? FLAG_NEW : 0) | (graph !== null ? FLAG_LOG : 0);
    // The core compares i32 fields: a larger bound is no bound (no store of 4 GiB holds 2^31 states, and no
    // search of fewer states is 2^31 deep), where writing it as is would wrap to a small or negative one.
    if (bounds.maxDepth !== undefined) ws.set(CTL.MAX_DEPTH, Math.min(bounds.maxDepth, INT32_MAX));
    if (bounds.maxStates !== undefined) ws.set(CTL.MAX_STATES, Math.min(bounds.maxStates, INT32_MAX));
    if (graph !== null) ws.log(1024 * (room + 1));
    for (;;) {
      const id = ws.get(CTL.NEXT);
      if (id >= ws.count || open.size === 0) return;
      if ((id & 1023) === 0) periodic(id);
      const limit = (id | 1023) + 1;
      for (;;) {
        ws.set(CTL.FLAGS, flags());
        const reason = core.run(limit);
        transitions += ws.get(CTL.TRANSITIONS);
        ws.set(CTL.TRANSITIONS, 0);
        drainLog(ws);
        if (reason === RUN_DONE) break;
        resume(ws, reason);
        if (open.size === 0) ws.set(CTL.HALT, 1);
      }
    }
  };

  let stop: ExploreResult['stop'] = null;
  try {
    const initial = [...model.initialStates()];
    if (store instanceof WasmStore) {
      store.maintain(Math.max(initial.length, 1024 * room));
      rebind();
    }
    for (const init of initial) admit(init, -1, -1, 0, null, 0, 0, -1);
    if (store instanceof WasmStore) searchCore(store);
    else search();
    if (depthCut) stop = { reason: 'max-depth', detail: `search cut at depth ${bounds.maxDepth} (--max-depth) with ${store.count} states` };
  } catch (error) {
    if (error instanceof WasmStoreFull) {
      progress.done();
      return explore(model, monitorFor, { ...bounds, searchLoop: 'js' }, started);
    }
    if (error instanceof Stop) stop = { reason: error.reason, detail: error.detail };
    // An allocation refused below the bound (an address-space limit, a fragmented address space) is the
    // memory limit as well: the run ends inconclusive with what it explored.
    else if (error instanceof MemoryBudgetExceeded || isOutOfMemory(error)) {
      const limit = Math.round(memoryLimit / MB);
      stop = { reason: 'max-memory', detail: `stopped at the memory limit (${limit} MB) with ${store.count} states` };
    } else throw error;
  } finally {
    progress.done();
  }

  if (store instanceof WasmStore) figures.absorb(store.figureWorsts());
  const decidedEarly = open.size === 0;
  const complete = stop === null && !decidedEarly;
  if (complete) {
    for (const [pid, monitor] of [...open]) {
      if (!unsupported.has(pid) && monitor.onComplete) record(pid, monitor.onComplete(graph));
    }
  }
  const hashCompaction = store instanceof HashCompactStore ? store.compaction(transitions) : null;
  return {
    findings,
    stop,
    decidedEarly,
    stats: stats(),
    store: store instanceof HashCompactStore ? store.finish(symmetry) : symmetry === null ? store : replaying(store, model, symmetry),
    figures: complete ? figures.figures() : null,
    unsupported,
    reductions: { hashCompaction, symmetry: symmetry === null ? null : { groups: symmetry.describe() } },
  };
}
