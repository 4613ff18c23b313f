// State hashes that follow a transition instead of re-reading the whole state. A state's hash is the sum
// (mod 2^32) of one mixed value per word, mixed with that word's position, so the hash of a successor is the
// hash of the state it came from plus the change in the few words the step wrote: a scan for differing words
// and two mixes per difference, instead of mixing every word. Each per-word mix is a bijection of the word, so
// two states that differ in one word never collide; for the rest the sums behave as random 32-bit values.
// Two independent families (A and B) give the 64-bit fingerprints of hash compaction.

/** murmur3's 32-bit finalizer. */
export function fmixA(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** xxhash32's avalanche: an unrelated bijection, for the second family. */
function fmixB(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d);
  return h ^ (h >>> 16);
}

/**
 * The A family's per-word seeds (the WebAssembly search core hashes with the same ones, wasmsearch.ts). A `salt`
 * other than 0 gives another member of the family: another hash function (a swarm job's, explore.ts).
 */
export function seedsA(words: number, salt = 0): Int32Array {
  return Int32Array.from({ length: words }, (_, i) => fmixA(Math.imul(i + 1, 0x9e3779b9) ^ salt));
}

export class StateHasher {
  private readonly seedA: Int32Array;
  private readonly seedB: Int32Array;

  /** @param salt 0 for the hash functions every search uses; another value for other ones (seedsA). */
  constructor(
    readonly words: number,
    salt = 0,
  ) {
    this.seedA = seedsA(words, salt);
    this.seedB = Int32Array.from({ length: words }, (_, i) => fmixB(Math.imul(i + 1, 0x7f4a7c15) ^ 0x5bd1e995 ^ salt));
  }

  /** The A hash of a whole state. */
  hash(s: Uint32Array): number {
    let h = 0;
    for (let i = 0; i < this.words; i++) h = (h + fmixA(s[i]! ^ this.seedA[i]!)) | 0;
    return h;
  }

  /** The A hash of `to`, given `from` and its hash. */
  rehash(fromHash: number, from: Uint32Array, to: Uint32Array): number {
    let h = fromHash;
    const seed = this.seedA;
    for (let i = 0; i < this.words; i++) {
      const a = from[i]!;
      const b = to[i]!;
      if (a !== b) h = (h - fmixA(a ^ seed[i]!) + fmixA(b ^ seed[i]!)) | 0;
    }
    return h;
  }

  /** The results of the last `whole` or `successor`. */
  a = 0;
  b = 0;

  /** Sets `a`, and `b` when `both` (else 0), to the hashes of a whole state. */
  whole(s: Uint32Array, both: boolean): void {
    this.a = this.hash(s);
    this.b = both ? this.hashB(s) : 0;
  }

  /**
   * Sets `a`, `b` to the hashes of `to` given `from` and its hashes: from the `written` words listed in `dirty`
   * when they are known (written >= 0), else from every word in which the two differ.
   */
  successor(fromA: number, fromB: number, from: Uint32Array, to: Uint32Array, dirty: Int32Array | null, written: number, both: boolean): void {
    if (written >= 0) {
      let a = fromA;
      let b = fromB;
      for (let k = 0; k < written; k++) {
        const i = dirty![k]!;
        const x = from[i]!;
        const y = to[i]!;
        if (x === y) continue;
        a = (a - fmixA(x ^ this.seedA[i]!) + fmixA(y ^ this.seedA[i]!)) | 0;
        if (both) b = (b - fmixB(x ^ this.seedB[i]!) + fmixB(y ^ this.seedB[i]!)) | 0;
      }
      this.a = a;
      this.b = b;
      return;
    }
    this.a = this.rehash(fromA, from, to);
    this.b = both ? this.rehashB(fromB, from, to) : 0;
  }

  /** The B hash of a whole state. */
  hashB(s: Uint32Array): number {
    let h = 0;
    for (let i = 0; i < this.words; i++) h = (h + fmixB(s[i]! ^ this.seedB[i]!)) | 0;
    return h;
  }

  /** The B hash of `to`, given `from` and its B hash. */
  rehashB(fromHash: number, from: Uint32Array, to: Uint32Array): number {
    let h = fromHash;
    const seed = this.seedB;
    for (let i = 0; i < this.words; i++) {
      const a = from[i]!;
      const b = to[i]!;
      if (a !== b) h = (h - fmixB(a ^ seed[i]!) + fmixB(b ^ seed[i]!)) | 0;
    }
    return h;
  }
}
