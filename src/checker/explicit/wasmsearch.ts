// The search core of the WebAssembly back end: the exact visited set and the breadth-first expansion loop,
// written into the same module as the successor function (wasmgen.ts), so that a state's whole expansion (its
// enabled actions, each step, the successor's hash, the probe of the table and the insert) runs without
// returning to JavaScript. JavaScript (wasmstore.ts, coresearch.ts) keeps the rest: it sizes the store's memory
// before each batch of 1024 states, and takes over for what the core leaves out (a step the compiled code hands
// back, a transition with events someone reads, a new state a monitor must see, the depth bound).
//
// The store is arena.ts's, laid out in linear memory: states in chunks of 4096 that never move (a directory of
// chunk addresses), each chunk followed by its states' parents, actions and hashes; an open-addressing table of
// (hash, id + 1) pairs; the first id of every breadth-first level. Hashes are hashing.ts's A family with the
// same seeds, so a hash computed in JavaScript finds a state the core stored. The control block (`CTL`) holds
// what both sides read and write: counts, addresses, the cursor of the loop and why it returned.
//
// Like the rest of the module, the core holds only numbers: the word count, the layout's figure slots and the
// addresses of the memory map.

import type { Slot } from '../../ir/layout.js';
import { type Code, type ModuleWriter, op } from './wasm.js';

/** Field indices of the control block (i32 words). */
export const CTL = {
  COUNT: 0,
  TABLE: 1,
  MASK: 2,
  DIR: 3,
  LEVELS: 4,
  LEVEL_COUNT: 5,
  /** Transitions the core counted since JavaScript last read and cleared this field. */
  TRANSITIONS: 6,
  /** The next id to expand. */
  NEXT: 7,
  /** The id being expanded, its next action's index, its action count, its depth and its hash. */
  CUR: 8,
  J: 9,
  K: 10,
  DEPTH: 11,
  HASH: 12,
  FLAGS: 13,
  MAX_DEPTH: 14,
  MAX_STATES: 15,
  /** States the store has room for: an insert beyond it is an internal error. */
  CAPACITY: 16,
  LOG: 17,
  LOG_COUNT: 18,
  /** The compiled step's result for a transition handed to JavaScript. */
  MADE: 19,
  HALT: 20,
  /** The id of the state whose discovery made the core return. */
  LAST: 21,
  /**
   * A partitioned search (partition.ts): how many shards there are (0 or 1: none) and which one this store is.
   * A successor shard k owns (k not this one) goes to k's outbox: records of (hash, words), OUT_CAP of them from
   * OUTBOX + k * OUT_CAP records, with its count at OUT_COUNTS + 4k; the core returns RUN_OUTBOX when one is full.
   */
  SHARDS: 22,
  SHARD: 23,
  OUTBOX: 24,
  OUT_COUNTS: 25,
  OUT_CAP: 26,
  /**
   * The words the owner's hash leaves out (ownership.ts): LEFT_OUT_COUNT byte offsets of words from LEFT_OUT on;
   * the owner is that of the successor's hash less their mixed values.
   */
  LEFT_OUT: 27,
  LEFT_OUT_COUNT: 28,
  /**
   * A stored state whose chunk JavaScript moved out of the memory (wasmstore.ts's eviction: the chunk's directory
   * entry is 0) cannot be compared here. A probe that meets one with the hash it looks for stops, with the
   * stored state's id in ASK and the address of the state looked for in ASK_BASE (`insert` returns INSERT_ASK,
   * `find` FIND_ASK, `run` RUN_ASK, having left the transition to be made again). JavaScript compares the two and
   * appends (id, 1 if equal else 0) to the ANSWER_COUNT answers at ANSWERS; the probe made again reads them. An
   * insert or find that ends forgets them.
   */
  ASK: 29,
  ASK_BASE: 30,
  ANSWERS: 31,
  ANSWER_COUNT: 32,
  /** The records `absorb` stored before it stopped to ask (it then returns -(new ones + 1)). */
  ABSORBED: 33,
  /**
   * With FLAG_FILTER: the watched facts (src/hw/watch.ts) the monitors that read new states gather, and those of
   * them they have seen (JavaScript adds a state's facts once they have read it).
   */
  WATCH_MASK: 34,
  WATCHED: 35,
  /**
   * A partitioned search: per word of a state, -1 when the owner's hash keeps it and 0 when it leaves it out, from
   * KEPT on (0: none yet). The core keeps the owner's hash of a successor up to date as it does the state's hash,
   * with the changes of the words kept only.
   */
  KEPT: 36,
} as const;
export const CTL_WORDS = 37;

