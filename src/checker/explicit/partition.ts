// A hash-partitioned breadth-first search: the visited set is split into shards by the hash of a state, and each
// shard (one WebAssembly search core and its store, workers.ts runs each in a thread of its own) expands only the
// states it owns, level by level. A successor another shard owns goes to that shard's inbox instead of the local
// store (the core writes it to its outbox, wasmsearch.ts's RUN_OUTBOX); at the end of a level every shard stores
// what it received, new states joining the next level. Levels stay whole, so the states found, the transitions
// made and the depth reached are those of one search.
//
// A shard knows its own states only: their parents may be another shard's. Shards therefore run only properties
// whose monitors decide from one state or one transition alone (Monitor.local) and report a violation as found,
// not where; the driver (check.ts) then runs the one-shard search again, which finds the same first violation with
// its shortest counterexample.

import type { Program, PropertyId } from '../../ir/ir.js';
import type { Model } from '../../ir/model.js';
import { buildModel } from '../../hw/build.js';
import { PROPERTIES } from '../properties/index.js';
import type { Monitor } from '../properties/property.js';
import type { InconclusiveReason, Stats } from '../verdict.js';
import { Admission } from './admission.js';
import { SearchBounds, Stop } from './bounds.js';
import { compileFrom, compileModel, maxActions, type CompiledImage } from './compile.js';
import { CompiledExpander } from './compiledexpander.js';
import { explorationOf, spillCap } from './explore.js';
import { coreBreadthFirst, type CoreParts } from './coresearch.js';
import { FigureCollector } from './figures.js';
import { memoryGauge } from './memory.js';
import { SearchObserver } from './observer.js';
import { OpenMonitors } from './openmonitors.js';
import { ProgressLine } from './progress.js';
import { MemoryBudgetExceeded } from './store.js';
import { SpillFailed } from './movedchunks.js';
import { Ownership } from './ownership.js';
import { CTL } from './wasmsearch.js';
import { WasmStore, WasmStoreFull } from './wasmstore.js';

/** Records of the core's outbox for each other shard: room for this many before it returns to JavaScript. */
const OUTBOX_RECORDS = 16384;

/**
 * Records one shard found for another during a level, in memory both threads see: written by the first during its
 * expansion, read by the second when it stores them at the start of the next level, and reused level after level
 * (a fresh buffer per batch cost more in page faults and collections than the copying itself). Two buffers take
 * turns: the receiver reads one level's records while the sender, already expanding that level, writes the next
 * one's into the other.
 */
export class Channel {
  private readonly buffers: SharedArrayBuffer[];
  private readonly views: Int32Array[];
  /** A buffer was replaced since it was last taken: the receiver needs the new one. */
  private readonly moved = [true, true];
  private turn = 0;
  length = 0;

  constructor(ints = 1 << 16) {
    this.buffers = [new SharedArrayBuffer(ints * 4), new SharedArrayBuffer(ints * 4)];
    this.views = this.buffers.map((b) => new Int32Array(b));
  }

  append(records: Int32Array): void {
    const need = this.length + records.length;
    const t = this.turn;
    if (need > this.views[t]!.length) {
      const bigger = new Int32Array(new SharedArrayBuffer(Math.max(need, this.views[t]!.length * 2) * 4));
      bigger.set(this.views[t]!.subarray(0, this.length));
      this.views[t] = bigger;
      this.buffers[t] = bigger.buffer as SharedArrayBuffer;
      this.moved[t] = true;
    }
    this.views[t]!.set(records, this.length);
    this.length = need;
  }

  /** What was written since the last take, for the receiver; the next level's records go to the other buffer. */
  take(): Batch {
    const t = this.turn;
    // Posting a SharedArrayBuffer to another thread costs about a millisecond: only a new one is sent.
    const batch = { turn: t, buffer: this.moved[t] ? this.buffers[t]! : null, length: this.length };
    this.moved[t] = false;
    this.length = 0;
    this.turn = 1 - t;
    return batch;
  }
}

/**
 * Records in one of a channel's two buffers: its first `length` ints; `buffer` is null when it is the one sent
 * last for that turn.
 */
export interface Batch {
  turn: number;
  buffer: SharedArrayBuffer | null;
  length: number;
}

/** A batch from shard `from`. */
export interface Received extends Batch {
  from: number;
}

