// A set of 64-bit fingerprints in at most 8 bytes per member from about 1,600 members up. Most members live in a
// sorted run split into 2^B buckets by the top B bits of their high word (B grows with the set, so that a bucket
// holds about sixteen members); the bucket index implies those bits, so a member stores only the rest:
//
// - while B < 16 ("wide"), the low 24 bits of the high word (a Uint8 and a Uint16; the top 8 bits are implied, as
//   B >= 8) and the low word (a Uint32): 7 bytes;
// - from B = 16 on, the 32 - B bits of the high word below the bucket (a Uint16) and the low word: 6 bytes.
//
// New members go to a small open-addressing buffer first; when the buffer is half full its members are sorted by
// bucket and merged into the run from the back, in place (the run's arrays sit on resizable ArrayBuffers). The
// buffer is kept at about a thirty-second of the run while wide and a sixteenth after, so the set costs at most
// 7 + 0.25 (index) + 0.5 (buffer) bytes per member while wide and 6 + 0.25 + 1 after, plus the smallest index and
// buffer (1.5 KB), and every insertion is amortised O(1).

import { MemoryBudgetExceeded } from './store.js';

/** ES2024 resizable ArrayBuffers (Node 20 has them; the TypeScript lib this project targets does not). */
interface ResizableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const Resizable = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

const MIN_BITS = 8;
/** From here on the bucket implies the top 16 bits of the high word and `top` is dropped. */
const NARROW_BITS = 16;
const MAX_BITS = 24;
/** Members per bucket: 2^4. */
const BUCKET_SHIFT = 4;
const MIN_BUFFER = 1 << 6;
/** The wide layout is left once B reaches 16, at 2^20 members: `top` never holds more. */
const MAX_WIDE = 1 << (NARROW_BITS + BUCKET_SHIFT + 1);

export class FingerprintSet {
  /** Bucket bits B: a member's bucket is the top B bits of its high word. */
  private bits = MIN_BITS;
  private wide = true;
  /** Members of the sorted run: bucket b holds [index[b], index[b + 1]), ordered by (high word, low word). */
  private index = new Uint32Array((1 << MIN_BITS) + 1);
  private readonly topBuffer: ResizableBuffer;
  private readonly midBuffer: ResizableBuffer;
  private readonly loBuffer: ResizableBuffer;
  /** Bits 23..16 of the high word, while wide. */
  private top: Uint8Array;
  /** Bits 15..0 of the high word (of those, the 32 - B below the bucket once narrow). */
  private mid: Uint16Array;
  /** The low word, as a signed integer (members order by it signed: the order only has to be total). */
  private lo: Int32Array;
  private runSize = 0;
  /** The buffer: (hi, lo) pairs, (0, 0) = empty; `bufferCount` members of `bufferSlots` slots. */
  private buffer = new Int32Array(2 * MIN_BUFFER);
  private bufferSlots = MIN_BUFFER;
  private bufferCount = 0;
  size = 0;

  constructor(
    private readonly canGrow: (extraBytes: number) => boolean,
    maxMembers: number,
  ) {
    const most = Math.max(maxMembers, 1);
    this.topBuffer = new Resizable(0, { maxByteLength: Math.min(most, MAX_WIDE) });
    this.midBuffer = new Resizable(0, { maxByteLength: most * 2 });
    this.loBuffer = new Resizable(0, { maxByteLength: most * 4 });
    this.top = new Uint8Array(this.topBuffer);
    this.mid = new Uint16Array(this.midBuffer);
    this.lo = new Int32Array(this.loBuffer);
  }

  get bytes(): number {
    return this.index.byteLength + this.topBuffer.byteLength + this.midBuffer.byteLength + this.loBuffer.byteLength + this.buffer.byteLength;
  }