/** Room for answers at ANSWERS (a probe meets more stored states of one hash moved out only by a fluke). */
export const ANSWER_ROOM = 16;

/** FLAGS: hand transitions with events to JavaScript. */
export const FLAG_EVENTS = 1;
/** FLAGS: return after every new state. */
export const FLAG_NEW = 2;
/** FLAGS: log every state begun and every transition made for the state graph. */
export const FLAG_LOG = 4;
/**
 * FLAGS, with FLAG_NEW: return after a new state only when its monitors could learn something from it: it has
 * state events (the state check), a watched fact in WATCH_MASK not in WATCHED, or (FLAG_PROGRESS) no progress.
 */
export const FLAG_FILTER = 8;
/** FLAGS, with FLAG_FILTER: return after a new state that has no progress (the module's `progress`). */
export const FLAG_PROGRESS = 16;

/** Why `run` returned. */
export const RUN_DONE = 0;
export const RUN_UNUSUAL = 1;
export const RUN_NEW = 2;
export const RUN_BOUND = 3;
export const RUN_FULL = 4;
/** The outbox of a partitioned search is full. */
export const RUN_OUTBOX = 5;
/** A probe needs JavaScript to compare with a state moved out of the memory (CTL.ASK). */
export const RUN_ASK = 6;

/** `insert`'s answer when the store holds --max-states states already and the state is new. */
export const INSERT_FULL = -(2 ** 31);
/** `insert`'s answer when its probe needs JavaScript to compare with a state moved out of the memory (CTL.ASK). */
export const INSERT_ASK = -(2 ** 31) + 1;
/** `find`'s answer for the same. */
export const FIND_ASK = -2;

/** compile.ts's SLOW: the step is left to the reference model. */
const SLOW = 1;

/**
 * The shard of `shards` that owns states whose key hash (ownership.ts) is `hash` in a partitioned search
 * (partition.ts): the hash's top byte, scaled, as the core computes it in `run`. The table index takes the low
 * bits of the whole hash, so a shard's table fills as evenly as one store's.
 */
export function ownerOf(hash: number, shards: number): number {
  return ((hash >>> 24) * shards) >>> 8;
}

/** The most shards a search splits into (ownerOf scales the hash's top byte). */
export const MAX_SHARDS = 256;

/** Records whose table slots `absorb` reads ahead (a power of two). */
const PREFETCH = 16;

export const CHUNK_BITS = 12;
export const CHUNK = 1 << CHUNK_BITS;

/** Where a chunk keeps each part, in bytes from its start. */
export function chunkLayout(words: number): { parents: number; actions: number; hashes: number; bytes: number } {
  const parents = CHUNK * words * 4;
  return { parents, actions: parents + CHUNK * 4, hashes: parents + 2 * CHUNK * 4, bytes: parents + 3 * CHUNK * 4 };
}

/** What the core needs of the module it is written into. */
export interface CoreSpec {
  words: number;
  /** Byte offsets of the memory map. */
  S: number;
  N: number;
  OUT: number;
  DIRTY: number;
  CTL: number;
  SEED: number;
  FIG: number;
  figures: readonly Slot[];
  fActions: number;
  fApply: number;
  /** stateCheck(base), progress(base), watch(base) of the new states FLAG_FILTER passes (wasmgen.ts). */
  fStateCheck: number;
  fProgress: number;
  fWatch: number;
  /** Globals: the written-word count, the event count and the fatal flag of the last step. */
  gDirty: number;
  gEvents: number;
  gFatal: number;
}

/** The exported functions' indices. */
export interface CoreFunctions {
  run: number;
  insert: number;
  find: number;
  rehash: number;
  absorb: number;
}

