// A set of 64-bit fingerprints in at most 8 bytes per member. Most members live in a sorted run split into 2^B
// buckets by the top B bits of their high word (B from 16 up, growing with the set so that a bucket holds about
// eight members); the bucket index implies those bits, so each member stores only its other 48 (a Uint16 and a
// Uint32: 6 bytes, and nothing for empty slots). New members go to a small open-addressing buffer first; when the
// buffer is half full its members are sorted by bucket and merged into the run from the back, in place (the
// run's arrays sit on resizable ArrayBuffers). The buffer is kept at about a sixteenth of the run, so the set
// costs about 6 + 0.5 (index) + 0.5..1 (buffer) bytes per member, and every insertion is amortised O(1).

import { MemoryBudgetExceeded } from './store.js';

/** ES2024 resizable ArrayBuffers (Node 20 has them; the TypeScript lib this project targets does not). */
interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const Resizable = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

const MIN_BITS = 16;
const MAX_BITS = 24;
const MIN_BUFFER = 1 << 12;

export class FingerprintSet {
  /** Bucket bits B: a member's bucket is the top B bits of its high word, `mid` holds the other 32 - B. */
  private bits = MIN_BITS;
  /** Members of the sorted run: bucket b holds [index[b], index[b + 1]), ordered by (mid, lo). */
  private index = new Uint32Array((1 << MIN_BITS) + 1);
  private readonly midBuffer: ResizableBuffer;
  private readonly loBuffer: ResizableBuffer;
  private mid: Uint16Array;
  private lo: Uint32Array;
  private runSize = 0;
  /** The buffer: (hi, lo) pairs, (0, 0) = empty; `bufferCount` members of `bufferSlots` slots. */
  private buffer = new Uint32Array(2 * MIN_BUFFER);
  private bufferSlots = MIN_BUFFER;
  private bufferCount = 0;
  size = 0;

  constructor(
    private readonly canGrow: (extraBytes: number) => boolean,
    maxMembers: number,
  ) {
    this.midBuffer = new Resizable(0, { maxByteLength: Math.max(maxMembers, 1) * 2 });
    this.loBuffer = new Resizable(0, { maxByteLength: Math.max(maxMembers, 1) * 4 });
    this.mid = new Uint16Array(this.midBuffer);
    this.lo = new Uint32Array(this.loBuffer);
  }

  get bytes(): number {
    return this.index.byteLength + this.midBuffer.byteLength + this.loBuffer.byteLength + this.buffer.byteLength;
  }

