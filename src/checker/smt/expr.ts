// The width of the SMT encoding: the type checker bounds every expression's values (src/ir/range.ts), so the
// widest bound gives a bit-vector width in which the arithmetic of the rules (src/hw/expr.ts) is exact.

import type { Program } from '../../ir/ir.js';
import { expressionBounds } from '../../ir/range.js';

export class UnsupportedModel extends Error {}

const LIMIT = 2 ** 30;

/**
 * Bits of two's complement in which every expression value of the program is exact (with one bit to spare
 * for the ranges checked at assignment); refuses a model whose values could exceed 2^30.
 */
export function expressionBits(p: Program): number {
  const [lo, hi] = expressionBounds(p);
  if (lo < -LIMIT || hi > LIMIT) throw new UnsupportedModel('expression values exceed the range of the SMT encoding (2^30)');
  const magnitude = Math.max(-lo, hi);
  let bits = 1;
  while (2 ** bits <= magnitude) bits++;
  return bits + 2;
}