/** Declares and writes the core's functions into `mod`. */
export function emitCore(mod: ModuleWriter, spec: CoreSpec): CoreFunctions {
  const f = {
    fmix: mod.declare(1, 1),
    chunk: mod.declare(1, 1),
    probe: mod.declare(2, 1),
    insert: mod.declare(5, 1),
    find: mod.declare(2, 1),
    rehash: mod.declare(2, 0),
    run: mod.declare(1, 1),
    absorb: mod.declare(4, 1),
  };
  new CoreWriter(mod, spec, f).write();
  return { run: f.run, insert: f.insert, find: f.find, rehash: f.rehash, absorb: f.absorb };
}

class CoreWriter {
  private readonly sb: number;
  private readonly chunk: ReturnType<typeof chunkLayout>;
  /** The table slot the last `probe` stopped at (a byte address), for `insert`. */
  private readonly gSlot: number;
  /** What absorb's reads ahead loaded, kept so that they stay. */
  private readonly gTouch: number;

  constructor(
    private readonly mod: ModuleWriter,
    private readonly spec: CoreSpec,
    private readonly f: { fmix: number; chunk: number; probe: number; insert: number; find: number; rehash: number; run: number; absorb: number },
  ) {
    this.sb = spec.words * 4;
    this.chunk = chunkLayout(spec.words);
    this.gSlot = mod.global(0);
    this.gTouch = mod.global(0);
  }

  write(): void {
    this.fmix();
    this.chunkOf();
    this.probe();
    this.insert();
    this.find();
    this.rehash();
    this.run();
    this.absorb();
  }

  /**
   * absorb(at, n, depth, ids): stores the `n` records of (hash, words) at `at`, states another shard found at
   * `depth` (with no parent here); writes the ids of the new ones from `ids` on when `ids` is not 0, and returns
   * how many were new; or, when a probe asks (CTL.ASK), -(how many were new + 1), with the records stored before
   * the one that asked in CTL.ABSORBED.
   */
  private absorb(): void {
    const c = this.mod.body(this.f.absorb);
    const i = c.local();
    const k = c.local();
    const e = c.local();
    const p = c.local();
    const end = c.local();
    const t = c.local();
    const mask = c.local();
    const touch = c.local();
    const ch = c.local();
    this.ctl(c, CTL.TABLE).set(t);
    this.ctl(c, CTL.MASK).set(mask);
    c.block().loop();
    c.get(i).get(1).op(op.ge_s).brIf(1);
    // Every PREFETCH records, first read the table slot of each and the state it holds: loads of different
    // records do not wait for one another, so their cache misses overlap, where the probes below would take
    // them one after the other (a record another shard sent is seldom in the cache, as a successor found here is).
    c.get(i).i32(PREFETCH - 1).op(op.and).op(op.eqz).if();
    c.get(0).set(p);
    c.get(1).get(i).op(op.sub).tee(end).i32(PREFETCH).op(op.gt_s).if().i32(PREFETCH).set(end).end();
    c.get(p).get(end).i32(this.sb + 4).op(op.mul).op(op.add).set(end);
    c.block().loop();
    c.get(p).get(end).op(op.ge_u).brIf(1);
    c.get(t).get(p).load(0).get(mask).op(op.and).i32(3).op(op.shl).op(op.add).load(4).tee(e).if();
    c.get(e).i32(1).op(op.sub).tee(e).call(this.f.chunk).set(ch);
    this.stateAt(c, ch, e).load(0).get(touch).op(op.xor).set(touch);
    c.end();
    c.get(p).i32(this.sb + 4).op(op.add).set(p);
    c.br(0);
    c.end().end();
    c.end();
    c.get(0).i32(4).op(op.add).get(0).load(0).i32(-1).i32(-1).get(2).call(this.f.insert).tee(e);
    // A probe met a state moved out of the memory: stop before this record, for JavaScript to answer.
    c.i32(INSERT_ASK).op(op.eq).if();
    this.setCtl(c, CTL.ABSORBED, () => c.get(i));
    c.get(touch).gset(this.gTouch);
    c.i32(-1).get(k).op(op.sub).ret();
    c.end();
    c.get(e);
    c.i32(0).op(op.ge_s).if();
    c.get(3).if();
    c.get(3).get(k).i32(2).op(op.shl).op(op.add).get(e).store(0);
    c.end();
    c.get(k).i32(1).op(op.add).set(k);
    c.end();
    c.get(0).i32(this.sb + 4).op(op.add).set(0);
    c.get(i).i32(1).op(op.add).set(i);
    c.br(0);
    c.end().end();
    // The loads above must not be left out as unused.
    c.get(touch).gset(this.gTouch);
    c.get(k);
  }