/** What a shard is made with. */
export interface ShardSpec {
  program: Program;
  /** The properties whose monitors the shard runs (each local, Monitor.local, or gathering, Monitor.gathered). */
  properties: PropertyId[];
  shard: number;
  shards: number;
  /** When the whole search began (Date.now()) and its --timeout, for the time bound. */
  started: number;
  timeoutSeconds?: number;
  /** The process's memory limit in bytes (every shard's gauge reads the whole process). */
  memoryLimit: number;
  /** The store's WebAssembly memory cap (tests set less than 4 GiB). */
  wasmMemoryBytes?: number;
  /** `check --spill-dir` (ExploreBounds.spillDir): each shard's store moves its chunks to a file of its own there. */
  spillDir?: string;
  /** The program's module as the thread that hands the states over compiled it (not generated again). */
  image?: CompiledImage;
}

/** How a shard's part of a level ended. */
export interface LevelReport {
  /** States the shard holds. */
  count: number;
  /** States of the level this shard held (expanded, unless a bound stopped it). */
  level: number;
  transitions: number;
  /** Records sent to other shards. */
  sent: number;
  /** A monitor found a violation. */
  found: boolean;
  stop: { reason: InconclusiveReason; detail: string } | null;
}

/** What a shard tells at the end of a complete search (Shard.finish). */
export interface Finished {
  figures: number[];
  gathered: [PropertyId, unknown][];
}

/** One shard of a partitioned search. */
export class Shard {
  readonly model: Model;
  private readonly store: WasmStore;
  private readonly parts: CoreParts;
  /** Per shard, the records bound for it, taken from the core's outbox. */
  private readonly outgoing: Channel[];
  /** Per shard, the two buffers of its channel to this one. */
  private readonly incoming: (SharedArrayBuffer | null)[][];
  private readonly figures: FigureCollector;
  private readonly monitors: OpenMonitors;
  private transitionsReported = 0;
  /** Which shard owns a state: set with the states handed over (seed). */
  private ownership: Ownership;
  private sent = 0;

  constructor(readonly spec: ShardSpec) {
    const model = buildModel(spec.program);
    this.model = model;
    const compiled = spec.image === undefined ? compileModel(model) : compileFrom(model, spec.image);
    const instance = compiled?.searchInstance?.();
    if (compiled === null || instance == null) throw new Error('internal: a shard needs the WebAssembly search core');
    const fits = memoryGauge(spec.memoryLimit);
    const words = model.layout.words;
    this.ownership = new Ownership(spec.shards, words, []);
    // Each shard's share of the memory limit, as the one-thread search's cap is (explore.ts's spillCap).
    const store = new WasmStore(instance, words, fits, spillCap(spec, spec.memoryLimit / spec.shards), spec.spillDir, spec.memoryLimit / spec.shards / 4);
    this.store = store;
    const expander = new CompiledExpander(model, compiled, instance.compiled);
    const room = maxActions(model.program);
    const x = explorationOf(model, compiled, store, room);
    const monitors = new Map<PropertyId, Monitor>();
    for (const id of spec.properties) {
      const m = PROPERTIES[id].monitor(x);
      if ('notCheckable' in m || (m.local !== true && m.gathered === undefined)) throw new Error(`internal: ${id} cannot run in a shard`);
      monitors.set(id, m);
    }
    this.figures = new FigureCollector(model.program, model.layout, model.program.latencyBound, null);
    const stats = (): Stats => ({ states: store.count, transitions: observer.transitions, depth: 0, seconds: 0 });
    const open = new OpenMonitors(monitors, false, stats);
    this.monitors = open;
    const observer = new SearchObserver(model, open, null, this.figures, expander);
    this.outgoing = Array.from({ length: spec.shards }, () => new Channel());
    this.incoming = Array.from({ length: spec.shards }, () => [null, null]);
    const admission = new Admission(store, expander, null, undefined, observer, (key, hash) => {
      const owner = this.ownership.owner(hash, key);
      if (owner === spec.shard) return false;
      // The core writes to an outbox only while it has room: never leave one full.
      if (store.toOutbox(owner, hash, key)) this.drain();
      return true;
    });
    const bounds = new SearchBounds({ timeoutSeconds: spec.timeoutSeconds }, spec.started, fits, model, store, expander, admission, ProgressLine.forStderr(false), room);
    this.parts = { store, expander, admission, observer, bounds, room, model, instance, outbox: () => this.drain() };
    store.partition(spec.shard, spec.shards, OUTBOX_RECORDS);
    store.maintain(1024 * room);
    expander.rebind();
  }