  /** Adds (hi, lo); false if it was already a member. (0, 0) is stored as (0, 1). */
  add(hi: number, lo: number): boolean {
    hi |= 0;
    lo |= 0;
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
    hi |= 0;
    lo |= 0;
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

  /** The stored part of the high word of run member i: its low 24 bits while wide, 32 - B bits after. */
  private midOf(i: number): number {
    return this.wide ? (this.top[i]! << 16) | this.mid[i]! : this.mid[i]!;
  }

  private inRun(hi: number, lo: number): boolean {
    const bucket = hi >>> (32 - this.bits);
    let a = this.index[bucket]!;
    let z = this.index[bucket + 1]!;
    const mid = this.mid;
    const low = this.lo;
    if (this.wide) {
      const t = (hi >>> 16) & 0xff;
      const m = hi & 0xffff;
      if (z - a <= 32) {
        // A bucket holds a handful of members: scan them.
        for (; a < z; a++) if (mid[a] === m && low[a] === lo && this.top[a] === t) return true;
        return false;
      }
    } else if (z - a <= 32) {
      const m = hi & ((1 << (32 - this.bits)) - 1);
      for (; a < z; a++) if (mid[a] === m && low[a] === lo) return true;
      return false;
    }
    // Binary search on (mid, lo) in [a, z).
    const m = this.wide ? hi & 0xffffff : hi & ((1 << (32 - this.bits)) - 1);
    while (a < z) {
      const k = (a + z) >>> 1;
      const km = this.midOf(k);
      const kl = low[k]!;
      if (km === m && kl === lo) return true;
      if (km < m || (km === m && kl < lo)) a = k + 1;
      else z = k;
    }
    return false;
  }

  /** Splits every bucket of the run by `extra` more bits of the high word (taken from the top of the stored part). */
  private rebucket(extra: number): void {
    const bits = this.bits + extra;
    const buckets = 1 << bits;
    if (!this.canGrow(buckets * 4)) throw new MemoryBudgetExceeded();
    const index = new Uint32Array(buckets + 1);
    const below = 32 - bits; // the high word's bits below the new bucket, all in the stored part
    const old = this.index;
    for (let b = 0; b < old.length - 1; b++) {
      for (let i = old[b]!; i < old[b + 1]!; i++) index[((b << extra) | ((this.midOf(i) >>> below) & ((1 << extra) - 1))) + 1]!++;
    }
    for (let b = 0; b < buckets; b++) index[b + 1]! += index[b]!;
    this.index = index;
    this.bits = bits;
    if (this.wide && bits >= NARROW_BITS) {
      // The bucket now implies the top 16 bits or more: keep the 32 - B below it, drop `top`.
      const maskKeep = (1 << (32 - bits)) - 1;
      for (let i = 0; i < this.runSize; i++) this.mid[i] = this.mid[i]! & maskKeep;
      this.wide = false;
      this.topBuffer.resize(0);
      this.top = new Uint8Array(this.topBuffer);
    } else if (!this.wide) {
      const maskKeep = (1 << (32 - bits)) - 1;
      for (let i = 0; i < this.runSize; i++) this.mid[i] = this.mid[i]! & maskKeep;
    }
  }

  /** Moves the buffer's members into the run and resizes the buffer to a fraction of the run. */
  private merge(): void {
    const n = this.bufferCount;
    const total = this.runSize + n;
    if (!this.canGrow(n * (this.wide ? 7 : 6))) throw new MemoryBudgetExceeded();
    const wanted = Math.min(MAX_BITS, Math.max(MIN_BITS, Math.floor(Math.log2(total)) - BUCKET_SHIFT));
    if (wanted > this.bits) this.rebucket(wanted - this.bits);
    const wide = this.wide;
    const bits = this.bits;
    const buckets = 1 << bits;
    const shift = 32 - bits;
    const maskStored = wide ? 0xffffff : (1 << shift) - 1;
    try {
      if (wide) this.topBuffer.resize(total);
      this.midBuffer.resize(total * 2);
      this.loBuffer.resize(total * 4);
    } catch {
      throw new MemoryBudgetExceeded(); // past the reservation made for the memory limit
    }
    // Length-tracking views follow the resize.
    this.top = new Uint8Array(this.topBuffer);
    this.mid = new Uint16Array(this.midBuffer);
    this.lo = new Int32Array(this.loBuffer);

    // Counting sort of the buffer by bucket, then (stored part, lo) order inside each bucket.
    const count = new Uint32Array(buckets + 1);
    const b = this.buffer;
    for (let i = 0; i < this.bufferSlots; i++) {
      const hi = b[2 * i]!;
      if (hi === 0 && b[2 * i + 1] === 0) continue;
      count[(hi >>> shift) + 1]!++;
    }
    for (let k = 0; k < buckets; k++) count[k + 1]! += count[k]!;
    const newMid = new Uint32Array(n);
    const newLo = new Int32Array(n);
    const newBucket = new Uint32Array(n);
    const fill = count.slice(0, buckets);
    for (let i = 0; i < this.bufferSlots; i++) {
      const hi = b[2 * i]!;
      const lo = b[2 * i + 1]!;
      if (hi === 0 && lo === 0) continue;
      const at = fill[hi >>> shift]!++;
      newMid[at] = hi & maskStored;
      newLo[at] = lo;
      newBucket[at] = hi >>> shift;
    }
    for (let j = 0; j < n; ) {
      const end = count[newBucket[j]! + 1]!;
      if (end - j > 1) sortPairs(newMid, newLo, j, end);
      j = end;
    }

    // Merge from the back. An old member of bucket k moves up by the new members of the buckets before k, plus
    // those of bucket k that sort before it: the buckets between two that receive new members move as one block.
    const index = this.index;
    const top = this.top;
    const mid = this.mid;
    const lo = this.lo;
    let placed = this.runSize; // old members from here up are in place
    for (let j = n - 1; j >= 0; ) {
      const k = newBucket[j]!;
      const iStart = index[k]!;
      const iEnd = index[k + 1]!;
      const jStart = count[k]!;
      if (placed > iEnd) this.moveUp(iEnd, placed, j + 1);
      let out = iEnd + j;
      let i = iEnd - 1;
      while (j >= jStart) {
        const m = i >= iStart ? (wide ? (top[i]! << 16) | mid[i]! : mid[i]!) : -1;
        if (m > newMid[j]! || (m === newMid[j] && lo[i]! > newLo[j]!)) {
          if (wide) top[out] = top[i]!;
          mid[out] = mid[i]!;
          lo[out] = lo[i]!;
          i--;
        } else {
          if (wide) top[out] = newMid[j]! >>> 16;
          mid[out] = newMid[j]! & 0xffff;
          lo[out] = newLo[j]!;
          j--;
        }
        out--;
      }
      // The rest of the old bucket moves up by the new members of the buckets before it.
      if (jStart > 0 && i >= iStart) this.moveUp(iStart, i + 1, jStart);
      placed = iStart;
    }
    for (let k = 1; k <= buckets; k++) index[k]! += count[k]!;
    this.runSize = total;

    let slots = MIN_BUFFER;
    while (slots * (wide ? 32 : 16) < total) slots *= 2;
    if (slots !== this.bufferSlots) {
      if (!this.canGrow(Math.max(0, (slots - this.bufferSlots) * 8))) throw new MemoryBudgetExceeded();
      this.buffer = new Int32Array(2 * slots);
      this.bufferSlots = slots;
    } else {
      this.buffer.fill(0);
    }
    this.bufferCount = 0;
  }

  /** Moves the run members [from, to) up by `by` places. */
  private moveUp(from: number, to: number, by: number): void {
    if (this.wide) this.top.copyWithin(from + by, from, to);
    this.mid.copyWithin(from + by, from, to);
    this.lo.copyWithin(from + by, from, to);
  }
}

/** Insertion sort of the pairs (mid[i], lo[i]) for i in [from, to): buckets hold a handful of new members. */
function sortPairs(mid: Uint32Array, lo: Int32Array, from: number, to: number): void {
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
