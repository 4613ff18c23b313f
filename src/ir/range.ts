// The values an expression can take. The type checker bounds every integer expression exactly, operators
// included (its interval arithmetic refuses with E409 what could leave the exactly computed integers), and
// records the bound in the expression's type; every other type's values follow from the machine's thread and
// CPU counts. The engines read these bounds to size their arithmetic (the SMT encoding's bit-vector width, the
// compiled code's i32) instead of working them out again.

import type { Expr, LValue, Program, ValueType } from './ir.js';

/** The values a variable or expression of `type` may hold, given the machine's thread and CPU counts. */
export function valueRange(m: { threads: number; cpus: number }, type: ValueType): [number, number] {
  switch (type.kind) {
    case 'bool':
      return [0, 1];
    case 'int':
      return [type.min, type.max];
    case 'enum':
      return [0, type.members.length - 1];
    case 'thread':
      return [0, m.threads];
    case 'cpu':
      return [0, m.cpus - 1];
  }
}

/** Every expression of the program, each of its sub-expressions included, invariants and lvalue indexes too. */
export function everyExpression(p: Program, visit: (e: Expr) => void): void {
  const walk = (e: Expr): void => {
    visit(e);
    switch (e.kind) {
      case 'unary':
        return walk(e.operand);
      case 'binary':
        walk(e.left);
        return walk(e.right);
      case 'var':
        if (e.index !== null) walk(e.index);
        if (e.instance.kind === 'of') walk(e.instance.which);
        return;
      case 'thread_state':
        return walk(e.thread);
      case 'thread_of':
        return walk(e.index);
      default:
        return;
    }
  };
  const lvalue = (t: LValue): void => {
    if (t.index !== null) walk(t.index);
    if (t.instance.kind === 'of') walk(t.instance.which);
  };
  for (const inv of p.invariants) walk(inv.cond);
  for (const t of p.threads) if (t.waitsFor !== undefined) walk(t.waitsFor);
  for (const unit of p.units) {
    for (const instr of unit.code) {
      for (const [field, value] of Object.entries(instr)) {
        if (field === 'target' && typeof value === 'object' && value !== null) lvalue(value as LValue);
        else if (value !== null && typeof value === 'object' && 'kind' in value && 'type' in value) walk(value as Expr);
      }
    }
  }
}

/** The widest interval any expression of the program can take: [least, greatest]. */
export function expressionBounds(p: Program): [number, number] {
  const m = { threads: p.threads.length, cpus: p.cpus };
  let lo = 0;
  let hi = 0;
  everyExpression(p, (e) => {
    const [a, b] = valueRange(m, e.type);
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  });
  return [lo, hi];
}
