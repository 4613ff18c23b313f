// The exact visited set of the fast engine: states stored whole in fixed-size chunks of one arena (a chunk never
// moves, so views into it stay valid), found again through an open-addressing table of (hash, id + 1) pairs in
// one Int32Array (hashes from hashing.ts: callers that know a state's predecessor pass its hash along). Ids are discovery order; in a breadth-first search they are also the queue, and depth is
// monotone in the id, so the store keeps the first id of every level instead of a depth per state.

import type { Model } from '../../ir/model.js';
import { StateHasher } from './hashing.js';
import { replaying, storedPath, type VisitedStates } from './visited.js';
import { LevelStarts } from './levels.js';
import type { Store } from './searchstore.js';
import { MemoryBudgetExceeded } from './store.js';
import type { Symmetry } from './symmetry.js';

const CHUNK_BITS = 12; // 4096 states per chunk
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

export class ArenaStore implements Store {
  private readonly chunks: Uint32Array[] = [];
  private readonly parents: Int32Array[] = [];
  private readonly actions: Int32Array[] = [];
  /** Each state's hash, so that expanding it need not rehash it. */
  private readonly hashes: Int32Array[] = [];
  private table: Int32Array;
  private mask: number;
  private readonly levels = new LevelStarts();
  readonly hasher: StateHasher;
  readonly exact = true;
  count = 0;

  /**
   * @param canGrow asked before every allocation with the number of bytes it adds; answering false ends the run
   *   with MemoryBudgetExceeded instead of an out-of-memory crash.
   */
  constructor(
    readonly words: number,
    private readonly canGrow: (extraBytes: number) => boolean,
  ) {
    this.table = new Int32Array(2 * 4096);
    this.mask = 4095;
    this.hasher = new StateHasher(words);
  }

  get bytes(): number {
    return this.chunks.length * CHUNK * (this.words * 4 + 12) + this.table.byteLength + this.levels.byteLength;
  }

  private equalAt(id: number, s: Uint32Array): boolean {
    const chunk = this.chunks[id >>> CHUNK_BITS]!;
    const base = (id & CHUNK_MASK) * this.words;
    for (let i = 0; i < this.words; i++) if (chunk[base + i] !== s[i]) return false;
    return true;
  }

  hashWhole(s: Uint32Array): void {
    this.hasher.whole(s, false);
  }

  hashSuccessor(fromA: number, fromB: number, from: Uint32Array, to: Uint32Array, dirty: Int32Array | null, written: number): void {
    this.hasher.successor(fromA, fromB, from, to, dirty, written, false);
  }

  /** The id of `s` if stored, else -1. */
  find(s: Uint32Array, hash = this.hasher.hash(s), _b = 0): number {
    const t = this.table;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const e = t[2 * i + 1]!;
      if (e === 0) return -1;
      if (t[2 * i] === hash && this.equalAt(e - 1, s)) return e - 1;
    }
  }

  /** Stores `s` if it is new: its id, or -(id + 1) of the stored copy. `depth` must not decrease between calls. */
  add(s: Uint32Array, parent: number, action: number, depth: number, hash = this.hasher.hash(s), _b = 0): number {
    const t = this.table;
    let i = hash & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const e = t[2 * i + 1]!;
      if (e === 0) break;
      if (t[2 * i] === hash && this.equalAt(e - 1, s)) return -e;
    }
    const id = this.count;
    if (id >= this.chunks.length * CHUNK) this.newChunk();
    this.chunks[id >>> CHUNK_BITS]!.set(s, (id & CHUNK_MASK) * this.words);
    this.parents[id >>> CHUNK_BITS]![id & CHUNK_MASK] = parent;
    this.actions[id >>> CHUNK_BITS]![id & CHUNK_MASK] = action;
    this.hashes[id >>> CHUNK_BITS]![id & CHUNK_MASK] = hash;
    this.levels.reach(depth, id);
    t[2 * i] = hash;
    t[2 * i + 1] = id + 1;
    this.count = id + 1;
    if (this.count * 2 > this.mask + 1) this.growTable();
    return id;
  }

  /**
   * Makes room for `room` more states, so that `add` does not allocate while the search is inside its hot loop:
   * an allocation first met in JIT-compiled code throws that code away (the search calls this every 1024 states
   * with room for all their successors).
   */
  maintain(room: number): void {
    const need = this.count + room;
    while (need > this.chunks.length * CHUNK) this.newChunk();
    while (need * 2 > this.mask + 1) this.growTable();
  }

  private newChunk(): void {
    if (!this.canGrow(CHUNK * (this.words * 4 + 12))) throw new MemoryBudgetExceeded();
    this.chunks.push(new Uint32Array(CHUNK * this.words));
    this.parents.push(new Int32Array(CHUNK));
    this.actions.push(new Int32Array(CHUNK));
    this.hashes.push(new Int32Array(CHUNK));
  }

  private growTable(): void {
    const size = (this.mask + 1) * 2;
    if (!this.canGrow(size * 8)) throw new MemoryBudgetExceeded();
    const old = this.table;
    const t = new Int32Array(size * 2);
    const mask = size - 1;
    for (let j = 0; j < old.length; j += 2) {
      const e = old[j + 1]!;
      if (e === 0) continue;
      let i = old[j]! & mask;
      while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = old[j]!;
      t[2 * i + 1] = e;
    }
    this.table = t;
    this.mask = mask;
  }

  /** The search expands `id` next (the exact store keeps every state: nothing to drop). */
  expanding(_id: number): void {}

  /** Copies state `id` into `out`. */
  copyInto(id: number, out: Uint32Array): void {
    const chunk = this.chunks[id >>> CHUNK_BITS]!;
    const base = (id & CHUNK_MASK) * this.words;
    for (let i = 0; i < this.words; i++) out[i] = chunk[base + i]!;
  }

  /** A view of state `id` (valid for the store's lifetime: chunks never move). */
  view(id: number): Uint32Array {
    const base = (id & CHUNK_MASK) * this.words;
    return this.chunks[id >>> CHUNK_BITS]!.subarray(base, base + this.words);
  }

  /** A copy of state `id`. */
  state(id: number): Uint32Array {
    return this.view(id).slice();
  }

  /** The hash state `id` was stored under. */
  hashOf(id: number): number {
    return this.hashes[id >>> CHUNK_BITS]![id & CHUNK_MASK]!;
  }

  hashBOf(_id: number): number {
    return 0;
  }

  parent(id: number): number {
    return this.parents[id >>> CHUNK_BITS]![id & CHUNK_MASK]!;
  }

  action(id: number): number {
    return this.actions[id >>> CHUNK_BITS]![id & CHUNK_MASK]!;
  }

  /** The breadth-first depth of `id`: the last level that starts at or before it. */
  depth(id: number): number {
    return this.levels.depthOf(id);
  }

  /** The first id of level `d`, or `count` past the last level. */
  levelStart(d: number): number {
    return d < this.levels.count ? this.levels.start(d) : this.count;
  }

  /** States and actions from an initial state to `id`: states.length = actions.length + 1. */
  path(id: number): { states: Uint32Array[]; actions: number[] } {
    return storedPath(this, id);
  }

  /** Under symmetry a stored state stands for its orbit: paths are replayed to give the states themselves. */
  finish(model: Model, symmetry: Symmetry | null): VisitedStates {
    return symmetry === null ? this : replaying(this, model, symmetry);
  }
}
