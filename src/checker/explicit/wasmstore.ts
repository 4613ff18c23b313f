// The exact visited set of the WebAssembly search core, seen from JavaScript: the memory of one module instance
// (compile.ts's SearchInstance) holding arena.ts's store as wasmsearch.ts lays it out. JavaScript allocates in
// that memory (bump allocation; a table the store outgrew is reused for the next chunks), grows it before each
// batch of states so that the core never runs out of room, and answers what the rest of the checker asks of a
// store (states, parents, actions, depths, paths) from it.
//
// A 32-bit WebAssembly memory holds at most 4 GiB. When the store nears that (or the cap a test sets), the chunks
// of states whose level is expanded move out of the memory into JavaScript buffers of their own, and their room
// takes new chunks: the core expands only the level under way and stores only the next one, and meets an older
// state only when a probe finds one with the hash it looks for, which JavaScript then compares (wasmsearch.ts's
// ASK). The memory then holds the table and the last levels, and the states go on past 4 GiB. A search whose
// table and last levels alone need more ends with WasmStoreFull, and explore.ts runs it again with the JavaScript
// store (the same states in the same order, so the same outcome).

import type { Model } from '../../ir/model.js';
import type { SearchInstance } from './compile.js';
import { StateHasher } from './hashing.js';
import { replaying, storedPath, type VisitedStates } from './visited.js';
import { levelOf } from './levels.js';
import type { Store } from './searchstore.js';
import { MemoryBudgetExceeded } from './store.js';
import { wasmMemoryMaximum } from './memory.js';
import { writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ChunksInMemory, ChunksOnDisk, type MovedChunks } from './movedchunks.js';
import type { Symmetry } from './symmetry.js';
import { ANSWER_ROOM, CHUNK, CHUNK_BITS, chunkLayout, CTL, CTL_WORDS, FIND_ASK, INSERT_ASK, INSERT_FULL } from './wasmsearch.js';

/**
 * `bytes` rounded up to a multiple of 8, for any size up to the 4 GiB of a memory: not with 32-bit operators,
 * which turn a size of 2 GiB or more (the table of 2^28 slots a store of 2^26 states grows to) negative.
 */
