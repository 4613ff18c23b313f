// The visited set: every state packed into one growing Uint32Array arena, found again through an exact
// open-addressing hash table of state ids. States get ids in discovery order, so in a breadth-first search the
// ids are also the queue, and parent pointers (state id + action) rebuild every path.

export class MemoryBudgetExceeded extends Error {}

/** Bytes the store would own after growing to hold `states` states of `words` words, with its hash table. */
function bytesFor(states: number, words: number, tableSlots: number): number {
  return states * (words * 4 + 4 + 4 + 4) + tableSlots * 4;
}

export class StateStore {
  private arena: Uint32Array;
  private parents: Int32Array;
  private actions: Int32Array;
  private depths: Int32Array;
  private table: Int32Array; // state id + 1; 0 = empty
  private capacity: number;
  count = 0;

  /**
   * @param canGrow asked before every allocation with the number of bytes the store would own afterwards;
   *   answering false ends the run with MemoryBudgetExceeded instead of an out-of-memory crash.
   */
  constructor(
    readonly words: number,
    private readonly canGrow: (bytes: number) => boolean,
    initialCapacity = 1024,
  ) {
    this.capacity = initialCapacity;
    this.arena = new Uint32Array(initialCapacity * words);
    this.parents = new Int32Array(initialCapacity);
    this.actions = new Int32Array(initialCapacity);
    this.depths = new Int32Array(initialCapacity);
    this.table = new Int32Array(initialCapacity * 2);
  }

  get bytes(): number {
    return bytesFor(this.capacity, this.words, this.table.length);
  }

  private hash(state: Uint32Array, offset: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < this.words; i++) {
      h = Math.imul(h ^ state[offset + i]!, 0x01000193);
      h ^= h >>> 15;
    }
    return Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }

  private equalAt(id: number, state: Uint32Array): boolean {
    const base = id * this.words;
    for (let i = 0; i < this.words; i++) if (this.arena[base + i] !== state[i]) return false;
    return true;
  }

  /** The id of `state` if it is stored, else -1. */
  find(state: Uint32Array): number {
    const mask = this.table.length - 1;
    for (let slot = this.hash(state, 0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]!;
      if (entry === 0) return -1;
      if (this.equalAt(entry - 1, state)) return entry - 1;
    }
  }

  /** Stores `state` if it is new: returns its id, or -(id + 1) of the stored copy when it was seen before. */
  add(state: Uint32Array, parent: number, action: number, depth: number): number {
    const mask = this.table.length - 1;
    let slot = this.hash(state, 0) & mask;
    for (; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]!;
      if (entry === 0) break;
      if (this.equalAt(entry - 1, state)) return -entry;
    }
    if (this.count === this.capacity) {
      this.grow();
      return this.add(state, parent, action, depth);
    }
    const id = this.count++;
    this.arena.set(state, id * this.words);
    this.parents[id] = parent;
    this.actions[id] = action;
    this.depths[id] = depth;
    this.table[slot] = id + 1;
    return id;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const tableSlots = capacity * 2;
    if (!this.canGrow(bytesFor(capacity, this.words, tableSlots))) throw new MemoryBudgetExceeded();
    const arena = new Uint32Array(capacity * this.words);
    arena.set(this.arena);
    this.arena = arena;
    this.parents = extend(this.parents, capacity);
    this.actions = extend(this.actions, capacity);
    this.depths = extend(this.depths, capacity);
    this.capacity = capacity;
    this.table = new Int32Array(tableSlots);
    const mask = tableSlots - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hash(this.arena, id * this.words) & mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & mask;
      this.table[slot] = id + 1;
    }
  }

  /** A copy of state `id` (the arena moves when it grows, so views must not outlive a call). */
  state(id: number): Uint32Array {
    return this.arena.slice(id * this.words, (id + 1) * this.words);
  }

  parent(id: number): number {
    return this.parents[id]!;
  }
  action(id: number): number {
    return this.actions[id]!;
  }
  depth(id: number): number {
    return this.depths[id]!;
  }

  /** States and actions from an initial state to `id`: states.length = actions.length + 1. */
  path(id: number): { states: Uint32Array[]; actions: number[] } {
    const ids: number[] = [];
    for (let at = id; at >= 0; at = this.parents[at]!) ids.push(at);
    ids.reverse();
    return { states: ids.map((i) => this.state(i)), actions: ids.slice(1).map((i) => this.actions[i]!) };
  }
}

function extend(array: Int32Array, capacity: number): Int32Array {
  const bigger = new Int32Array(capacity);
  bigger.set(array);
  return bigger;
}