  /** Pushes control field `field`. */
  private ctl(c: Code, field: number): Code {
    return c.i32(0).load(this.spec.CTL + field * 4);
  }

  /** Stores the value `value` pushes into control field `field`. */
  private setCtl(c: Code, field: number, value: () => void): Code {
    c.i32(0);
    value();
    return c.store(this.spec.CTL + field * 4);
  }

  /** murmur3's finalizer, as hashing.ts's fmixA. */
  private fmix(): void {
    const c = this.mod.body(this.f.fmix);
    c.get(0).get(0).i32(16).op(op.shr_u).op(op.xor).set(0);
    c.get(0).i32(0x85ebca6b | 0).op(op.mul).set(0);
    c.get(0).get(0).i32(13).op(op.shr_u).op(op.xor).set(0);
    c.get(0).i32(0xc2b2ae35 | 0).op(op.mul).set(0);
    c.get(0).get(0).i32(16).op(op.shr_u).op(op.xor);
  }

  /** chunk(id): the byte address of the chunk holding `id`. */
  private chunkOf(): void {
    const c = this.mod.body(this.f.chunk);
    this.ctl(c, CTL.DIR).get(0).i32(CHUNK_BITS).op(op.shr_u).i32(2).op(op.shl).op(op.add).load(0);
  }

  /** Pushes the address of state `id` (in local `id`), given its chunk in local `ch`. */
  private stateAt(c: Code, ch: number, id: number): Code {
    return c.get(ch).get(id).i32(CHUNK - 1).op(op.and).i32(this.sb).op(op.mul).op(op.add);
  }

  /** Pushes the address of `id`'s entry in the chunk part at `part` (parents, actions or hashes). */
  private entryAt(c: Code, ch: number, id: number, part: number): Code {
    return c.get(ch).get(id).i32(CHUNK - 1).op(op.and).i32(2).op(op.shl).op(op.add).i32(part).op(op.add);
  }

  /**
   * probe(base, hash): the id + 1 of the stored state equal to the state at `base`, or 0 when there is none, with
   * the empty slot where it would go in gSlot.
   */
  private probe(): void {
    const c = this.mod.body(this.f.probe);
    const t = c.local();
    const mask = c.local();
    const i = c.local();
    const slot = c.local();
    const e = c.local();
    const ch = c.local();
    const at = c.local();
    const id = c.local();
    const k = c.local();
    const a = c.local();
    this.ctl(c, CTL.TABLE).set(t);
    this.ctl(c, CTL.MASK).set(mask);
    c.get(1).get(mask).op(op.and).set(i);
    c.loop();
    c.get(t).get(i).i32(3).op(op.shl).op(op.add).tee(slot).load(4).tee(e).op(op.eqz).if();
    c.get(slot).gset(this.gSlot).i32(0).ret();
    c.end();
    c.get(slot).load(0).get(1).op(op.eq).if();
    c.get(e).i32(1).op(op.sub).tee(id).call(this.f.chunk).tee(ch).op(op.eqz).if();
    {
      // A state moved out of the memory (CTL.ASK): JavaScript's answer if it gave one, else ask for it.
      c.i32(0).set(k);
      c.block().loop();
      c.get(k);
      this.ctl(c, CTL.ANSWER_COUNT).op(op.ge_s).brIf(1);
      this.ctl(c, CTL.ANSWERS).get(k).i32(3).op(op.shl).op(op.add).tee(a).load(0).get(id).op(op.eq).if();
      c.get(a).load(4).if().get(e).ret().end();
      c.br(3); // not equal: the next slot (labels: this if, the loop, the block, the if of a moved chunk)
      c.end();
      c.get(k).i32(1).op(op.add).set(k);
      c.br(0);
      c.end().end();
      this.setCtl(c, CTL.ASK, () => c.get(id));
      this.setCtl(c, CTL.ASK_BASE, () => c.get(0));
      c.i32(-1).ret();
    }
    c.else();
    this.stateAt(c, ch, id).set(at);
    // Equal unless a word differs (unrolled: the word count is the model's).
    c.block();
    for (let w = 0; w < this.spec.words; w++) c.get(at).load(w * 4).get(0).load(w * 4).op(op.ne).brIf(0);
    c.get(e).ret();
    c.end();
    c.end();
    c.end();
    c.get(i).i32(1).op(op.add).get(mask).op(op.and).set(i);
    c.br(0);
    c.end();
    c.i32(0);
  }

