// The symbolic instantiation of the machine semantics (src/hw/domain.ts): values with constant folding. Every
// machine value and every expression value is a bit-vector of one width per model (wide enough for the widest
// slot and every expression value, plus a sign bit, so the arithmetic is exact); what is known while the
// encoding is built stays a JS number or boolean, so that the many decisions that depend only on the
// instruction (its operands, the CPU, a constant thread) cost no Z3 term. Numbers are exact integers
// (expression values may be negative); bit-vectors are two's complement. The rules' opaque terms are Z3's
// BitVec and Bool expressions: `bv` and `bool` are where they become Z3's again.

import type { BitVec, Bool } from 'z3-solver';
import type { BitField, Cond, CondTerm, Ops, Term, Val } from '../../hw/domain.js';
import type { Z3 } from './z3.js';

export type BV = BitVec<number, 'main'>;
export type B = Bool<'main'>;
export type { Cond, Val };
/** What the SMT engine's own code passes in: the rules' values and conditions, or Z3 expressions it built itself. */
export type AnyVal = Val | BV;
export type AnyCond = Cond | B;

/** A Z3 bit-vector as a rule's value. */
export function term(v: BV): Val {
  return v as unknown as Term;
}
/** A Z3 Boolean as a rule's condition. */
export function condTerm(c: B): Cond {
  return c as unknown as CondTerm;
}

export class Sym implements Ops {
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

  bv(v: AnyVal): BV {
    if (typeof v !== 'number') return v as unknown as BV;
    return this.ctx.BitVec.val(BigInt.asUintN(this.width, BigInt(v)), this.width);
  }

  bool(c: AnyCond): B {
    if (typeof c === 'boolean') return c ? this.T : this.F;
    return c as unknown as B;
  }

  // ---------------------------------------------------------------------------------------------------
  // Conditions

  not(c: AnyCond): Cond {
    return typeof c === 'boolean' ? !c : condTerm(this.ctx.Not(this.bool(c)));
  }

  and(...cs: AnyCond[]): Cond {
    const rest: B[] = [];
    for (const c of cs) {
      if (c === false) return false;
      if (c !== true) rest.push(this.bool(c));
    }
    if (rest.length === 0) return true;
    return condTerm(rest.length === 1 ? rest[0]! : this.ctx.And(...rest));
  }

  or(...cs: AnyCond[]): Cond {
    const rest: B[] = [];
    for (const c of cs) {
      if (c === true) return true;
      if (c !== false) rest.push(this.bool(c));
    }
    if (rest.length === 0) return false;
    return condTerm(rest.length === 1 ? rest[0]! : this.ctx.Or(...rest));
  }

  implies(a: AnyCond, b: AnyCond): Cond {
    return this.or(this.not(a), b);
  }

  // ---------------------------------------------------------------------------------------------------
  // Values

  ite(c: AnyCond, a: AnyVal, b: AnyVal): Val {
    if (c === true) return a as Val;
    if (c === false) return b as Val;
    if (typeof a === 'number' && typeof b === 'number' && a === b) return a;
    if (typeof a !== 'number' && typeof b !== 'number' && this.ctx.eqIdentity(this.bv(a), this.bv(b))) return a as Val;
    return term(this.ctx.If(this.bool(c), this.bv(a), this.bv(b)) as BV);
  }

  iteCond(c: AnyCond, a: AnyCond, b: AnyCond): Cond {
    if (c === true) return a as Cond;
    if (c === false) return b as Cond;
    if (a === b) return a as Cond;
    return condTerm(this.ctx.If(this.bool(c), this.bool(a), this.bool(b)) as B);
  }

  eq(a: AnyVal, b: AnyVal): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return condTerm(this.bv(a).eq(this.bv(b)));
  }

  ne(a: AnyVal, b: AnyVal): Cond {
    return this.not(this.eq(a, b));
  }

  slt(a: AnyVal, b: AnyVal): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return condTerm(this.bv(a).slt(this.bv(b)));
  }
  sle(a: AnyVal, b: AnyVal): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return condTerm(this.bv(a).sle(this.bv(b)));
  }

  ult(a: AnyVal, b: AnyVal): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a < b;
    return condTerm(this.bv(a).ult(this.bv(b)));
  }
  ule(a: AnyVal, b: AnyVal): Cond {
    if (typeof a === 'number' && typeof b === 'number') return a <= b;
    return condTerm(this.bv(a).ule(this.bv(b)));
  }

  add(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (b === 0) return a as Val;
    if (a === 0) return b as Val;
    return term(this.bv(a).add(this.bv(b)));
  }
  sub(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (b === 0) return a as Val;
    return term(this.bv(a).sub(this.bv(b)));
  }
  mul(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return a * b;
    return term(this.bv(a).mul(this.bv(b)));
  }
  neg(a: AnyVal): Val {
    return typeof a === 'number' ? -a : term(this.bv(a).neg());
  }
  sdiv(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : Math.trunc(a / b);
    return term(this.bv(a).sdiv(this.bv(b)));
  }
  srem(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return b === 0 ? 0 : a % b;
    return term(this.bv(a).srem(this.bv(b)));
  }

  // ---------------------------------------------------------------------------------------------------
  // Bits and fields (masks of lines and waiters, frame words)

  bit(mask: AnyVal, i: number): Cond {
    if (typeof mask === 'number') return (mask & (1 << i)) !== 0;
    return condTerm(this.ctx.Extract(i, i, this.bv(mask)).eq(this.ctx.BitVec.val(1, 1)));
  }

  or32(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a | b) >>> 0;
    if (b === 0) return a as Val;
    return term(this.bv(a).or(this.bv(b)));
  }

  and32(a: AnyVal, b: AnyVal): Val {
    if (typeof a === 'number' && typeof b === 'number') return (a & b) >>> 0;
    if (a === 0 || b === 0) return 0;
    return term(this.bv(a).and(this.bv(b)));
  }

  clearBit(mask: AnyVal, i: number): Val {
    return this.and32(mask, ~(1 << i) >>> 0);
  }

  field(word: AnyVal, f: BitField): Val {
    if (typeof word === 'number') return (word >>> f.shift) & (2 ** f.bits - 1);
    return term(this.ctx.Extract(f.shift + f.bits - 1, f.shift, this.bv(word)).zeroExt(this.width - f.bits));
  }

  place(value: AnyVal, f: BitField): Val {
    const low = this.truncate(value, f.bits);
    if (typeof low === 'number') return (low * 2 ** f.shift) >>> 0;
    return f.shift === 0 ? low : term(this.bv(low).shl(this.bv(f.shift)));
  }

  lookup(index: AnyVal, table: readonly number[]): Val {
    if (typeof index === 'number') return table[index] ?? index;
    let out = index as Val;
    table.forEach((to, from) => {
      if (to !== from) out = this.ite(this.eq(index, from), to, out);
    });
    return out;
  }

  /** A slot's stored bits, widened: values are read through this so reads never see bits beyond the slot. */
  truncate(v: AnyVal, bits: number): Val {
    if (bits >= this.width) return v as Val;
    if (typeof v === 'number') return v & (2 ** bits - 1);
    return term(this.ctx.Extract(bits - 1, 0, this.bv(v)).zeroExt(this.width - bits));
  }
}
