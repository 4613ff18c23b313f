// Hash compaction: the visited set keeps a 64-bit fingerprint of each state (fingerprints.ts, at most 8 bytes
// per state) instead of the state. Two different states with one fingerprint would make the search skip the
// second, so a run that ends "holds" is complete only with the probability reported alongside it, estimated as TLC
// does for its fingerprints. A violation found is always real: it is replayed through the model.
//
// The search still needs whole states for the breadth-first frontier (the level being expanded and the one being
// filled) and parent pointers for counterexamples. The frontier lives in memory and is dropped level by level;
// parent pointers and actions go to an unlinked temporary file (8 bytes per state on disk, none in memory), as
// TLC keeps its trace file, and a counterexample is rebuilt by reading it back and replaying the actions.

import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model } from '../../ir/model.js';
import { FingerprintSet } from './fingerprints.js';
import { StateHasher } from './hashing.js';
import { LevelStarts } from './levels.js';
import { MemoryBudgetExceeded } from './store.js';
import type { Symmetry } from './symmetry.js';
import { replaying, type VisitedStates } from './visited.js';
import type { Store } from './searchstore.js';

export interface Compaction {
  fingerprintBits: number;
  /** Bytes the fingerprint set holds per state. */
  bytesPerState: number;
  /**
   * Probability that some reachable state was skipped because its fingerprint equalled a stored one: TLC's
   * optimistic estimate states × (generated − states) / 2^64, or the birthday bound states² / 2^65 when larger.
   */
  collisionProbability: number;
  /** The most whole states held at once (the widest two levels of the search). */
  peakFrontierStates: number;
}

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const TRACE_BATCH = 1 << 15;

/** Closes the trace file of a store nobody refers to any more. */
const traceFiles = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

export class HashCompactStore implements Store {
  private readonly set: FingerprintSet;
  /** Frontier chunks by chunk number; undefined once dropped. */
  private readonly chunks: (Uint32Array | undefined)[] = [];
  private readonly parents: (Int32Array | undefined)[] = [];
  private readonly actions: (Int32Array | undefined)[] = [];
  /** The two fingerprint halves of each frontier state, so that expanding it need not rehash it. */
  private readonly hashA: (Int32Array | undefined)[] = [];
  private readonly hashB: (Int32Array | undefined)[] = [];
  private readonly levels = new LevelStarts();
  private held = 0;
  private peak = 0;
  private readonly fd: number;
  private readonly pending = new Int32Array(2 * TRACE_BATCH);
  private flushed = 0;
  readonly hasher: StateHasher;
  readonly exact = false;
  count = 0;

