// What a breadth-first search asks of its visited set. Three stores answer it: the arena (arena.ts: whole states
// in JavaScript memory), hash compaction (hashcompact.ts: a fingerprint per state, whole states only for the
// frontier) and the WebAssembly store (wasmstore.ts: the arena laid out in the search core's memory). Ids are
// discovery order, so the queue is the id range still to expand and depth never decreases with the id.

import type { Model } from '../../ir/model.js';
import type { StateHasher } from './hashing.js';
import type { Symmetry } from './symmetry.js';
import type { VisitedStates } from './visited.js';

/** Paths are the finished store's (`finish`): hash compaction rebuilds them by replaying. */
export interface Store extends Omit<VisitedStates, 'path'> {
  /** Words per state. */
  readonly words: number;
  /**
   * Whether `add` names the stored copy of a state seen before (-(id + 1)); hash compaction keeps no id for a
   * fingerprint and answers -1.
   */
  readonly exact: boolean;
  /** Holds the hashes `hashWhole` and `hashSuccessor` computed (`a`, and `b` for hash compaction, else 0). */
  readonly hasher: StateHasher;
  /** Hashes `s` word by word, for a state with no parent at hand (initial states, the depth bound's probes). */
  hashWhole(s: Uint32Array): void;
  /**
   * Hashes `to` from the hashes of `from`, the state it was reached from: only the words that differ, or only
   * `dirty[0 .. written)` when the compiled step says which it wrote (written >= 0).
   */
  hashSuccessor(fromA: number, fromB: number, from: Uint32Array, to: Uint32Array, dirty: Int32Array | null, written: number): void;
  /** The hashes state `id` was stored under (B is 0 but for hash compaction). */
  hashOf(id: number): number;
  hashBOf(id: number): number;
  /** The id of `s` (hashed to a, b) if stored, else -1 (hash compaction: 0 if its fingerprint was seen). */
  find(s: Uint32Array, a: number, b: number): number;
  /** Stores `s` if new: its id; else -(id + 1) of the stored copy (or -1, see `exact`). Depth never decreases. */
  add(s: Uint32Array, parent: number, action: number, depth: number, a: number, b: number): number;
  /**
   * Room for `room` more states, asked every 1024 states so that `add` never allocates in the hot loop (an
   * allocation first met in JIT-compiled code throws that code away). May move the WebAssembly memory.
   */
  maintain(room: number): void;
  /** The search expands `id` next: hash compaction drops the whole states of the levels before its own. */
  expanding(id: number): void;
  copyInto(id: number, out: Uint32Array): void;
  /** A view of state `id`, for monitors to read during a call (the WebAssembly memory may move after). */
  view(id: number): Uint32Array;
  /** What the rest of the checker reads once the search is over (paths replayed where states are not kept). */
  finish(model: Model, symmetry: Symmetry | null): VisitedStates;
}
