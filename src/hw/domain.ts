// The value algebra the machine semantics is written over. Every rule in src/hw/ computes with `Val` and `Cond`
// through an `Ops`, never with JavaScript operators on state, so the same rule runs in every instantiation:
//
//   - concretely (`concrete` below): values are numbers and conditions booleans; this is the reference
//     interpreter that the explicit engine, simulation, replay and conformance use;
//   - symbolically (src/checker/smt/sym.ts): values are Z3 bit-vector terms where the state is unknown and numbers
//     where it is known, so the SMT transition relation is the same rule with every decision that depends only
//     on the instruction folded away;
//   - at bit level (src/checker/smt/aig/bits.ts): values are arrays of and-inverter-graph literals, the same
//     folding, for the AIG that ABC's IC3 reads (`check --pdr`).
//
// A `Term` is opaque here: only the instantiation that made it can look inside.

declare const termBrand: unique symbol;
declare const condBrand: unique symbol;

/** A value not known while the rule runs (a symbolic term of some instantiation). */
export interface Term {
  readonly [termBrand]: 'term';
}
/** A condition not known while the rule runs. */
export interface CondTerm {
  readonly [condBrand]: 'cond';
}

/** A value: known (an exact integer) or a term. */
export type Val = number | Term;
/** A condition: known (a boolean) or a term. */
export type Cond = boolean | CondTerm;

/** Field of a word: the layout's frame fields. */
export interface BitField {
  shift: number;
  bits: number;
}

export interface Ops {
  not(c: Cond): Cond;
  and(...cs: Cond[]): Cond;
  or(...cs: Cond[]): Cond;
  ite(c: Cond, a: Val, b: Val): Val;
  iteCond(c: Cond, a: Cond, b: Cond): Cond;
  eq(a: Val, b: Val): Cond;
  ne(a: Val, b: Val): Cond;
  /** Signed comparisons (expression values). */
  slt(a: Val, b: Val): Cond;
  sle(a: Val, b: Val): Cond;
  /** Unsigned comparisons (machine values: counters, pcs, masks). */
  ult(a: Val, b: Val): Cond;
  ule(a: Val, b: Val): Cond;
  add(a: Val, b: Val): Val;
  sub(a: Val, b: Val): Val;
  mul(a: Val, b: Val): Val;
  neg(a: Val): Val;
  /** Division truncating toward zero (JavaScript Math.trunc(a / b), SMT-LIB bvsdiv); b = 0 gives 0. */
  sdiv(a: Val, b: Val): Val;
  /** Remainder with the sign of the dividend (JavaScript `%`, SMT-LIB bvsrem); b = 0 gives 0. */
  srem(a: Val, b: Val): Val;
  /** Bit `i` of a mask is set. */
  bit(mask: Val, i: number): Cond;
  or32(a: Val, b: Val): Val;
  and32(a: Val, b: Val): Val;
  /** `mask & ~(1 << i)`. */
  clearBit(mask: Val, i: number): Val;
  /** A field of a word, as the layout's readField does. */
  field(word: Val, f: BitField): Val;
  /** `value` placed in field `f` of an otherwise empty word, as writeField(0, f, value) does. */
  place(value: Val, f: BitField): Val;
  /** The low `bits` bits of a value: what a slot of that width stores. */
  truncate(v: Val, bits: number): Val;
  /** `table[index]`, or `index` itself where it is outside the table (pc tables: jump resolution, return points). */
  lookup(index: Val, table: readonly number[]): Val;
}

/** A value the concrete instantiation computed: always a number (a term never enters it). */
export function num(v: Val): number {
  if (typeof v !== 'number') throw new Error('internal: a symbolic value reached a concrete use');
  return v;
}

/** The concrete instantiation: numbers and booleans, nothing else ever enters it. */
export const concrete: Ops = {
  not: (c) => !c,
  and(...cs) {
    for (const c of cs) if (c === false) return false;
    return true;
  },
  or(...cs) {
    for (const c of cs) if (c === true) return true;
    return false;
  },
  ite: (c, a, b) => (c ? a : b),
  iteCond: (c, a, b) => (c ? a : b),
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  slt: (a, b) => (a as number) < (b as number),
  sle: (a, b) => (a as number) <= (b as number),
  ult: (a, b) => (a as number) < (b as number),
  ule: (a, b) => (a as number) <= (b as number),
  add: (a, b) => (a as number) + (b as number),
  sub: (a, b) => (a as number) - (b as number),
  mul: (a, b) => (a as number) * (b as number),
  neg: (a) => -(a as number),
  sdiv: (a, b) => ((b as number) === 0 ? 0 : Math.trunc((a as number) / (b as number))),
  srem: (a, b) => ((b as number) === 0 ? 0 : (a as number) % (b as number)),
  bit: (mask, i) => ((mask as number) & (1 << i)) !== 0,
  or32: (a, b) => ((a as number) | (b as number)) >>> 0,
  and32: (a, b) => ((a as number) & (b as number)) >>> 0,
  clearBit: (mask, i) => ((mask as number) & ~(1 << i)) >>> 0,
  field: (word, f) => ((word as number) >>> f.shift) & (2 ** f.bits - 1),
  place: (value, f) => (((value as number) & (2 ** f.bits - 1)) * 2 ** f.shift) >>> 0,
  truncate: (v, bits) => (bits >= 32 ? (v as number) >>> 0 : (v as number) & (2 ** bits - 1)),
  lookup: (index, table) => table[index as number] ?? index,
};