  /**
   * insert(base, hash, parent, action, depth): stores the state at `base` if it is new; its id, or -(id + 1) of
   * the stored copy, or INSERT_FULL at --max-states. Records a new level's first id and the figures' worsts.
   */
  private insert(): void {
    const c = this.mod.body(this.f.insert);
    const e = c.local();
    const id = c.local();
    const ch = c.local();
    const slot = c.local();
    const lc = c.local();
    const v = c.local();
    c.get(0).get(1).call(this.f.probe).tee(e).i32(-1).op(op.eq).if().i32(INSERT_ASK).ret().end();
    this.setCtl(c, CTL.ANSWER_COUNT, () => c.i32(0));
    c.get(e).if();
    c.i32(0).get(e).op(op.sub).ret();
    c.end();
    c.gget(this.gSlot).set(slot);
    this.ctl(c, CTL.COUNT).tee(id);
    this.ctl(c, CTL.MAX_STATES).op(op.ge_s).if().i32(INSERT_FULL).ret().end();
    c.get(id);
    this.ctl(c, CTL.CAPACITY).op(op.ge_s).if().op(0x00).end(); // unreachable: JavaScript reserves room first
    c.get(id).call(this.f.chunk).set(ch);
    this.stateAt(c, ch, id).get(0).i32(this.sb).copy();
    this.entryAt(c, ch, id, this.chunk.parents).get(2).store(0);
    this.entryAt(c, ch, id, this.chunk.actions).get(3).store(0);
    this.entryAt(c, ch, id, this.chunk.hashes).get(1).store(0);
    c.get(slot).get(1).store(0);
    c.get(slot).get(id).i32(1).op(op.add).store(4);
    this.setCtl(c, CTL.COUNT, () => c.get(id).i32(1).op(op.add));
    // Levels up to `depth` begin at `id` (levels.ts's reach).
    this.ctl(c, CTL.LEVEL_COUNT).set(lc);
    c.block().loop();
    c.get(4).get(lc).op(op.lt_s).brIf(1);
    this.ctl(c, CTL.LEVELS).get(lc).i32(2).op(op.shl).op(op.add).get(id).store(0);
    c.get(lc).i32(1).op(op.add).set(lc);
    c.br(0);
    c.end().end();
    this.setCtl(c, CTL.LEVEL_COUNT, () => c.get(lc));
    this.spec.figures.forEach((s, k) => {
      c.get(0).load(s.word * 4);
      if (s.shift !== 0) c.i32(s.shift).op(op.shr_u);
      c.i32(2 ** s.bits - 1).op(op.and).tee(v);
      c.i32(0).load(this.spec.FIG + k * 4).op(op.gt_u).if();
      c.i32(0).get(v).store(this.spec.FIG + k * 4);
      c.end();
    });
    c.get(id);
  }

  /** find(base, hash): the id of the state at `base`, or -1. */
  private find(): void {
    const c = this.mod.body(this.f.find);
    const e = c.local();
    c.get(0).get(1).call(this.f.probe).tee(e).i32(-1).op(op.eq).if().i32(FIND_ASK).ret().end();
    this.setCtl(c, CTL.ANSWER_COUNT, () => c.i32(0));
    c.get(e).i32(1).op(op.sub);
  }

