// The bit-level instantiation of the machine semantics (src/hw/domain.ts): a value not known while the rules run
// is a bit-vector of the model's encoding width (system.ts, encodingWidth), an array of AIG literals, least
// significant bit first, two's complement; a condition not known is one AIG literal. What is known stays a JS
// number or boolean, as in the Z3 instantiation (sym.ts), so the rules fold what depends only on the instruction.
// Arithmetic is bit-blasted: ripple-carry addition, shift-and-add multiplication, restoring division. The
// results are those of sym.ts's Z3 operators on the same width (bvadd, bvslt, bvsdiv ...), except that a
// division by zero gives 0 as the domain says (the rules fault before they divide by zero).

import type { BitField, Cond, CondTerm, Ops, Term, Val } from '../../../hw/domain.js';
import { FALSE, neg, TRUE, type Aig } from './aig.js';

/** A value's bits (least significant first). */
export type Bits = readonly number[];

export class BitOps implements Ops {
  constructor(
    readonly aig: Aig,
    /** Bits of every unknown value. */
    readonly width: number,
  ) {}

  /** The bits of a value: a known number in two's complement, modulo 2^width. */
  bits(v: Val): Bits {
    if (typeof v !== 'number') return v as unknown as Bits;
    let u = BigInt.asUintN(this.width, BigInt(v));
    const out: number[] = [];
    for (let i = 0; i < this.width; i++) {
      out.push(u & 1n ? TRUE : FALSE);
      u >>= 1n;
    }
    return out;
  }

  /** A condition's literal. */
  lit(c: Cond): number {
    if (typeof c === 'boolean') return c ? TRUE : FALSE;
    return c as unknown as number;
  }

  /** A literal as a condition: constants become booleans, so that the rules fold them. */
  cond(l: number): Cond {
    if (l === FALSE) return false;
    if (l === TRUE) return true;
    return l as unknown as CondTerm;
  }

  term(bits: Bits): Val {
    return bits as unknown as Term;
  }

  // ---------------------------------------------------------------------------------------------------
  // Conditions

  not(c: Cond): Cond {
    return typeof c === 'boolean' ? !c : this.cond(neg(this.lit(c)));
  }

  and(...cs: Cond[]): Cond {
    let out = TRUE;
    for (const c of cs) {
      if (c === false) return false;
      if (c !== true) out = this.aig.and(out, this.lit(c));
    }
    return this.cond(out);
  }

  or(...cs: Cond[]): Cond {
    let out = FALSE;
    for (const c of cs) {
      if (c === true) return true;
      if (c !== false) out = this.aig.or(out, this.lit(c));
    }
    return this.cond(out);
  }

  iteCond(c: Cond, a: Cond, b: Cond): Cond {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    return this.cond(this.aig.mux(this.lit(c), this.lit(a), this.lit(b)));
  }

  // ---------------------------------------------------------------------------------------------------
  // Values

  ite(c: Cond, a: Val, b: Val): Val {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    if (typeof a === 'number' && typeof b === 'number' && a === b) return a;
    const x = this.bits(a);
    const y = this.bits(b);
    const l = this.lit(c);
    const out = x.map((xi, i) => this.aig.mux(l, xi, y[i]!));
    // The same bits as one side: that side's value (an unchanged slot stays the same array).
    if (typeof b !== 'number' && out.every((o, i) => o === y[i])) return b;
    if (typeof a !== 'number' && out.every((o, i) => o === x[i])) return a;
    return this.term(out);
  }

  eq(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    const x = this.bits(a);
    const y = this.bits(b);
    let out = TRUE;
    for (let i = 0; i < this.width && out !== FALSE; i++) out = this.aig.and(out, neg(this.aig.xor(x[i]!, y[i]!)));
    return this.cond(out);
  }

  ne(a: Val, b: Val): Cond {
    return this.not(this.eq(a, b));
  }

  /** a < b, unsigned: the borrow out of a - b. */
  private ltBits(x: Bits, y: Bits): number {
    // From the least significant bit up: lt = (!x & y) | (x == y) & lt_below.
    let lt = FALSE;
    for (let i = 0; i < this.width; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      lt = this.aig.or(this.aig.and(neg(xi), yi), this.aig.and(neg(this.aig.xor(xi, yi)), lt));
    }
    return lt;
  }

  /** Flips the sign bit: signed order becomes unsigned order. */
  private flipSign(x: Bits): Bits {
    const out = x.slice();
    out[this.width - 1] = neg(out[this.width - 1]!);
    return out;
  }

  slt(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return this.cond(this.ltBits(this.flipSign(this.bits(a)), this.flipSign(this.bits(b))));
  }
  sle(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return this.not(this.slt(b, a));
  }
  ult(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return this.cond(this.ltBits(this.bits(a), this.bits(b)));
  }
  ule(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return this.not(this.ult(b, a));
  }

  private addBits(x: Bits, y: Bits, carryIn: number): number[] {
    const out: number[] = [];
    let c = carryIn;
    for (let i = 0; i < this.width; i++) {
      const t = this.aig.xor(x[i]!, y[i]!);
      out.push(this.aig.xor(t, c));
      c = this.aig.or(this.aig.and(x[i]!, y[i]!), this.aig.and(t, c));
    }
    return out;
  }

