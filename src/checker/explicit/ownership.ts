// Which shard owns a state in a partitioned search (partition.ts). By the hash of the whole state, a successor
// belongs to another shard (N - 1) times in N, and each of those is copied to that shard and probed there, cold:
// two shards then do about half as much work again as one search (docs/performance.md, "Every core"). Most steps
// write only a few words, and the same few: a CPU's pc, its registers. So the owner is the hash of the state
// without the words steps change most often (the "key"): a step that writes none of the key's words leads to a
// state of the same shard. Which words to leave out is learnt from the first states found (Ownership.sampleSize),
// along the edges that found them, and only while the key still spreads those states evenly over the shards;
// else nothing is left out and the owner is the whole hash's.
//
// The key's hash is the state's hash less the mixed values of the words left out (hashing.ts: a state's hash is
// the sum of one mixed value per word), so the search core needs the few words left out, not a second hash.

import { fmixA, seedsA } from './hashing.js';
import { CHUNK, CHUNK_BITS, ownerOf } from './wasmsearch.js';

/** A word is left out of the key only if at least this share of the edges sampled change it. */
const MIN_CHANGE = 0.02;
/** At most this many words are left out (the core mixes each again for every successor). */
const MAX_LEFT_OUT = 8;
/**
 * Each shard's share of the states sampled may exceed an even share by this factor at most; of the last level's,
 * a smaller sample (about a twentieth), by the second.
 */
const MAX_SKEW = 1.1;
const MAX_SKEW_LAST = 1.2;
/** The key must take at least this many values per shard over the states sampled. */
const MIN_VALUES_PER_SHARD = 256;

/** What the choice reads of the states found so far: ids 0..count-1, each with its parent (-1: initial). */
export interface Sample {
  readonly count: number;
  /** Ids `first` (a multiple of CHUNK) to `first + n`: their parents, their hashes, their words side by side. */
  chunkParts(first: number, n: number): { parents: Int32Array; hashes: Int32Array; states: Int32Array };
}

export class Ownership {
  private readonly seeds: Int32Array;

  /**
   * @param leftOut the words left out of the key (indices), in the order the core reads them
   */
  constructor(
    readonly shards: number,
    readonly words: number,
    readonly leftOut: readonly number[],
  ) {
    this.seeds = seedsA(words);
  }

  /** The hash of the state's key, given the state (its words from `words[at]` on) and its hash. */
  key(hash: number, words: Uint32Array | Int32Array, at = 0): number {
    let h = hash;
    for (const w of this.leftOut) h = (h - fmixA(words[at + w]! ^ this.seeds[w]!)) | 0;
    return h;
  }

  /** The shard that owns the state whose words begin at `words[at]` (whose hash is `hash`). */
  owner(hash: number, words: Uint32Array | Int32Array, at = 0): number {
    return ownerOf(this.key(hash, words, at), this.shards);
  }

  /**
   * How many states the choice reads, at least, of a search over `shards` shards: the first this many found, to the
   * end of their last level. The first ones, so that the choice does not depend on when the shards' threads are
   * ready for the handover (the search goes on until they are).
   */
  static sampleSize(shards: number): number {
    return Math.max(20_000, shards << 9);
  }

  /**
   * The key for a search over `shards` shards that found `sample` (the first sampleSize states, at most): leaves
   * out, most often changed first, each word that at least MIN_CHANGE of the edges into the sampled states change,
   * as long as the key still spreads the sampled states evenly (every shard within MAX_SKEW of an even share over
   * all of them, within MAX_SKEW_LAST over the last level, from `lastLevelStart` on) and takes
   * MIN_VALUES_PER_SHARD values per shard.
   */
  static choose(sample: Sample, words: number, shards: number, lastLevelStart: number): Ownership {
    const n = sample.count;
    // The store read in place, chunk by chunk.
    const chunks: ReturnType<Sample['chunkParts']>[] = [];
    for (let first = 0; first < n; first += CHUNK) chunks.push(sample.chunkParts(first, Math.min(CHUNK, n - first)));
    const changed = new Float64Array(words);
    let edges = 0;
    const keys = new Int32Array(n);
    for (let id = 0; id < n; id++) {
      const { parents, hashes, states } = chunks[id >>> CHUNK_BITS]!;
      const at = id & (CHUNK - 1);
      keys[id] = hashes[at]!;
      const p = parents[at]!;
      if (p < 0) continue;
      edges++;
      const before = chunks[p >>> CHUNK_BITS]!.states;
      for (let w = 0, s = at * words, f = (p & (CHUNK - 1)) * words; w < words; w++) if (states[s + w] !== before[f + w]) changed[w]++;
    }
    const often = [...Array(words).keys()].filter((w) => edges > 0 && changed[w]! / edges >= MIN_CHANGE).sort((a, b) => changed[b]! - changed[a]! || a - b);
    // Each state's key as words are left out one by one (key: the hash less each left-out word's mixed value).
    const next = new Int32Array(n);
    const seeds = seedsA(words);
    const leftOut: number[] = [];
    for (const w of often.slice(0, MAX_LEFT_OUT)) {
      for (let id = 0; id < n; id++) next[id] = (keys[id]! - fmixA(chunks[id >>> CHUNK_BITS]!.states[(id & (CHUNK - 1)) * words + w]! ^ seeds[w]!)) | 0;
      if (!spreads(next, shards, lastLevelStart)) break;
      keys.set(next);
      leftOut.push(w);
    }
    return new Ownership(shards, words, leftOut);
  }
}

/**
 * Whether keys spread the sampled states evenly enough over `shards` (choose): every shard within MAX_SKEW of an
 * even share over all of them and within MAX_SKEW_LAST over the last level's (from `lastLevelStart` on), and
 * MIN_VALUES_PER_SHARD values per shard.
 */
function spreads(keys: Int32Array, shards: number, lastLevelStart: number): boolean {
  const n = keys.length;
  const all = new Array<number>(shards).fill(0);
  const last = new Array<number>(shards).fill(0);
  for (let id = 0; id < n; id++) {
    const o = ownerOf(keys[id]!, shards);
    all[o]++;
    if (id >= lastLevelStart) last[o]++;
  }
  const even = (counts: number[], count: number, skew: number): boolean => count === 0 || Math.max(...counts) <= (skew * count) / shards;
  if (!even(all, n, MAX_SKEW) || !even(last, n - lastLevelStart, MAX_SKEW_LAST)) return false;
  const values = new Set<number>();
  for (let i = 0; i < n && values.size < MIN_VALUES_PER_SHARD * shards; i++) values.add(keys[i]!);
  return values.size >= MIN_VALUES_PER_SHARD * shards;
}
