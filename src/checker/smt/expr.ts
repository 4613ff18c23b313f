// The width of the SMT encoding: every expression's values are bounded by its variables' types, so a bound
// computed once gives a bit-vector width in which the arithmetic of the rules (src/hw/expr.ts) is exact.

import { STATE_CODE } from '../../hw/access.js';
import type { Expr, LValue, Program } from '../../ir/ir.js';
import { unreachable } from '../../ir/unreachable.js';

export class UnsupportedModel extends Error {}

const LIMIT = 2 ** 30;

type Interval = [number, number];

function exprBound(p: Program, e: Expr): Interval {
  const threads = p.threads.length;
  switch (e.kind) {
    case 'const':
      return [e.value, e.value];
    case 'var': {
      const t = p.vars[e.var]!.type;
      return t.kind === 'int' ? [t.min, t.max] : [0, Math.max(threads, p.cpus, t.kind === 'enum' ? t.members.length : 1)];
    }
    case 'unary': {
      const [lo, hi] = exprBound(p, e.operand);
      return e.op === '!' ? [0, 1] : [-hi, -lo];
    }
    case 'binary': {
      const [a, b] = exprBound(p, e.left);
      const [c, d] = exprBound(p, e.right);
      switch (e.op) {
        case '+':
          return [a + c, b + d];
        case '-':
          return [a - d, b - c];
        case '*': {
          const xs = [a * c, a * d, b * c, b * d];
          return [Math.min(...xs), Math.max(...xs)];
        }
        case '/':
        case '%': {
          const m = Math.max(Math.abs(a), Math.abs(b));
          return [-m, m];
        }
        default:
          return [0, 1];
      }
    }
    case 'current':
    case 'self':
    case 'holder':
    case 'rq_len':
    case 'thread_state':
      return [0, Math.max(threads, STATE_CODE.exited)];
    case 'cpu':
      return [0, p.cpus];
    case 'cpu_state':
      return e.type.kind === 'int' ? [e.type.min, e.type.max] : [0, 1];
    case 'thread_of': {
      const [lo, hi] = exprBound(p, e.index);
      return [Math.min(lo + e.first, 0), Math.max(hi + e.first, threads)];
    }
    default:
      return unreachable(e);
  }
}

function walk(p: Program, e: Expr, widest: { magnitude: number }): void {
  const [lo, hi] = exprBound(p, e);
  if (lo < -LIMIT || hi > LIMIT) throw new UnsupportedModel('expression values exceed the range of the SMT encoding (2^30)');
  widest.magnitude = Math.max(widest.magnitude, Math.abs(lo), Math.abs(hi));
  switch (e.kind) {
    case 'unary':
      walk(p, e.operand, widest);
      return;
    case 'binary':
      walk(p, e.left, widest);
      walk(p, e.right, widest);
      return;
    case 'var':
      if (e.index) walk(p, e.index, widest);
      if (e.instance.kind === 'of') walk(p, e.instance.which, widest);
      return;
    case 'thread_state':
      walk(p, e.thread, widest);
      return;
    case 'thread_of':
      walk(p, e.index, widest);
      return;
    default:
      return;
  }
}

/**
 * Bits of two's complement in which every expression value of the program is exact (with one bit to spare
 * for the ranges checked at assignment); refuses a model whose values could exceed 2^30.
 */
export function expressionBits(p: Program): number {
  const widest = { magnitude: 0 };
  for (const inv of p.invariants) walk(p, inv.cond, widest);
  for (const unit of p.units) {
    for (const instr of unit.code) {
      for (const e of Object.values(instr)) {
        if (e !== null && typeof e === 'object' && 'kind' in e && 'type' in e) walk(p, e as Expr, widest);
      }
      if ('target' in instr && typeof instr.target === 'object') {
        const t = instr.target as LValue;
        if (t.index) walk(p, t.index, widest);
        if (t.instance.kind === 'of') walk(p, t.instance.which, widest);
      }
    }
  }
  let bits = 1;
  while (2 ** bits <= widest.magnitude) bits++;
  return bits + 2;
}