  add(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (a === 0) return b;
    if (b === 0) return a;
    return this.term(this.addBits(this.bits(a), this.bits(b), FALSE));
  }

  sub(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (b === 0) return a;
    return this.term(this.addBits(this.bits(a), this.bits(b).map(neg), TRUE));
  }

  neg(a: Val): Val {
    if (typeof a === 'number') return -a;
    return this.sub(0, a);
  }

  private mulBits(x: Bits, y: Bits): number[] {
    let acc: number[] = new Array<number>(this.width).fill(FALSE);
    for (let i = 0; i < this.width; i++) {
      if (y[i] === FALSE) continue;
      const row: number[] = [];
      for (let j = 0; j < this.width; j++) row.push(j < i ? FALSE : this.aig.and(x[j - i]!, y[i]!));
      acc = this.addBits(acc, row, FALSE);
    }
    return acc;
  }

  mul(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a * b;
    if (a === 0 || b === 0) return 0;
    if (a === 1) return b;
    if (b === 1) return a;
    return this.term(this.mulBits(this.bits(a), this.bits(b)));
  }

  /** Unsigned quotient and remainder by restoring division (divisor 0 gives an all-ones quotient). */
  private udivrem(x: Bits, y: Bits): { q: number[]; r: number[] } {
    const w = this.width;
    let r: number[] = new Array<number>(w).fill(FALSE);
    const q: number[] = new Array<number>(w).fill(FALSE);
    for (let i = w - 1; i >= 0; i--) {
      // r = (r << 1) | x[i]; if r >= y then r -= y, q[i] = 1. (r < y before the shift, so r < 2^w after.)
      const shifted = [x[i]!, ...r.slice(0, w - 1)];
      const top = r[w - 1]!;
      const diff = this.addBits(shifted, y.map(neg), TRUE);
      const ge = this.aig.or(top, neg(this.ltBits(shifted, y)));
      q[i] = ge;
      r = shifted.map((s, k) => this.aig.mux(ge, diff[k]!, s));
    }
    return { q, r };
  }

  private signedDivRem(a: Val, b: Val): { q: Val; r: Val } {
    const x = this.bits(a);
    const y = this.bits(b);
    const w = this.width;
    const sx = x[w - 1]!;
    const sy = y[w - 1]!;
    const abs = (v: Bits, s: number): Bits => this.bits(this.ite(this.cond(s), this.neg(this.term(v)), this.term(v)));
    const { q, r } = this.udivrem(abs(x, sx), abs(y, sy));
    const quotient = this.ite(this.cond(this.aig.xor(sx, sy)), this.neg(this.term(q)), this.term(q));
    const remainder = this.ite(this.cond(sx), this.neg(this.term(r)), this.term(r));
    const zero = this.eq(b, 0);
    return { q: this.ite(zero, 0, quotient), r: this.ite(zero, 0, remainder) };
  }

  sdiv(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : Math.trunc(a / b);
    return this.signedDivRem(a, b).q;
  }

  srem(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : a % b;
    return this.signedDivRem(a, b).r;
  }

  // ---------------------------------------------------------------------------------------------------
  // Bits and fields

  bit(mask: Val, i: number): Cond {
    if (typeof mask === 'number') return (mask & (1 << i)) !== 0;
    return i < this.width ? this.cond(this.bits(mask)[i]!) : false;
  }

  private bitwise(a: Val, b: Val, f: (x: number, y: number) => number): Val {
    const x = this.bits(a);
    const y = this.bits(b);
    return this.term(x.map((xi, i) => f(xi, y[i]!)));
  }

  or32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a | b) >>> 0;
    if (b === 0) return a;
    if (a === 0) return b;
    return this.bitwise(a, b, (x, y) => this.aig.or(x, y));
  }

  and32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a & b) >>> 0;
    if (a === 0 || b === 0) return 0;
    return this.bitwise(a, b, (x, y) => this.aig.and(x, y));
  }

  clearBit(mask: Val, i: number): Val {
    return this.and32(mask, ~(1 << i) >>> 0);
  }

  field(word: Val, f: BitField): Val {
    if (typeof word === 'number') return (word >>> f.shift) & (2 ** f.bits - 1);
    const x = this.bits(word);
    return this.term(Array.from({ length: this.width }, (_, i) => (i < f.bits ? (x[f.shift + i] ?? FALSE) : FALSE)));
  }

  place(value: Val, f: BitField): Val {
    const low = this.truncate(value, f.bits);
    if (typeof low === 'number') return (low * 2 ** f.shift) >>> 0;
    if (f.shift === 0) return low;
    const x = this.bits(low);
    return this.term(Array.from({ length: this.width }, (_, i) => (i < f.shift ? FALSE : x[i - f.shift]!)));
  }

  lookup(index: Val, table: readonly number[]): Val {
    if (typeof index === 'number') return table[index] ?? index;
    let out: Val = index;
    table.forEach((to, from) => {
      if (to !== from) out = this.ite(this.eq(index, from), to, out);
    });
    return out;
  }

  truncate(v: Val, bits: number): Val {
    if (bits >= this.width) return v;
    if (typeof v === 'number') return v & (2 ** bits - 1);
    const x = this.bits(v);
    if (x.every((l, i) => i < bits || l === FALSE)) return v;
    return this.term(x.map((l, i) => (i < bits ? l : FALSE)));
  }
}
