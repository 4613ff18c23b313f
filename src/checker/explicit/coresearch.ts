// The same breadth-first search run by the WebAssembly search core (wasmsearch.ts) over the WebAssembly store:
// the core expands whole batches of states inside the module, and returns to JavaScript only for what JavaScript
// must see (`resume`): a hand-back to the reference model, a transition with events someone reads, a new state a
// monitor reads, a state at the depth bound. It logs the rest of the graph's transitions for `drainLog`.

import type { Model } from '../../ir/model.js';
import { SLOW, type SearchInstance } from './compile.js';
import type { CompiledExpander } from './compiledexpander.js';
import type { SearchParts } from './bfs.js';
import { edgeFlags } from './graph.js';
import { BATCH } from './bounds.js';
import { NO_EOIS } from './observer.js';
import { watchBits, watchMask } from '../../hw/watch.js';
import { CTL, FLAG_EVENTS, FLAG_FILTER, FLAG_LOG, FLAG_NEW, FLAG_PROGRESS, RUN_ASK, RUN_BOUND, RUN_DONE, RUN_FULL, RUN_NEW, RUN_OUTBOX, RUN_UNUSUAL } from './wasmsearch.js';

const INT32_MAX = 2 ** 31 - 1;
import type { WasmStore } from './wasmstore.js';

export interface CoreParts extends SearchParts {
  readonly model: Model;
  readonly store: WasmStore;
  readonly expander: CompiledExpander;
  readonly instance: SearchInstance;
  /** A shard of a partitioned search (partition.ts): empties the core's full outbox. */
  readonly outbox?: () => void;
  /**
   * Stop at the end of the level under way once the store holds this many states and no violation was found,
   * to hand the search over to a partitioned one (workers.ts).
   */
  readonly handoverAt?: number;
  /**
   * Whether the partitioned search's threads are ready for the handover: until they are, the search goes on in
   * this thread past `handoverAt`, level by level, instead of waiting for them.
   */
  readonly handoverReady?: () => boolean;
  /** Called once when the store first holds `at` states: the partitioned search's threads start meanwhile. */
  readonly prepare?: { at: number; run: () => void };
  /** Between two batches: writes a checkpoint when one is due (checkpoint.ts). */
  readonly checkpoint?: () => void;
}

/**
 * The breadth-first loop run by the core, BATCH states at a time (fewer when states are slow), up to id `end`
 * (exclusive): a shard of a partitioned search expands one level at a time. True when it stopped to hand the search over (handoverAt).
 */