  constructor(
    private readonly model: Model,
    readonly words: number,
    private readonly canGrow: (extraBytes: number) => boolean,
    maxMemoryBytes = 8 * 1024 ** 3,
    salt = 0,
  ) {
    // A typed array's buffer holds at most 4 GB: 2^30 four-byte `lo` halves.
    this.set = new FingerprintSet(canGrow, Math.min(Math.floor(maxMemoryBytes / 6), 2 ** 30));
    // A salt (a swarm job's) fingerprints with other hash functions: other states collide, if any do.
    this.hasher = new StateHasher(words, salt);
    const file = join(tmpdir(), `schedcheck-trace-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    this.fd = openSync(file, 'w+', 0o600);
    unlinkSync(file); // the open descriptor keeps it; nothing is left behind
    traceFiles.register(this, this.fd);
  }

  get bytes(): number {
    return this.set.bytes + this.held * (this.words * 4 + 16);
  }

  hashWhole(s: Uint32Array): void {
    this.hasher.whole(s, true);
  }

  hashSuccessor(fromA: number, fromB: number, from: Uint32Array, to: Uint32Array, dirty: Int32Array | null, written: number): void {
    this.hasher.successor(fromA, fromB, from, to, dirty, written, true);
  }

  /** 0 when `s` was seen (its id is not kept), else -1. The fingerprint is (hash A, hash B) of hashing.ts. */
  find(s: Uint32Array, a = this.hasher.hash(s), b = this.hasher.hashB(s)): number {
    return this.set.has(a, b) ? 0 : -1;
  }

  /** Stores a new state's fingerprint: its id, or -1 when the fingerprint was seen. */
  add(s: Uint32Array, parent: number, action: number, depth: number, a = this.hasher.hash(s), b = this.hasher.hashB(s)): number {
    if (!this.set.add(a, b)) return -1;
    const id = this.count;
    const c = id >>> CHUNK_BITS;
    if ((id & CHUNK_MASK) === 0) {
      if (!this.canGrow(CHUNK * (this.words * 4 + 16))) throw new MemoryBudgetExceeded();
      this.chunks[c] = new Uint32Array(CHUNK * this.words);
      this.parents[c] = new Int32Array(CHUNK);
      this.actions[c] = new Int32Array(CHUNK);
      this.hashA[c] = new Int32Array(CHUNK);
      this.hashB[c] = new Int32Array(CHUNK);
    }
    this.hashA[c]![id & CHUNK_MASK] = a;
    this.hashB[c]![id & CHUNK_MASK] = b;
    this.chunks[c]!.set(s, (id & CHUNK_MASK) * this.words);
    this.parents[c]![id & CHUNK_MASK] = parent;
    this.actions[c]![id & CHUNK_MASK] = action;
    this.trace(parent, action);
    this.levels.reach(depth, id);
    this.count = id + 1;
    this.held++;
    if (this.held > this.peak) this.peak = this.held;
    return id;
  }

  private trace(parent: number, action: number): void {
    const at = 2 * (this.count - this.flushed);
    this.pending[at] = parent;
    this.pending[at + 1] = action;
    if (at + 2 === this.pending.length) {
      writeSync(this.fd, this.pending, 0, this.pending.byteLength, this.flushed * 8);
      this.flushed += TRACE_BATCH;
    }
  }

  /** Room for more states (ArenaStore.maintain): the fingerprint set and the frontier grow by themselves. */
  maintain(_room: number): void {}

  /** The search expands `id` next: whole states of the levels before its own are dropped. */
  expanding(id: number): void {
    const keep = this.levels.start(this.depth(id));
    for (let c = 0; (c + 1) * CHUNK <= keep; c++) {
      if (this.chunks[c] === undefined) continue;
      this.chunks[c] = undefined;
      this.parents[c] = undefined;
      this.actions[c] = undefined;
      this.hashA[c] = undefined;
      this.hashB[c] = undefined;
      this.held -= CHUNK;
    }
  }

  private chunkOf(id: number): Uint32Array {
    const chunk = this.chunks[id >>> CHUNK_BITS];
    if (chunk === undefined) throw new Error(`internal: state ${id} is no longer held (hash compaction keeps only the frontier)`);
    return chunk;
  }

  copyInto(id: number, out: Uint32Array): void {
    const chunk = this.chunkOf(id);
    const base = (id & CHUNK_MASK) * this.words;
    for (let i = 0; i < this.words; i++) out[i] = chunk[base + i]!;
  }

  view(id: number): Uint32Array {
    const base = (id & CHUNK_MASK) * this.words;
    return this.chunkOf(id).subarray(base, base + this.words);
  }

  state(id: number): Uint32Array {
    return this.view(id).slice();
  }

  /** The fingerprint halves of frontier state `id`. */
  hashOf(id: number): number {
    return this.hashA[id >>> CHUNK_BITS]![id & CHUNK_MASK]!;
  }
  hashBOf(id: number): number {
    return this.hashB[id >>> CHUNK_BITS]![id & CHUNK_MASK]!;
  }

  private record(id: number): [number, number] {
    const c = id >>> CHUNK_BITS;
    const parents = this.parents[c];
    if (parents !== undefined) return [parents[id & CHUNK_MASK]!, this.actions[c]![id & CHUNK_MASK]!];
    if (id >= this.flushed) return [this.pending[2 * (id - this.flushed)]!, this.pending[2 * (id - this.flushed) + 1]!];
    const buf = new Int32Array(2);
    readSync(this.fd, buf, 0, 8, id * 8);
    return [buf[0]!, buf[1]!];
  }

  parent(id: number): number {
    return this.record(id)[0];
  }

  action(id: number): number {
    return this.record(id)[1];
  }

  depth(id: number): number {
    return this.levels.depthOf(id);
  }

  compaction(transitions: number): Compaction {
    const n = this.count;
    const generated = transitions + this.levelStartCount();
    const optimistic = (n * Math.max(generated - n, 0)) / 2 ** 64;
    const birthday = (n * n) / 2 ** 65;
    return {
      fingerprintBits: 64,
      bytesPerState: n === 0 ? 0 : this.set.bytes / n,
      collisionProbability: Math.max(optimistic, birthday),
      peakFrontierStates: this.peak,
    };
  }

  /** States counted as generated before any transition: the initial ones. */
  private levelStartCount(): number {
    return this.levels.count > 1 ? this.levels.start(1) : this.count;
  }

  /** The finished store: paths are read back from the trace file and replayed through the model. */
  finish(_model: Model, symmetry: Symmetry | null): VisitedStates {
    return replaying(this, this.model, symmetry);
  }
}