export function aligned(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/**
 * The words of the chunk at byte address `at`, `bytes` long. The address is read back signed from the directory:
 * one past 2 GiB is negative, and the end of a chunk at the very top of a 4 GiB memory, computed from it, wrapped
 * to 0 (an empty chunk moved out). From its first word on, then.
 */
export function chunkWords(u32: Uint32Array, at: number, bytes: number): Uint32Array {
  const from = at >>> 2;
  return u32.subarray(from, from + (bytes >>> 2));
}

/** The store needs more than a WebAssembly memory can hold (or the cap a test set). */
export class WasmStoreFull extends Error {}

const PAGE = 65536;
const MAX_MEMORY = 2 ** 32;
const INITIAL_TABLE = 4096;
/** Levels that may begin between two `maintain` calls, and then some: a state's expansion begins at most one. */
const LEVEL_ROOM = 2048;
const INT_MAX = 2 ** 31 - 1;
/** Chunks moved out of the memory at a time (about 200 MiB of 51-word states). */
const MOVE_AT_ONCE = 256;

export class WasmStore implements Store {
  readonly hasher: StateHasher;
  readonly exact = true;
  private m32!: Int32Array;
  private u32!: Uint32Array;
  /** Word index of the control block. */
  private readonly ctl: number;
  private readonly part: ReturnType<typeof chunkLayout>;
  /** The first byte no allocation has used. */
  private top: number;
  /** A region freed by a table that was outgrown, used for chunks while they fit. */
  private holeAt = 0;
  private holeEnd = 0;
  private chunks = 0;
  private dirCap = 0;
  private levelCap = 0;
  /** A partitioned search's region for records received, and for the ids of the new states among them. */
  private inboxAt = 0;
  private idsAt = 0;
  private inboxRecords = 0;
  /** Chunks moved out of the memory (the directory holds 0 for them), by chunk index. */
  private readonly moved: MovedChunks;
  /** Chunks below this index are moved out. */
  private movedUpTo = 0;
  /** Regions of chunks moved out, for new chunks. */
  private readonly free: number[] = [];

  /**
   * @param canGrow asked before the memory grows, with the bytes it adds; false ends the run with
   *   MemoryBudgetExceeded.
   * @param maxBytes the memory the store may use before WasmStoreFull (tests set less than the 4 GiB limit).
   */
  constructor(
    readonly instance: SearchInstance,
    readonly words: number,
    private readonly canGrow: (extraBytes: number) => boolean,
    private maxBytes = MAX_MEMORY,
    /** `check --spill-dir`: the directory where chunks moved out of the memory go (movedchunks.ts). */
    spillDir?: string,
    /** Without it: the bytes of moved chunks kept in memory, past which they go to the temporary directory. */
    inMemoryBytes = Infinity,
  ) {
    this.hasher = new StateHasher(words);
    // Under an address-space limit the module's memory declares a maximum (memory.ts): chunks move out before it.
    const declared = wasmMemoryMaximum();
    if (declared !== null) this.maxBytes = Math.min(this.maxBytes, declared * PAGE);
    this.part = chunkLayout(words);
    const chunkBytes = this.part.bytes;
    this.moved =
      spillDir === undefined
        ? new ChunksInMemory(canGrow, inMemoryBytes, () => new ChunksOnDisk(tmpdir(), chunkBytes, writeSync, `the temporary directory ${tmpdir()}`))
        : new ChunksOnDisk(spillDir, chunkBytes);
    this.ctl = instance.layout.CTL >>> 2;
    this.top = instance.layout.heap;
    this.views();
    for (let i = 0; i < CTL_WORDS; i++) this.m32[this.ctl + i] = 0;
    this.set(CTL.MAX_DEPTH, INT_MAX);
    this.set(CTL.MAX_STATES, INT_MAX);
    this.dirCap = 64;
    this.set(CTL.DIR, this.alloc(this.dirCap * 4, false));
    this.levelCap = LEVEL_ROOM * 2;
    this.set(CTL.LEVELS, this.alloc(this.levelCap * 4, false));
    const table = this.alloc(INITIAL_TABLE * 8, false);
    this.m32.fill(0, table >>> 2, (table >>> 2) + INITIAL_TABLE * 2);
    this.set(CTL.TABLE, table);
    this.set(CTL.MASK, INITIAL_TABLE - 1);
    this.set(CTL.ANSWERS, this.alloc(ANSWER_ROOM * 8, false));
  }

  private views(): void {
    this.m32 = new Int32Array(this.instance.memory.buffer);
    this.u32 = new Uint32Array(this.instance.memory.buffer);
  }

  /** A control field. */
  get(field: number): number {
    return this.m32[this.ctl + field]!;
  }

  set(field: number, value: number): void {
    this.m32[this.ctl + field] = value;
  }

  /** The whole memory as i32 (valid until the next `maintain`). */
  get memory32(): Int32Array {
    return this.m32;
  }

  get count(): number {
    return this.get(CTL.COUNT);
  }

  /** Bytes the store has taken from its memory (the module's own tables and buffers included), and outside it. */
  get bytes(): number {
    return this.top + this.moved.residentBytes;
  }

  /** Chunks moved out of the memory. */
  get movedOut(): number {
    return this.moved.count;
  }

  /** Gives back what the store holds outside the process (the file of chunks moved to disk). */
  close(): void {
    this.moved.close();
  }

  /** Grows the memory so that it reaches byte `end`. */
  private reach(end: number): void {
    const have = this.instance.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) throw new WasmStoreFull(`the store needs more than ${this.maxBytes} bytes of WebAssembly memory`);
    // Ahead by a quarter of what it has (1 MiB to 256 MiB, within the cap): V8 answers every growth of the memory
    // with a full garbage collection, so growing by the megabyte cost seconds on a large store. When the
    // memory limit does not allow the margin, only what is needed.
    const needed = Math.ceil((end - have) / PAGE);
    const ahead = Math.min(Math.max(16, Math.floor(have / 4 / PAGE)), 4096, Math.floor((this.maxBytes - have) / PAGE));
    let pages = Math.max(needed, ahead);
    if (!this.canGrow(pages * PAGE)) {
      pages = needed;
      if (!this.canGrow(pages * PAGE)) throw new MemoryBudgetExceeded();
    }
    try {
      this.instance.memory.grow(pages);
    } catch (error) {
      if (error instanceof RangeError) throw new WasmStoreFull(`the WebAssembly memory could not grow: ${error.message}`);
      throw error;
    }
    this.instance.refresh();
    this.views();
  }

  /** `bytes` of memory, 8-aligned; from the hole when `fromHole` and it fits. */
  private alloc(bytes: number, fromHole: boolean): number {
    const size = aligned(bytes);
    if (fromHole && this.holeEnd - this.holeAt >= size) {
      const at = this.holeAt;
      this.holeAt += size;
      return at;
    }
    this.reach(this.top + size);
    const at = this.top;
    this.top += size;
    return at;
  }

  /** Moves the array at control field `field` (`used` of `cap` entries) to a new place of `newCap` entries. */
  private relocate(field: number, used: number, newCap: number): void {
    const at = this.alloc(newCap * 4, false);
    const from = this.get(field) >>> 2;
    this.m32.copyWithin(at >>> 2, from, from + used);
    this.set(field, at);
  }

  /**
   * Makes room for `room` more states (their chunks, a table at most half full, their levels), so that the core
   * never allocates: it has no way to. The views of the memory change when it grows.
   */
  maintain(room: number): void {
    const need = this.count + room;
    while (need > this.chunks * CHUNK) this.newChunk();
    while (need * 2 > this.get(CTL.MASK) + 1) this.growTable();
    if (this.get(CTL.LEVEL_COUNT) + LEVEL_ROOM > this.levelCap) {
      this.relocate(CTL.LEVELS, this.get(CTL.LEVEL_COUNT), this.levelCap * 2);
      this.levelCap *= 2;
    }
    this.set(CTL.CAPACITY, Math.min(this.chunks * CHUNK, (this.get(CTL.MASK) + 1) >>> 1));
  }

  private newChunk(): void {
    if (this.chunks === this.dirCap) {
      this.relocate(CTL.DIR, this.chunks, this.dirCap * 2);
      this.dirCap *= 2;
    }
    if (this.free.length === 0 && this.holeEnd - this.holeAt < this.part.bytes && this.top + this.part.bytes + this.reserve() > this.maxBytes) this.moveOut();
    const at = this.free.pop() ?? this.alloc(this.part.bytes, true);
    this.m32[(this.get(CTL.DIR) >>> 2) + this.chunks] = at;
    this.chunks++;
  }

  /**
   * What the memory must keep free above the chunks: every doubling the table may still make (each new table is
   * taken from the top, and the one it replaces becomes a hole for chunks), up to a quarter of the memory, and
   * room for the small arrays that grow (16 MiB, or a 64th of a smaller memory). Chunks then take at most about half
   * of the memory before they move out. (A 64th of 2^32 taken with `>>>` was 0, the operand wrapping to 32 bits: the
   * small arrays then ate into the room of the 1 GiB table, and a one-thread store of 2^25 states could not double
   * its table.)
   */
  private reserve(): number {
    let reserve = Math.min(16 << 20, Math.floor(this.maxBytes / 64));
    for (let table = (this.get(CTL.MASK) + 1) * 16; table <= this.maxBytes / 4; table *= 2) reserve += table;
    return reserve;
  }

  /**
   * Moves chunks whose states are all of levels already expanded out of the memory (at most MOVE_AT_ONCE of them,
   * oldest first), their regions free for new chunks.
   */
  private moveOut(): void {
    // The level of the next state to expand, or, when every stored state is expanded (a shard before it stores
    // what it received), the newest level: its states are still to be expanded.
    const expanded = this.levelStart(this.depth(this.get(CTL.NEXT)));
    const upTo = Math.min(expanded >>> CHUNK_BITS, this.movedUpTo + MOVE_AT_ONCE);
    const dir = this.get(CTL.DIR) >>> 2;
    for (let c = this.movedUpTo; c < upTo; c++) {
      const at = this.m32[dir + c]!;
      this.moved.put(c, chunkWords(this.u32, at, this.part.bytes));
      this.m32[dir + c] = 0;
      this.free.push(at);
    }
    this.movedUpTo = Math.max(this.movedUpTo, upTo);
  }

  /**
   * Answers the core's question (wasmsearch.ts's CTL.ASK): whether the state at ASK_BASE equals the stored state
   * ASK, whose chunk was moved out.
   */
  answer(): void {
    const id = this.get(CTL.ASK);
    const base = this.get(CTL.ASK_BASE) >>> 2;
    const stored = this.moved.state(id >>> CHUNK_BITS, id & (CHUNK - 1), this.words);
    let equal = 1;
    for (let i = 0; i < this.words; i++) {
      if (this.u32[base + i] !== stored[i]) {
        equal = 0;
        break;
      }
    }
    const n = this.get(CTL.ANSWER_COUNT);
    if (n >= ANSWER_ROOM) throw new Error(`internal: more than ${ANSWER_ROOM} stored states of one hash moved out of the memory`);
    const at = (this.get(CTL.ANSWERS) >>> 2) + n * 2;
    this.m32[at] = id;
    this.m32[at + 1] = equal;
    this.set(CTL.ANSWER_COUNT, n + 1);
  }

  private growTable(): void {
    const size = (this.get(CTL.MASK) + 1) * 2;
    const old = this.get(CTL.TABLE);
    const oldBytes = size * 4;
    const at = this.alloc(size * 8, false);
    this.m32.fill(0, at >>> 2, (at >>> 2) + size * 2);
    this.instance.core.rehash(at, size - 1);
    this.holeAt = old;
    this.holeEnd = old + oldBytes;
  }

  /**
   * Sets up the outboxes of shard `shard` of `shards` (wasmsearch.ts's OUTBOX), `records` successors for each other
   * shard, and a region of as many records for what other shards send.
   */
  partition(shard: number, shards: number, records: number): void {
    const bytes = records * (this.words + 1) * 4;
    this.set(CTL.SHARDS, shards);
    this.set(CTL.SHARD, shard);
    this.set(CTL.OUTBOX, this.alloc(shards * bytes, false));
    const counts = this.alloc(shards * 4, false);
    this.m32.fill(0, counts >>> 2, (counts >>> 2) + shards);
    this.set(CTL.OUT_COUNTS, counts);
    this.set(CTL.OUT_CAP, records);
    this.inboxAt = this.alloc(bytes, false);
    this.idsAt = this.alloc(records * 4, false);
    this.inboxRecords = records;
    // Every word kept until the handover says which are left out.
    this.leaveOut([]);
  }

  /** The words the owner's hash leaves out (wasmsearch.ts's LEFT_OUT; ownership.ts). */
  leaveOut(words: readonly number[]): void {
    const at = this.alloc(Math.max(1, words.length) * 4, false);
    words.forEach((w, i) => (this.m32[(at >>> 2) + i] = w * 4));
    this.set(CTL.LEFT_OUT, at);
    this.set(CTL.LEFT_OUT_COUNT, words.length);
    const kept = this.alloc(this.words * 4, false);
    this.m32.fill(-1, kept >>> 2, (kept >>> 2) + this.words);
    for (const w of words) this.m32[(kept >>> 2) + w] = 0;
    this.set(CTL.KEPT, kept);
  }

  /** Puts (hash, s) in the outbox for shard `to`, which has room, as the core does; true when that filled it. */
  toOutbox(to: number, hash: number, s: Uint32Array): boolean {
    const counts = this.get(CTL.OUT_COUNTS) >>> 2;
    const n = this.m32[counts + to]!;
    const cap = this.get(CTL.OUT_CAP);
    const size = this.words + 1;
    const at = (this.get(CTL.OUTBOX) >>> 2) + (to * cap + n) * size;
    this.m32[at] = hash;
    this.u32.set(s, at + 1);
    this.m32[counts + to] = n + 1;
    return n + 1 >= cap;
  }

  /** The records in the outbox for shard `to` (a view, valid until the core runs again), and the outbox emptied. */
  takeOutbox(to: number): Int32Array {
    const counts = this.get(CTL.OUT_COUNTS) >>> 2;
    const n = this.m32[counts + to]!;
    const size = this.words + 1;
    const from = (this.get(CTL.OUTBOX) >>> 2) + to * this.get(CTL.OUT_CAP) * size;
    this.m32[counts + to] = 0;
    return this.m32.subarray(from, from + n * size);
  }

  /**
   * Stores records of (hash, words) another shard found at `depth`, calling `discovered` with each new state's id
   * when it is given; returns how many were new.
   */
  absorb(records: Int32Array, depth: number, discovered: ((id: number) => void) | null): number {
    const size = this.words + 1;
    let added = 0;
    for (let at = 0; at < records.length; at += this.inboxRecords * size) {
      const part = records.subarray(at, Math.min(records.length, at + this.inboxRecords * size));
      const n = part.length / size;
      this.maintain(n);
      this.m32.set(part, this.inboxAt >>> 2);
      let fresh = 0;
      for (let from = 0; ; ) {
        // The ids of the new states follow one another from idsAt, across the stops to ask.
        const r = this.instance.core.absorb(this.inboxAt + from * size * 4, n - from, depth, discovered === null ? 0 : this.idsAt + fresh * 4);
        if (r >= 0) {
          fresh += r;
          break;
        }
        fresh += -(r + 1);
        from += this.get(CTL.ABSORBED);
        this.answer();
      }
      added += fresh;
      if (discovered !== null) for (let i = 0; i < fresh; i++) discovered(this.m32[(this.idsAt >>> 2) + i]!);
    }
    return added;
  }

  /** Sets up a log of `pairs` entries for the state graph (wasmsearch.ts's FLAG_LOG). */
  log(pairs: number): void {
    this.set(CTL.LOG, this.alloc(pairs * 8, false));
    this.set(CTL.LOG_COUNT, 0);
  }

  /** The byte address of `s` in the memory: the instance's successor or current buffer, else a copy in A. */
  private baseOf(s: Uint32Array): number {
    const { current, next } = this.instance.compiled.scratch!;
    const layout = this.instance.layout;
    if (s === next) return layout.N;
    if (s === current) return layout.S;
    this.u32.set(s, layout.A >>> 2);
    return layout.A;
  }

  hashWhole(s: Uint32Array): void {
    this.hasher.whole(s, false);
  }

  hashSuccessor(fromA: number, fromB: number, from: Uint32Array, to: Uint32Array, dirty: Int32Array | null, written: number): void {
    this.hasher.successor(fromA, fromB, from, to, dirty, written, false);
  }

  /** The id of `s` if stored, else -1. */
  find(s: Uint32Array, hash = this.hasher.hash(s), _b = 0): number {
    const base = this.baseOf(s);
    for (;;) {
      const id = this.instance.core.find(base, hash);
      if (id !== FIND_ASK) return id;
      this.answer();
    }
  }

  /** The core's insert, with JavaScript's answers to what its probe asks (CTL.ASK). */
  private insert(base: number, hash: number, parent: number, action: number, depth: number): number {
    for (;;) {
      const id = this.instance.core.insert(base, hash, parent, action, depth);
      if (id !== INSERT_ASK) return id;
      this.answer();
    }
  }

  /** Stores `s` if it is new: its id, or -(id + 1) of the stored copy. `depth` must not decrease between calls. */
  add(s: Uint32Array, parent: number, action: number, depth: number, hash = this.hasher.hash(s), _b = 0): number {
    if (this.count >= this.get(CTL.CAPACITY)) throw new Error('internal: the WebAssembly store was given no room');
    const id = this.insert(this.baseOf(s), hash, parent, action, depth);
    if (id === INSERT_FULL) throw new Error('internal: the WebAssembly store is at --max-states');
    return id;
  }

  /**
   * Stores the state whose words start at `source[at]`, with its hash known: as `add`, for states read back from
   * a buffer (a handover, a checkpoint), copied word by word so that storing millions of them allocates nothing.
   */
  addFrom(source: Int32Array, at: number, parent: number, action: number, depth: number, hash: number): number {
    const base = this.instance.layout.A;
    const to = base >>> 2;
    for (let i = 0; i < this.words; i++) this.m32[to + i] = source[at + i]!;
    if (this.count >= this.get(CTL.CAPACITY)) throw new Error('internal: the WebAssembly store was given no room');
    return this.insert(base, hash, parent, action, depth);
  }

  /** The search expands `id` next (the exact store keeps every state: nothing to drop). */
  expanding(_id: number): void {}

  /** Byte address of `id`'s chunk. */
  private chunkOf(id: number): number {
    return this.m32[(this.get(CTL.DIR) >>> 2) + (id >>> CHUNK_BITS)]!;
  }

  /**
   * The parts of the chunk holding ids `first` to `first + n` (`first` a multiple of CHUNK, n at most CHUNK): views
   * of the memory, valid until it grows.
   */
  chunkParts(first: number, n: number): { parents: Int32Array; actions: Int32Array; hashes: Int32Array; states: Int32Array } {
    const moved = this.moved.get(first >>> CHUNK_BITS);
    const m32 = moved === undefined ? this.m32 : new Int32Array(moved.buffer);
    const at = moved === undefined ? this.chunkOf(first) >>> 2 : 0;
    const part = (offset: number, length: number): Int32Array => m32.subarray(at + (offset >>> 2), at + (offset >>> 2) + length);
    return {
      parents: part(this.part.parents, n),
      actions: part(this.part.actions, n),
      hashes: part(this.part.hashes, n),
      states: part(0, n * this.words),
    };
  }

  /** The words holding `id`'s chunk: the memory's, or the buffer it was moved to. */
  private wordsOf(id: number): Uint32Array {
    return this.moved.get(id >>> CHUNK_BITS) ?? this.u32;
  }

  /** Where `id` starts in wordsOf(id). */
  private wordOf(id: number): number {
    return (this.chunkOf(id) >>> 2) + (id & (CHUNK - 1)) * this.words;
  }

  private entry(id: number, part: number): number {
    return this.wordsOf(id)[((this.chunkOf(id) + part) >>> 2) + (id & (CHUNK - 1))]! | 0;
  }

  copyInto(id: number, out: Uint32Array): void {
    const words = this.wordsOf(id);
    const at = this.wordOf(id);
    for (let i = 0; i < this.words; i++) out[i] = words[at + i]!;
  }

  /** A view of state `id`, valid until the memory grows (monitors read it at once). */
  view(id: number): Uint32Array {
    const at = this.wordOf(id);
    return this.wordsOf(id).subarray(at, at + this.words);
  }

  state(id: number): Uint32Array {
    return this.view(id).slice();
  }

  hashOf(id: number): number {
    return this.entry(id, this.part.hashes);
  }

  hashBOf(_id: number): number {
    return 0;
  }

  parent(id: number): number {
    return this.entry(id, this.part.parents);
  }

  action(id: number): number {
    return this.entry(id, this.part.actions);
  }

  depth(id: number): number {
    return levelOf(this.m32, this.get(CTL.LEVELS) >>> 2, this.get(CTL.LEVEL_COUNT), id);
  }

  levelStart(d: number): number {
    return d < this.get(CTL.LEVEL_COUNT) ? this.m32[(this.get(CTL.LEVELS) >>> 2) + d]! : this.count;
  }

  /** The worst value of every figure slot over the states the core stored (figures.ts's figureSlots order). */
  figureWorsts(): Int32Array {
    const at = this.instance.layout.FIG >>> 2;
    return this.m32.slice(at, at + this.instance.layout.figures);
  }

  path(id: number): { states: Uint32Array[]; actions: number[] } {
    return storedPath(this, id);
  }

  /** Under symmetry a stored state stands for its orbit (the core runs without it today). */
  finish(model: Model, symmetry: Symmetry | null): VisitedStates {
    return symmetry === null ? this : replaying(this, model, symmetry);
  }
}
