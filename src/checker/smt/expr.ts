// Expressions over a symbolic state: src/hw/expr.ts rule for rule. Values are plain integers (ints their
// value, bools 0/1, enums the member index, threads the id with none = number of threads), held in two's
// complement wide enough for every value an expression can take (`expressionBits`), so the arithmetic is exact
// as in the explicit engine. Run-time errors are `assertions` Faults.

import { valueRange } from '../../hw/expr.js';
import type { Expr, Instance, LValue, ValueType } from '../../ir/ir.js';
import type { Program } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import { unreachable } from '../../lang/unreachable.js';
import { STATE_CODE, type SymMachine } from './machine.js';
import type { SymState } from './state.js';
import type { Cond, Val } from './sym.js';

/** The executing CPU, or -1 where there is none (invariants). */
export type Cpu = number;

export class UnsupportedModel extends Error {}

function codeToValue(m: SymMachine, type: ValueType, code: Val): Val {
  return type.kind === 'int' ? m.sym.add(code, type.min) : code;
}

/** True when `c` is a truth value to test (non-zero). */
export function truth(m: SymMachine, v: Val): Cond {
  return m.sym.ne(v, 0);
}

function asValue(c: Cond): Val | null {
  return typeof c === 'boolean' ? (c ? 1 : 0) : null;
}

function fromCond(m: SymMachine, c: Cond): Val {
  return asValue(c) ?? m.sym.ite(c, 1, 0);
}

/** An index into `count` instances/elements: the condition it is in range, and the cases it may take. */
function inRange(m: SymMachine, i: Val, count: number): Cond {
  return m.sym.and(m.sym.sle(0, i), m.sym.slt(i, count));
}

function instanceIndex(m: SymMachine, s: SymState, cpu: Cpu, varId: number, instance: Instance): Val {
  const decl = m.m.program.vars[varId]!;
  switch (instance.kind) {
    case 'global':
      return 0;
    case 'this':
      if (cpu < 0) {
        s.fault('assertions');
        return 0;
      }
      return decl.scope === 'percpu' ? cpu : m.current(s, cpu);
    case 'of': {
      const which = evaluate(m, s, cpu, instance.which);
      s.fault('assertions', m.sym.not(inRange(m, which, m.layout.vars[varId]!.length)));
      return which;
    }
    default:
      return unreachable(instance);
  }
}

function elementIndex(m: SymMachine, s: SymState, cpu: Cpu, varId: number, index: Expr | null): Val {
  if (index === null) return 0;
  const decl = m.m.program.vars[varId]!;
  const i = evaluate(m, s, cpu, index);
  s.fault('assertions', m.sym.not(inRange(m, i, decl.length ?? 1)));
  return i;
}

/** Every (instance, element) slot of a variable, with the condition that the indices select it. */
function slotCases(m: SymMachine, varId: number, inst: Val, elem: Val) {
  const out: { when: Cond; slot: Slot }[] = [];
  m.layout.vars[varId]!.forEach((elements, i) =>
    elements.forEach((slot, e) => {
      const when = m.sym.and(m.sym.eq(inst, i), m.sym.eq(elem, e));
      if (when !== false) out.push({ when, slot });
    }),
  );
  return out;
}

export function evaluate(m: SymMachine, s: SymState, cpu: Cpu, e: Expr): Val {
  const sym = m.sym;
  switch (e.kind) {
    case 'const':
      // Constants hold their value (an int's own value, not value - min), as the front end folds them.
      return e.value;
    case 'var': {
      const decl = m.m.program.vars[e.var]!;
      const inst = instanceIndex(m, s, cpu, e.var, e.instance);
      const elem = elementIndex(m, s, cpu, e.var, e.index);
      let code: Val = 0;
      for (const { when, slot } of slotCases(m, e.var, inst, elem)) code = sym.ite(when, s.read(slot), code);
      return codeToValue(m, decl.type, code);
    }
    case 'unary': {
      const v = evaluate(m, s, cpu, e.operand);
      return e.op === '!' ? fromCond(m, sym.eq(v, 0)) : sym.neg(v);
    }
    case 'binary':
      return binary(m, s, cpu, e);
    case 'current':
    case 'self':
      if (cpu < 0) {
        s.fault('assertions');
        return m.none;
      }
      return m.current(s, cpu);
    case 'cpu':
      if (cpu < 0) {
        s.fault('assertions');
        return 0;
      }
      return cpu;
    case 'thread_state': {
      const t = evaluate(m, s, cpu, e.thread);
      s.fault('assertions', sym.eq(t, m.none));
      return m.threadState(s, t);
    }
    case 'holder': {
      const owner = m.lockOwner(s, e.lock);
      return sym.ite(sym.eq(owner, 0), m.none, sym.sub(owner, 1));
    }
    case 'rq_len':
      return m.rqLen(s);
    case 'thread_of': {
      const i = evaluate(m, s, cpu, e.index);
      s.fault('assertions', sym.not(inRange(m, i, e.count)));
      return sym.add(i, e.first);
    }
    default:
      return unreachable(e);
  }
}

function binary(m: SymMachine, s: SymState, cpu: Cpu, e: Extract<Expr, { kind: 'binary' }>): Val {
  const sym = m.sym;
  // && and || do not evaluate their right side when the left decides, so a guard protects what it guards.
  if (e.op === '&&' || e.op === '||') {
    const left = truth(m, evaluate(m, s, cpu, e.left));
    let right: Cond = false;
    s.when(e.op === '&&' ? left : sym.not(left), () => (right = truth(m, evaluate(m, s, cpu, e.right))));
    return fromCond(m, e.op === '&&' ? sym.and(left, right) : sym.or(left, right));
  }
  const a = evaluate(m, s, cpu, e.left);
  const b = evaluate(m, s, cpu, e.right);
  switch (e.op) {
    case '+':
      return sym.add(a, b);
    case '-':
      return sym.sub(a, b);
    case '*':
      return sym.mul(a, b);
    case '/':
      s.fault('assertions', sym.eq(b, 0));
      return sym.sdiv(a, b);
    case '%':
      s.fault('assertions', sym.eq(b, 0));
      return sym.srem(a, b);
    case '==':
      return fromCond(m, sym.eq(a, b));
    case '!=':
      return fromCond(m, sym.ne(a, b));
    case '<':
      return fromCond(m, sym.slt(a, b));
    case '<=':
      return fromCond(m, sym.sle(a, b));
    case '>':
      return fromCond(m, sym.slt(b, a));
    case '>=':
      return fromCond(m, sym.sle(b, a));
    default:
      return unreachable(e.op);
  }
}

export function assign(m: SymMachine, s: SymState, cpu: Cpu, target: LValue, value: Val): void {
  const decl = m.m.program.vars[target.var]!;
  const [lo, hi] = valueRange(m, decl.type);
  s.fault('assertions', m.sym.not(m.sym.and(m.sym.sle(lo, value), m.sym.sle(value, hi))));
  const inst = instanceIndex(m, s, cpu, target.var, target.instance);
  const elem = elementIndex(m, s, cpu, target.var, target.index);
  const code = decl.type.kind === 'int' ? m.sym.sub(value, decl.type.min) : value;
  for (const { when, slot } of slotCases(m, target.var, inst, elem)) s.when(when, () => s.write(slot, code));
}

// ---------------------------------------------------------------------------------------------------------
// Widths: every expression's values are bounded by its variables' types, so a bound computed once gives a
// bit-vector width in which the arithmetic is exact.

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