  /** Adds (hi, lo); false if it was already a member. (0, 0) is stored as (0, 1). */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    if (this.inRun(hi, lo)) return false;
    const mask = this.bufferSlots - 1;
    const b = this.buffer;
    for (let i = (lo ^ hi) & mask; ; i = (i + 1) & mask) {
      const h = b[2 * i]!;
      const l = b[2 * i + 1]!;
      if (h === 0 && l === 0) {
        b[2 * i] = hi;
        b[2 * i + 1] = lo;
        break;
      }
      if (h === hi && l === lo) return false;
    }
    this.size++;
    if (++this.bufferCount * 2 >= this.bufferSlots) this.merge();
    return true;
  }

  has(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    if (this.inRun(hi, lo)) return true;
    const mask = this.bufferSlots - 1;
    const b = this.buffer;
    for (let i = (lo ^ hi) & mask; ; i = (i + 1) & mask) {
      const h = b[2 * i]!;
      const l = b[2 * i + 1]!;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
    }
  }

  private inRun(hi: number, lo: number): boolean {
    const bucket = hi >>> (32 - this.bits);
    const m = hi & ((1 << (32 - this.bits)) - 1);
    let a = this.index[bucket]!;
    let z = this.index[bucket + 1]!;
    const mid = this.mid;
    if (z - a <= 32) {
      // A bucket holds a handful of members: scan their mids (one cache line), then check lo.
      for (; a < z; a++) if (mid[a] === m && this.lo[a] === lo) return true;
      return false;
    }
    // Binary search on (mid, lo) in [a, z).
    while (a < z) {
      const k = (a + z) >>> 1;
      const km = mid[k]!;
      const kl = this.lo[k]!;
      if (km === m && kl === lo) return true;
      if (km < m || (km === m && kl < lo)) a = k + 1;
      else z = k;
    }
    return false;
  }

  /** Splits every bucket of the run by `extra` more bits of the high word (taken from the top of `mid`). */
  private rebucket(extra: number): void {
    const bits = this.bits + extra;
    const buckets = 1 << bits;
    if (!this.canGrow(buckets * 4)) throw new MemoryBudgetExceeded();
    const index = new Uint32Array(buckets + 1);
    const keep = 32 - bits; // bits mid keeps
    const mid = this.mid;
    const old = this.index;
    for (let b = 0; b < old.length - 1; b++) {
      for (let i = old[b]!; i < old[b + 1]!; i++) index[((b << extra) | (mid[i]! >>> keep)) + 1]!++;
    }
    for (let b = 0; b < buckets; b++) index[b + 1]! += index[b]!;
    const maskKeep = (1 << keep) - 1;
    for (let i = 0; i < this.runSize; i++) mid[i] = mid[i]! & maskKeep;
    this.index = index;
    this.bits = bits;
  }

  /** Moves the buffer's members into the run and resizes the buffer to about a sixteenth of the run. */
  private merge(): void {
    const n = this.bufferCount;
    const total = this.runSize + n;
    if (!this.canGrow(n * 6)) throw new MemoryBudgetExceeded();
    // About eight members per bucket: finer buckets once the run has grown.
    const wanted = Math.min(MAX_BITS, Math.max(MIN_BITS, Math.floor(Math.log2(total)) - 3));
    if (wanted > this.bits) this.rebucket(wanted - this.bits);
    const bits = this.bits;
    const buckets = 1 << bits;
    const keep = 32 - bits;
    const maskKeep = (1 << keep) - 1;
    try {
      this.midBuffer.resize(total * 2);
      this.loBuffer.resize(total * 4);
    } catch {
      throw new MemoryBudgetExceeded(); // past the reservation made for the memory limit
    }
    // Length-tracking views follow the resize.
    this.mid = new Uint16Array(this.midBuffer);
    this.lo = new Uint32Array(this.loBuffer);

    // Counting sort of the buffer by bucket, then (mid, lo) order inside each bucket.
    const count = new Uint32Array(buckets + 1);
    const b = this.buffer;
    for (let i = 0; i < this.bufferSlots; i++) {
      const hi = b[2 * i]!;
      if (hi === 0 && b[2 * i + 1] === 0) continue;
      count[(hi >>> keep) + 1]!++;
    }
    for (let k = 0; k < buckets; k++) count[k + 1]! += count[k]!;
    const newMid = new Uint16Array(n);
    const newLo = new Uint32Array(n);
    const fill = count.slice(0, buckets);
    for (let i = 0; i < this.bufferSlots; i++) {
      const hi = b[2 * i]!;
      const lo = b[2 * i + 1]!;
      if (hi === 0 && lo === 0) continue;
      const at = fill[hi >>> keep]!++;
      newMid[at] = hi & maskKeep;
      newLo[at] = lo;
    }
    for (let k = 0; k < buckets; k++) if (count[k + 1]! - count[k]! > 1) sortPairs(newMid, newLo, count[k]!, count[k + 1]!);

    // Merge from the back: bucket by bucket, each bucket's old entries and new ones, into [start', end').
    const index = this.index;
    const nextIndex = new Uint32Array(buckets + 1);
    for (let k = 0; k <= buckets; k++) nextIndex[k] = index[k]! + count[k]!;
    const mid = this.mid;
    const lo = this.lo;
    for (let k = buckets - 1; k >= 0; k--) {
      let out = nextIndex[k + 1]! - 1;
      let i = index[k + 1]! - 1; // old entries of bucket k
      let j = count[k + 1]! - 1; // new entries of bucket k
      const iStart = index[k]!;
      const jStart = count[k]!;
      if (j < jStart && out === i) continue;
      while (j >= jStart) {
        if (i >= iStart && (mid[i]! > newMid[j]! || (mid[i] === newMid[j] && lo[i]! > newLo[j]!))) {
          mid[out] = mid[i]!;
          lo[out] = lo[i]!;
          i--;
        } else {
          mid[out] = newMid[j]!;
          lo[out] = newLo[j]!;
          j--;
        }
        out--;
      }
      if (out !== i) {
        // The rest of the old bucket shifts up by the number of new entries before it.
        mid.copyWithin(out - (i - iStart), iStart, i + 1);
        lo.copyWithin(out - (i - iStart), iStart, i + 1);
      }
    }
    this.index = nextIndex;
    this.runSize = total;

    let slots = MIN_BUFFER;
    while (slots * 16 < total) slots *= 2;
    if (slots !== this.bufferSlots) {
      if (!this.canGrow(Math.max(0, (slots - this.bufferSlots) * 8))) throw new MemoryBudgetExceeded();
      this.buffer = new Uint32Array(2 * slots);
      this.bufferSlots = slots;
    } else {
      this.buffer.fill(0);
    }
    this.bufferCount = 0;
  }
}

/** Insertion sort of the pairs (mid[i], lo[i]) for i in [from, to): buckets hold a handful of new members. */
function sortPairs(mid: Uint16Array, lo: Uint32Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const m = mid[i]!;
    const l = lo[i]!;
    let j = i - 1;
    while (j >= from && (mid[j]! > m || (mid[j] === m && lo[j]! > l))) {
      mid[j + 1] = mid[j]!;
      lo[j + 1] = lo[j]!;
      j--;
    }
    mid[j + 1] = m;
    lo[j + 1] = l;
  }
}
