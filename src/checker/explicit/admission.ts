// How a state enters the store: its key (the canonical member of its orbit under symmetry), its hashes (from
// its parent's when it has one, and from the words the compiled step wrote when they are known), the
// --max-states bound, and the observer told of every new state.

import { statesReached } from './bounds.js';
import type { Expander } from './expander.js';
import type { SearchObserver } from './observer.js';
import type { Store } from './searchstore.js';
import type { Symmetry } from './symmetry.js';

export class Admission {
  private readonly canonical: Uint32Array;

  constructor(
    private readonly store: Store,
    private readonly expander: Expander,
    private readonly symmetry: Symmetry | null,
    private readonly maxStates: number | undefined,
    private readonly observer: SearchObserver,
    /**
     * In a partitioned search (partition.ts): takes a state another shard owns (key and hash), answering true,
     * so that it is not stored here.
     */
    private readonly route: ((key: Uint32Array, hash: number) => boolean) | null = null,
  ) {
    this.canonical = new Uint32Array(store.words);
  }

  /** The key `state` is stored under (a scratch buffer under symmetry). */
  keyOf(state: Uint32Array): Uint32Array {
    return this.symmetry === null ? state : this.symmetry.canonical(state, this.canonical);
  }

  /**
   * Stores `state` (its hashes follow from those of `from`, the state it was reached from, when given; `written`
   * is the expander's count of words it wrote, or -1), telling the observer when it is new: its id, new or not,
   * or -1 when hash compaction cannot say or another shard owns it.
   */
  admit(state: Uint32Array, parent: number, action: number, depth: number, from: Uint32Array | null, fromA: number, fromB: number, written: number): number {
    const key = this.keyOf(state);
    const store = this.store;
    // Only the words the compiled step wrote can differ from `from`, unless symmetry renumbered the threads.
    if (from === null) store.hashWhole(key);
    else store.hashSuccessor(fromA, fromB, from, key, this.expander.dirty, key === state ? written : -1);
    const a = store.hasher.a;
    const b = store.hasher.b;
    if (this.route !== null && this.route(key, a)) return -1;
    const maxStates = this.maxStates;
    if (maxStates !== undefined && store.count >= maxStates && store.find(key, a, b) < 0) throw statesReached(store, maxStates);
    const id = store.add(key, parent, action, depth, a, b);
    if (id >= 0) {
      this.observer.discovered(id, key, depth);
      return id;
    }
    return store.exact ? -id - 1 : -1;
  }
}
