// Which shard owns a state in a partitioned search (partition.ts). By the hash of the whole state, a successor
// belongs to another shard (N - 1) times in N, and each of those is copied to that shard and probed there, cold:
// two shards then do about half as much work again as one search (docs/performance.md, "Every core"). Most steps
// write only a few words, and the same few: a CPU's pc, its registers. So the owner is the hash of the state
// without the words steps change most often (the "key"): a step that writes none of the key's words leads to a
// state of the same shard. Which words to leave out is learnt from the states found before the search is
// partitioned, along the edges that found them, and only while the key still spreads those states evenly over
// the shards; else nothing is left out and the owner is the whole hash's.
//
// The key's hash is the state's hash less the mixed values of the words left out (hashing.ts: a state's hash is
// the sum of one mixed value per word), so the search core needs the few words left out, not a second hash.

import { fmixA, seedsA } from './hashing.js';
import { ownerOf } from './wasmsearch.js';

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
  parent(id: number): number;
  hashOf(id: number): number;
  view(id: number): Uint32Array;
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

  /** The hash of the state's key, given the state and its hash. */
  key(hash: number, state: Uint32Array): number {
    let h = hash;
    for (const w of this.leftOut) h = (h - fmixA(state[w]! ^ this.seeds[w]!)) | 0;
    return h;
  }

  /** The shard that owns `state` (whose hash is `hash`). */
  owner(hash: number, state: Uint32Array): number {
    return ownerOf(this.key(hash, state), this.shards);
  }

  /**
   * The key for a search over `shards` shards that found `sample` so far: leaves out, most often changed first,
   * each word that at least MIN_CHANGE of the edges into the sampled states change, as long as the key still
   * spreads the sampled states evenly (every shard within MAX_SKEW of an even share over all of them, within
   * MAX_SKEW_LAST over the last level, from `lastLevelStart` on) and takes MIN_VALUES_PER_SHARD values per shard.
   */
  static choose(sample: Sample, words: number, shards: number, lastLevelStart: number): Ownership {
    const changed = new Float64Array(words);
    let edges = 0;
    for (let id = 0; id < sample.count; id++) {
      const p = sample.parent(id);
      if (p < 0) continue;
      const s = sample.view(id);
      const from = sample.view(p);
      edges++;
      for (let w = 0; w < words; w++) if (s[w] !== from[w]) changed[w]++;
    }
    const often = [...Array(words).keys()].filter((w) => edges > 0 && changed[w]! / edges >= MIN_CHANGE).sort((a, b) => changed[b]! - changed[a]! || a - b);
    let chosen = new Ownership(shards, words, []);
    for (const w of often.slice(0, MAX_LEFT_OUT)) {
      const next = new Ownership(shards, words, [...chosen.leftOut, w]);
      if (!next.spreads(sample, lastLevelStart)) break;
      chosen = next;
    }
    return chosen;
  }

  /** Whether this key spreads the sampled states evenly enough (choose). */
  private spreads(sample: Sample, lastLevelStart: number): boolean {
    const all = new Array<number>(this.shards).fill(0);
    const last = new Array<number>(this.shards).fill(0);
    const values = new Set<number>();
    for (let id = 0; id < sample.count; id++) {
      const k = this.key(sample.hashOf(id), sample.view(id));
      const o = ownerOf(k, this.shards);
      all[o]++;
      if (id >= lastLevelStart) last[o]++;
      values.add(k);
    }
    const even = (counts: number[], n: number, skew: number): boolean => n === 0 || Math.max(...counts) <= (skew * n) / this.shards;

    return values.size >= MIN_VALUES_PER_SHARD * this.shards && even(all, sample.count, MAX_SKEW) && even(last, sample.count - lastLevelStart, MAX_SKEW_LAST);
  }
}
