// Symbolic values with constant folding. Every machine value and every expression value is a bit-vector of one
// width per model (wide enough for the widest slot and every expression value, plus a sign bit, so the
// arithmetic is exact); what is known while the encoding is built stays a JS number or boolean, so that the
// many decisions that depend only on the instruction (its operands, the CPU, a constant thread) cost no Z3
// term. Numbers are exact integers (expression values may be negative); bit-vectors are two's complement.

import type { BitVec, Bool } from 'z3-solver';
import type { Field } from '../../ir/layout.js';
import type { Z3 } from './z3.js';

export type BV = BitVec<number, 'main'>;
export type B = Bool<'main'>;
/** A value: known (a number) or symbolic (a bit-vector of the model's width). */
export type Val = number | BV;
/** A condition: known (a boolean) or symbolic. */
export type Cond = boolean | B;

export class Sym {
  readonly T: B;
  readonly F: B;

  constructor(
    readonly ctx: Z3,
    /** Bits of every symbolic value (see encodingWidth in system.ts). */
    readonly width: number,
  ) {
    this.T = ctx.Bool.val(true);
    this.F = ctx.Bool.val(false);
  }

  bv(v: Val): BV {
    if (typeof v !== 'number') return v;
    return this.ctx.BitVec.val(BigInt.asUintN(this.width, BigInt(v)), this.width);
  }

  bool(c: Cond): B {
    if (typeof c === 'boolean') return c ? this.T : this.F;
    return c;
  }

  // ---------------------------------------------------------------------------------------------------
  // Conditions

  not(c: Cond): Cond {
    return typeof c === 'boolean' ? !c : this.ctx.Not(c);
  }

  and(...cs: Cond[]): Cond {
    const rest: B[] = [];
    for (const c of cs) {
      if (c === false) return false;
      if (c !== true) rest.push(c);
    }
    if (rest.length === 0) return true;
    return rest.length === 1 ? rest[0]! : this.ctx.And(...rest);
  }

  or(...cs: Cond[]): Cond {
    const rest: B[] = [];
    for (const c of cs) {
      if (c === true) return true;
      if (c !== false) rest.push(c);
    }
    if (rest.length === 0) return false;
    return rest.length === 1 ? rest[0]! : this.ctx.Or(...rest);
  }

  implies(a: Cond, b: Cond): Cond {
    return this.or(this.not(a), b);
  }

  // ---------------------------------------------------------------------------------------------------
  // Values

  ite(c: Cond, a: Val, b: Val): Val {
    if (c === true) return a;
    if (c === false) return b;
    if (typeof a === 'number' && typeof b === 'number' && a === b) return a;
    if (typeof a !== 'number' && typeof b !== 'number' && this.ctx.eqIdentity(a, b)) return a;
    return this.ctx.If(c, this.bv(a), this.bv(b)) as BV;
  }

  iteCond(c: Cond, a: Cond, b: Cond): Cond {
    if (c === true) return a;
    if (c === false) return b;
    if (a === b) return a;
    return this.ctx.If(c, this.bool(a), this.bool(b)) as B;
  }

  eq(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return this.bv(a).eq(this.bv(b));
  }

  ne(a: Val, b: Val): Cond {
    return this.not(this.eq(a, b));
  }

  /** Signed comparisons (expression values). */
  slt(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return this.bv(a).slt(this.bv(b));
  }
  sle(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return this.bv(a).sle(this.bv(b));
  }

  /** Unsigned comparisons (machine values: counters, pcs, masks). */
  ult(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return this.bv(a).ult(this.bv(b));
  }
  ule(a: Val, b: Val): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return this.bv(a).ule(this.bv(b));
  }

  add(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (b === 0) return a;
    if (a === 0) return b;
    return this.bv(a).add(this.bv(b));
  }
  sub(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (b === 0) return a;
    return this.bv(a).sub(this.bv(b));
  }
  mul(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return a * b;
    return this.bv(a).mul(this.bv(b));
  }
  neg(a: Val): Val {
    return typeof a === 'number' ? -a : this.bv(a).neg();
  }
  /** Division truncating toward zero, as JS Math.trunc(a / b) and SMT-LIB bvsdiv. */
  sdiv(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : Math.trunc(a / b);
    return this.bv(a).sdiv(this.bv(b));
  }
  /** Remainder with the sign of the dividend, as JS `%` and SMT-LIB bvsrem. */
  srem(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : a % b;
    return this.bv(a).srem(this.bv(b));
  }

  // ---------------------------------------------------------------------------------------------------
  // Bits and fields (masks of lines and waiters, frame words)

  bit(mask: Val, i: number): Cond {
    if (typeof mask === 'number') return (mask & (1 << i)) !== 0;
    return this.ctx.Extract(i, i, mask).eq(this.ctx.BitVec.val(1, 1));
  }

  or32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a | b) >>> 0;
    if (b === 0) return a;
    return this.bv(a).or(this.bv(b));
  }

  and32(a: Val, b: Val): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a & b) >>> 0;
    if (a === 0 || b === 0) return 0;
    return this.bv(a).and(this.bv(b));
  }

  /** `mask & ~(1 << i)`. */
  clearBit(mask: Val, i: number): Val {
    return this.and32(mask, ~(1 << i) >>> 0);
  }

  /** A field of a word, as the layout's readField does. */
  field(word: Val, f: Field): Val {
    if (typeof word === 'number') return (word >>> f.shift) & (2 ** f.bits - 1);
    return this.ctx.Extract(f.shift + f.bits - 1, f.shift, word).zeroExt(this.width - f.bits);
  }

  /** `value` placed in field `f` of an otherwise empty word, as writeField(0, f, value) does. */
  place(value: Val, f: Field): Val {
    const low = this.truncate(value, f.bits);
    if (typeof low === 'number') return (low * 2 ** f.shift) >>> 0;
    return f.shift === 0 ? low : low.shl(this.bv(f.shift));
  }

  /** A slot's stored bits, widened: values are read through this so reads never see bits beyond the slot. */
  truncate(v: Val, bits: number): Val {
    if (bits >= this.width) return v;
    if (typeof v === 'number') return v & (2 ** bits - 1);
    return this.ctx.Extract(bits - 1, 0, v).zeroExt(this.width - bits);
  }
}