  /** rehash(table, mask): moves every entry into the zeroed table at `table` of mask + 1 slots, and uses it. */
  private rehash(): void {
    const c = this.mod.body(this.f.rehash);
    const old = c.local();
    const end = c.local();
    const i = c.local();
    const slot = c.local();
    this.ctl(c, CTL.TABLE).tee(old);
    this.ctl(c, CTL.MASK).i32(1).op(op.add).i32(3).op(op.shl).op(op.add).set(end);
    c.block().loop();
    c.get(old).get(end).op(op.ge_u).brIf(1);
    c.get(old).load(4).if();
    c.get(old).load(0).get(1).op(op.and).set(i);
    c.block().loop();
    c.get(0).get(i).i32(3).op(op.shl).op(op.add).tee(slot).load(4).op(op.eqz).brIf(1);
    c.get(i).i32(1).op(op.add).get(1).op(op.and).set(i);
    c.br(0);
    c.end().end();
    c.get(slot).get(old).load(0).store(0);
    c.get(slot).get(old).load(4).store(4);
    c.end();
    c.get(old).i32(8).op(op.add).set(old);
    c.br(0);
    c.end().end();
    this.setCtl(c, CTL.TABLE, () => c.get(0));
    this.setCtl(c, CTL.MASK, () => c.get(1));
  }

  /**
   * `into` := the owner's hash (ownership.ts) of the state in S whose hash is `hash`: less the mixed value of every
   * word left out. `m` and `i` are scratch locals.
   */
  private keyHash(c: Code, hash: number, into: number, m: number, i: number): void {
    const { S, SEED } = this.spec;
    c.get(hash).set(into);
    c.i32(0).set(m);
    c.block().loop();
    c.get(m);
    this.ctl(c, CTL.LEFT_OUT_COUNT).op(op.ge_s).brIf(1);
    this.ctl(c, CTL.LEFT_OUT).get(m).i32(2).op(op.shl).op(op.add).load(0).set(i);
    c.get(into).get(i).load(S).get(i).load(SEED).op(op.xor).call(this.f.fmix).op(op.sub).set(into);
    c.get(m).i32(1).op(op.add).set(m);
    c.br(0);
    c.end().end();
  }

  /** Appends (a, b) to the graph log. */
  private log(c: Code, a: () => void, b: () => void, at: number): void {
    this.ctl(c, CTL.LOG);
    this.ctl(c, CTL.LOG_COUNT).i32(3).op(op.shl).op(op.add).set(at);
    c.get(at);
    a();
    c.store(0);
    c.get(at);
    b();
    c.store(4);
    this.setCtl(c, CTL.LOG_COUNT, () => this.ctl(c, CTL.LOG_COUNT).i32(1).op(op.add));
  }