  /** Takes the records of the core's outboxes. */
  private drain(): void {
    for (let to = 0; to < this.spec.shards; to++) {
      if (to === this.spec.shard) continue;
      const records = this.store.takeOutbox(to);
      this.sent += records.length / (this.store.words + 1);
      this.outgoing[to]!.append(records);
    }
  }

  /**
   * Stores states handed over from a search begun with one shard: records of (hash, words) in breadth-first
   * order, `levels[d]` of them of depth d; the states of depth `frontier` are the next level to expand.
   * `leftOut`: the words the owner's hash leaves out (ownership.ts), the same in every shard.
   */
  seed(records: Int32Array, levels: Int32Array, frontier: number, leftOut: readonly number[]): LevelReport['stop'] {
    const ws = this.store;
    this.ownership = new Ownership(this.spec.shards, ws.words, leftOut);
    ws.leaveOut(leftOut);
    const size = ws.words + 1;
    // A bound met while storing them (the memory limit) ends the search as one met in a level does.
    return this.guard(() => {
      ws.maintain(records.length / size + 1024 * this.parts.room);
      // Level by level, as the core stores what other shards send.
      for (let depth = 0, at = 0; depth < levels.length; at += levels[depth++]! * size) {
        if (levels[depth]! > 0) ws.absorb(records.subarray(at, at + levels[depth]! * size), depth, null);
      }
      this.parts.expander.rebind();
      ws.set(CTL.NEXT, ws.levelStart(frontier));
    });
  }

  private guard(run: () => void): LevelReport['stop'] {
    try {
      run();
      return null;
    } catch (error) {
      if (error instanceof Stop) return { reason: error.reason, detail: error.detail };
      if (error instanceof MemoryBudgetExceeded) {
        return { reason: 'max-memory', detail: `stopped at the memory limit (${Math.round(this.spec.memoryLimit / 1048576)} MB)` };
      }
      if (error instanceof WasmStoreFull) return { reason: 'max-memory', detail: `a shard's store outgrew its WebAssembly memory: ${error.message}` };
      if (error instanceof SpillFailed) return { reason: 'max-memory', detail: `stopped: ${error.message}` };
      throw error;
    }
  }

  private report(stop: LevelReport['stop'], level: number): LevelReport {
    const transitions = this.parts.observer.transitions - this.transitionsReported;
    this.transitionsReported = this.parts.observer.transitions;
    const sent = this.sent;
    this.sent = 0;
    return { count: this.store.count, level, transitions, sent, found: this.parts.observer.monitors.findings.size > 0, stop };
  }

  /**
   * One level: stores the records other shards found for this one at `depth` (the level's states they reached),
   * then expands this shard's states of that level; what it found for other shards is in `takeAll`.
   */
  step(inboxes: readonly Received[], depth: number): LevelReport {
    const ws = this.store;
    const first = ws.get(CTL.NEXT);
    let end = ws.count;
    const stop = this.guard(() => {
      const { observer, expander, room } = this.parts;
      const discovered = observer.monitors.onStates.length > 0 ? (id: number): void => observer.discovered(id, ws.view(id), depth) : null;
      for (const { from, turn, buffer, length } of inboxes) {
        if (buffer !== null) this.incoming[from]![turn] = buffer;
        if (length > 0) ws.absorb(new Int32Array(this.incoming[from]![turn]!, 0, length), depth, discovered);
      }
      ws.maintain(1024 * room);
      expander.rebind();
      end = ws.count;
      coreBreadthFirst(this.parts, end);
    });
    this.drain();
    return this.report(stop, end - first);
  }

  /** The records bound for each shard since the last take (this one's own channel stays empty). */
  takeAll(): Batch[] {
    return this.outgoing.map((channel) => channel.take());
  }

  /** States this shard holds. */
  get count(): number {
    return this.store.count;
  }

  /**
   * At the end of a complete search: the worst value of every figure slot over this shard's states (figures.ts's
   * figureSlots order), and what its monitors that gather gathered, by property (Monitor.gathered).
   */
  finish(): Finished {
    this.figures.absorb(this.store.figureWorsts());
    return { figures: this.figures.worsts(), gathered: this.monitors.gathered() };
  }
}
