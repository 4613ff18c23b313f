import { describe, expect, it } from 'vitest';
import { StateHasher } from '../../src/checker/explicit/hashing.js';
import { Ownership, type Sample } from '../../src/checker/explicit/ownership.js';
import { ownerOf } from '../../src/checker/explicit/wasmsearch.js';

/** A sample of states given as word arrays, each found from the one before it (a chain), or from none. */
function chain(states: number[][], parent = (id: number): number => id - 1): Sample {
  const words = states[0]!.length;
  const hasher = new StateHasher(words);
  const flat = Int32Array.from(states.flat());
  const hashes = Int32Array.from(states, (s) => hasher.hash(Uint32Array.from(s)));
  return {
    count: states.length,
    chunkParts: (first, n) => ({
      parents: Int32Array.from({ length: n }, (_, i) => parent(first + i)),
      hashes: hashes.subarray(first, first + n),
      states: flat.subarray(first * words, (first + n) * words),
    }),
  };
}

describe('which shard owns a state', () => {
  // Word 0 changes on every step (a pc), word 1 takes 4,096 values and changes on one step in 16, word 2 never.
  const states = Array.from({ length: 65_536 }, (_, i) => [i % 7, i >>> 4, 5]);

  it('leaves out of the key the words steps change most, while the key spreads the states evenly', () => {
    const ownership = Ownership.choose(chain(states), 3, 2, 60_000);
    expect(ownership.leftOut).toEqual([0]);
    // The key is the hash of the words kept: states that differ only in a word left out have one owner.
    const hasher = new StateHasher(3);
    const a = Uint32Array.from([1, 77, 5]);
    const b = Uint32Array.from([6, 77, 5]);
    expect(ownership.key(hasher.hash(a), a)).toBe(ownership.key(hasher.hash(b), b));
    expect(ownership.owner(hasher.hash(a), a)).toBe(ownership.owner(hasher.hash(b), b));
    // With nothing left out the key is the whole hash.
    const whole = new Ownership(2, 3, []);
    expect(whole.owner(hasher.hash(a), a)).toBe(ownerOf(hasher.hash(a), 2));
  });

  it('reads the states it is given: at least the first 20,000 found at two shards', () => {
    expect(Ownership.sampleSize(2)).toBe(20_000);
    expect(Ownership.sampleSize(256)).toBe(131_072);
    // In these states word 2 changes on every step and word 0 never.
    const other = Array.from({ length: 32_768 }, (_, i) => [5, (65_536 + i) >>> 4, i % 7]);
    expect(Ownership.choose(chain(other), 3, 2, 30_000).leftOut).toEqual([2]);
  });

  it('leaves nothing out when the words kept would take too few values', () => {
    // Word 1 takes 64 values: fewer than 256 per shard.
    const few = Array.from({ length: 65_536 }, (_, i) => [i % 7, (i >>> 4) & 63, 5]);
    expect(Ownership.choose(chain(few), 3, 2, 60_000).leftOut).toEqual([]);
  });

  it('leaves nothing out of a sample too small to learn from, or with no edges', () => {
    expect(Ownership.choose(chain(states.slice(0, 64)), 3, 2, 0).leftOut).toEqual([]);
    expect(Ownership.choose(chain(states, () => -1), 3, 2, 0).leftOut).toEqual([]);
  });
});