  /**
   * run(limit): expands states from CTL.NEXT on, up to `limit` (exclusive), resuming the state in CTL.CUR at
   * action CTL.J if it has actions left; returns why it stopped (RUN_*), with its cursor saved in the control block.
   */
  private run(): void {
    const { S, N, OUT, DIRTY, SEED } = this.spec;
    const c = this.mod.body(this.f.run);
    const cur = c.local();
    const j = c.local();
    const k = c.local();
    const depth = c.local();
    const h = c.local();
    const flags = c.local();
    const reason = c.local();
    const action = c.local();
    const r = c.local();
    const h2 = c.local();
    const m = c.local();
    const i = c.local();
    const x = c.local();
    const y = c.local();
    const to = c.local();
    const ch = c.local();
    const at = c.local();
    const lv = c.local();
    const kh = c.local();
    const kc = c.local();
    const kept = c.local();
    const d = c.local();
    this.ctl(c, CTL.CUR).set(cur);
    this.ctl(c, CTL.J).set(j);
    this.ctl(c, CTL.K).set(k);
    this.ctl(c, CTL.DEPTH).set(depth);
    this.ctl(c, CTL.HASH).set(h);
    this.ctl(c, CTL.FLAGS).set(flags);
    this.ctl(c, CTL.KEPT).set(kept);
    // kc: the owner's hash of the state being expanded (resumed: the state is still in S).
    this.keyHash(c, h, kc, m, i);
    // Labels, innermost first: 0 = the loop (continue), 1 = exit.
    c.block(); // exit
    c.loop(); // next transition
    {
      // No actions left: begin the next state, or stop.
      c.get(j).get(k).op(op.ge_s).if();
      this.ctl(c, CTL.NEXT).set(cur);
      c.i32(RUN_DONE).set(reason);
      c.get(cur).get(0).op(op.ge_s);
      c.get(cur);
      this.ctl(c, CTL.COUNT).op(op.ge_s).op(op.or);
      this.ctl(c, CTL.HALT).op(op.or).brIf(2);
      this.setCtl(c, CTL.NEXT, () => c.get(cur).i32(1).op(op.add));
      c.get(cur).call(this.f.chunk).set(ch);
      c.i32(S);
      this.stateAt(c, ch, cur).i32(this.sb).copy();
      this.entryAt(c, ch, cur, this.chunk.hashes).load(0).set(h);
      this.keyHash(c, h, kc, m, i);
      // The depth of `cur`: the last level that starts at or before it.
      this.ctl(c, CTL.LEVELS).set(lv);
      c.block().loop();
      c.get(depth).i32(1).op(op.add).tee(i);
      this.ctl(c, CTL.LEVEL_COUNT).op(op.ge_s).brIf(1);
      c.get(lv).get(i).i32(2).op(op.shl).op(op.add).load(0).get(cur).op(op.gt_s).brIf(1);
      c.get(i).set(depth);
      c.br(0);
      c.end().end();
      c.i32(S).call(this.spec.fActions).set(k);
      c.i32(0).set(j);
      c.get(flags).i32(FLAG_LOG).op(op.and).if();
      this.log(c, () => c.i32(-1), () => c.get(cur), at);
      c.end();
      c.i32(RUN_BOUND).set(reason);
      c.get(depth);
      this.ctl(c, CTL.MAX_DEPTH).op(op.ge_s).brIf(2);
      c.br(1);
      c.end();
    }
    {
      // Transition j of `cur`.
      c.i32(0).get(j).i32(2).op(op.shl).op(op.add).load(OUT).set(action);
      c.i32(S).get(action).call(this.spec.fApply).tee(r);
      // A fatal step nobody reads the events of only ends its path (compiledexpander.ts's handBack, slowFatal).
      c.i32(SLOW).op(op.eq).get(flags).i32(FLAG_EVENTS).op(op.and).op(op.eqz).op(op.and);
      c.gget(this.spec.gFatal).i32(1).op(op.eq).op(op.and).if();
      this.setCtl(c, CTL.TRANSITIONS, () => this.ctl(c, CTL.TRANSITIONS).i32(1).op(op.add));
      c.get(j).i32(1).op(op.add).set(j);
      c.br(1);
      c.end();
      // Left to JavaScript: a step the compiled code hands back, and, when someone reads them, a step with events
      // or an atomic-sleep warning (WARNED); unread, a warning changes nothing.
      c.get(r).i32(SLOW).op(op.eq);
      c.get(flags).i32(FLAG_EVENTS).op(op.and).op(op.eqz).op(op.eqz);
      c.get(r).gget(this.spec.gEvents).op(op.or).op(op.eqz).op(op.eqz).op(op.and).op(op.or).if();
      this.setCtl(c, CTL.MADE, () => c.get(r));
      c.i32(RUN_UNUSUAL).set(reason);
      c.br(2);
      c.end();
      this.setCtl(c, CTL.TRANSITIONS, () => this.ctl(c, CTL.TRANSITIONS).i32(1).op(op.add));
      // The successor's hash from the words the step wrote (hashing.ts's rehashWords), and in a partitioned
      // search the owner's hash (ownership.ts: the hash without the words left out) from those of them it keeps.
      c.get(h).set(h2);
      c.get(kc).set(kh);
      c.i32(0).set(m);
      c.block().loop();
      c.get(m).gget(this.spec.gDirty).op(op.ge_s).brIf(1);
      c.i32(0).get(m).i32(2).op(op.shl).op(op.add).load(DIRTY).i32(2).op(op.shl).set(i);
      c.get(i).load(S).tee(x).get(i).load(N).tee(y).op(op.ne).if();
      c.get(y).get(i).load(SEED).op(op.xor).call(this.f.fmix);
      c.get(x).get(i).load(SEED).op(op.xor).call(this.f.fmix).op(op.sub).set(d);
      c.get(h2).get(d).op(op.add).set(h2);
      c.get(kept).if();
      c.get(kh).get(d).get(kept).get(i).op(op.add).load(0).op(op.and).op(op.add).set(kh);
      c.end();
      c.end();
      c.get(m).i32(1).op(op.add).set(m);
      c.br(0);
      c.end().end();
      // A successor another shard owns (ownership.ts's owner) goes to its outbox, not to this store.
      c.get(kh).i32(24).op(op.shr_u);
      this.ctl(c, CTL.SHARDS).op(op.mul).i32(8).op(op.shr_u).tee(x);
      this.ctl(c, CTL.SHARD).op(op.ne).if();
      // y: the address of the owner's count; at: where the record goes.
      this.ctl(c, CTL.OUT_COUNTS).get(x).i32(2).op(op.shl).op(op.add).tee(y);
      c.load(0).tee(m);
      c.get(x);
      this.ctl(c, CTL.OUT_CAP).op(op.mul).op(op.add).i32(this.sb + 4).op(op.mul);
      this.ctl(c, CTL.OUTBOX).op(op.add).tee(at).get(h2).store(0);
      c.get(at).i32(4).op(op.add).i32(N).i32(this.sb).copy();
      c.get(y).get(m).i32(1).op(op.add).tee(m).store(0);
      c.get(j).i32(1).op(op.add).set(j);
      c.i32(RUN_OUTBOX).set(reason);
      c.get(m);
      this.ctl(c, CTL.OUT_CAP).op(op.ge_s).brIf(2);
      c.br(1);
      c.end();
      c.i32(N).get(h2).get(cur).get(action).get(depth).i32(1).op(op.add).call(this.f.insert).tee(to);
      c.i32(INSERT_FULL).op(op.eq).if();
      c.i32(RUN_FULL).set(reason);
      c.br(2);
      c.end();
      // JavaScript must compare the successor with a state moved out of the memory: the transition is made again
      // after its answer, and counted then.
      c.get(to).i32(INSERT_ASK).op(op.eq).if();
      this.setCtl(c, CTL.TRANSITIONS, () => this.ctl(c, CTL.TRANSITIONS).i32(1).op(op.sub));
      c.i32(RUN_ASK).set(reason);
      c.br(2);
      c.end();
      c.get(flags).i32(FLAG_LOG).op(op.and).if();
      this.log(c, () => c.get(to).i32(0).op(op.lt_s).if(true).i32(-1).get(to).op(op.sub).else().get(to).end(), () => c.get(action), at);
      c.end();
      c.get(j).i32(1).op(op.add).set(j);
      c.get(to).i32(0).op(op.ge_s).get(flags).i32(FLAG_NEW).op(op.and).op(op.eqz).op(op.eqz).op(op.and).if();
      // FLAG_FILTER: only a state its monitors could learn something from (x: whether to return).
      c.i32(1).set(x);
      c.get(flags).i32(FLAG_FILTER).op(op.and).if();
      c.i32(N).call(this.spec.fStateCheck);
      c.i32(N).call(this.spec.fWatch);
      this.ctl(c, CTL.WATCH_MASK).op(op.and);
      this.ctl(c, CTL.WATCHED).i32(-1).op(op.xor).op(op.and).op(op.or);
      c.get(flags).i32(FLAG_PROGRESS).op(op.and).if(true).i32(N).call(this.spec.fProgress).op(op.eqz).else().i32(0).end();
      c.op(op.or).set(x);
      c.end();
      c.get(x).if();
      this.setCtl(c, CTL.LAST, () => c.get(to));
      c.i32(RUN_NEW).set(reason);
      c.br(3);
      c.end();
      c.end();
      c.br(0);
    }
    c.end(); // loop
    c.end(); // exit
    this.setCtl(c, CTL.CUR, () => c.get(cur));
    this.setCtl(c, CTL.J, () => c.get(j));
    this.setCtl(c, CTL.K, () => c.get(k));
    this.setCtl(c, CTL.DEPTH, () => c.get(depth));
    this.setCtl(c, CTL.HASH, () => c.get(h));
    c.get(reason);
  }
}