export function coreBreadthFirst(parts: CoreParts, end = Infinity): boolean {
  const { store: ws, observer, bounds } = parts;
  const core = ws.instance.core;
  const { monitors, graph } = observer;
  const program = parts.model.program;
  const bits = watchBits(program.locks.length, program.cpus, program.lines.length);
  // New states go to JavaScript only when a monitor reads them, and (FLAG_FILTER) only those its monitors could
  // learn something from (Monitor.stateReads); the mask of the watched facts they gather goes with the flags.
  const newStates = (): number => {
    if (monitors.onStates.length === 0) return 0;
    const reads = monitors.stateReads;
    if (reads === null || (reads.watch.size > 0 && bits === null)) return FLAG_NEW;
    ws.set(CTL.WATCH_MASK, bits === null ? 0 : watchMask(bits, reads.watch));
    return FLAG_NEW | FLAG_FILTER | (reads.progress ? FLAG_PROGRESS : 0);
  };
  const flags = (): number => (monitors.readsEvents ? FLAG_EVENTS : 0) | newStates() | (graph !== null ? FLAG_LOG : 0);
  // The same test for the new states JavaScript stores (hand-backs, transitions with events), which also keeps
  // WATCHED: the facts of every state the monitors saw.
  const compiled = parts.instance.compiled;
  observer.filter = (state) => {
    const f = ws.get(CTL.FLAGS);
    if ((f & FLAG_FILTER) === 0) return true;
    const facts = compiled.watch(state);
    const seen = ws.get(CTL.WATCHED);
    const show =
      compiled.stateCheck(state) || (facts & ws.get(CTL.WATCH_MASK) & ~seen) !== 0 || ((f & FLAG_PROGRESS) !== 0 && !compiled.progress(state));
    if (show) ws.set(CTL.WATCHED, seen | facts);
    return show;
  };
  // The core compares i32 fields: a larger bound is no bound (no store of 4 GiB holds 2^31 states, and no
  // search of fewer states is 2^31 deep), where writing it as is would wrap to a small or negative one.
  if (bounds.maxDepth !== undefined) ws.set(CTL.MAX_DEPTH, Math.min(bounds.maxDepth, INT32_MAX));
  if (bounds.maxStates !== undefined) ws.set(CTL.MAX_STATES, Math.min(bounds.maxStates, INT32_MAX));
  if (graph !== null) ws.log(BATCH * (parts.room + 1));
  const actions = new Int32Array(parts.room);
  // A level may begin anywhere in a batch, after states were stored since the last room was made.
  let first = end !== Infinity;
  /** The id at which the bounds are looked at next (SearchBounds.periodic). */
  let due = 0;
  let handing = false;
  let prepare = parts.prepare;
  for (;;) {
    const id = ws.get(CTL.NEXT);
    if (parts.handoverAt !== undefined && !handing && ws.count >= parts.handoverAt && monitors.findings.size === 0 && id < ws.count) {
      // The end of the level of `id`, once the next level has begun.
      const next = ws.depth(id) + 1;
      if (ws.get(CTL.LEVEL_COUNT) > next && (parts.handoverReady?.() ?? true)) {
        end = ws.levelStart(next);
        handing = true;
      }
    }
    if (handing && monitors.findings.size > 0) {
      // A violation: this search goes on to report it.
      handing = false;
      end = Infinity;
    }
    if (handing && id >= end) return true;
    if (id >= ws.count || id >= end || monitors.open.size === 0) return false;
    if (id >= due || first) {
      if (prepare !== undefined && ws.count >= prepare.at) {
        prepare.run();
        prepare = undefined;
      }
      due = bounds.periodic(id);
      parts.checkpoint?.();
    }
    first = false;
    const limit = Math.min(due, end);
    for (;;) {
      ws.set(CTL.FLAGS, flags());
      const reason = core.run(limit);
      observer.transitions += ws.get(CTL.TRANSITIONS);
      ws.set(CTL.TRANSITIONS, 0);
      drainLog(parts);
      if (reason === RUN_DONE) break;
      resume(parts, reason, actions);
      if (monitors.open.size === 0) ws.set(CTL.HALT, 1);
    }
  }
}

/** Hands the graph the states begun and transitions made that the core logged, in order. */
function drainLog({ store: ws, observer, model }: CoreParts): void {
  const count = ws.get(CTL.LOG_COUNT);
  const graph = observer.graph;
  if (count === 0 || graph === null) return;
  const m = ws.memory32;
  const at = ws.get(CTL.LOG) >>> 2;
  for (let i = 0; i < count; i++) {
    const a = m[at + 2 * i]!;
    const b = m[at + 2 * i + 1]!;
    if (a === -1) graph.begin(b);
    else graph.add(a, edgeFlags(model, b, false), NO_EOIS);
  }
  ws.set(CTL.LOG_COUNT, 0);
}

/** Why the core returned, other than the end of a batch: JavaScript's part of the expansion. */
function resume(parts: CoreParts, reason: number, actions: Int32Array): void {
  const { store: ws, expander, observer, bounds, admission, instance } = parts;
  const cur = ws.get(CTL.CUR);
  const depth = ws.get(CTL.DEPTH);
  const out = instance.layout.OUT >>> 2;
  if (reason === RUN_NEW) {
    observer.discovered(ws.get(CTL.LAST), expander.next, depth + 1);
  } else if (reason === RUN_UNUSUAL) {
    const j = ws.get(CTL.J);
    const action = ws.memory32[out + j]!;
    const made = ws.get(CTL.MADE);
    const hash = ws.get(CTL.HASH);
    const observed = observer.monitors.readsEvents;
    if (made !== SLOW && observed) instance.events(expander.pending);
    const current = expander.current;
    const successor = expander.handBack(current, action, made, observed);
    observer.transitions++;
    const to = successor === null ? -1 : admission.admit(successor, cur, action, depth + 1, current, hash, 0, expander.written);
    if (observed) observer.transition(cur, action, expander.events, to, successor === null);
    ws.set(CTL.J, j + 1);
  } else if (reason === RUN_BOUND) {
    const count = ws.get(CTL.K);
    for (let j = 0; j < count; j++) actions[j] = ws.memory32[out + j]!;
    if (bounds.cutsAt(count, actions)) ws.set(CTL.J, count);
  } else if (reason === RUN_ASK) {
    ws.answer();
  } else if (reason === RUN_OUTBOX && parts.outbox !== undefined) {
    parts.outbox();
  } else if (reason === RUN_FULL) {
    throw bounds.statesReached();
  } else throw new Error(`internal: the search core returned ${reason}`);
}
