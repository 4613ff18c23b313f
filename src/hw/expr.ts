// Expressions over the machine state, in any instantiation. Values are plain integers: ints are their value,
// bools 0/1, enums the member index, threads the thread id (`none` = number of threads), CPUs the CPU id. Stored
// codes differ only for ints (value - min). Errors a kernel would hit at run time (division by zero, an index
// out of bounds, a value out of its range) are `assertions` faults.

import type { Expr, Instance, LValue, QueueRef, ValueType } from '../ir/ir.js';
import type { RunQueueSlots, Slot } from '../ir/layout.js';
import { unreachable } from '../ir/unreachable.js';
import { valueRange } from '../ir/range.js';
import type { Access } from './access.js';
import { num, type Cond, type Val } from './domain.js';
import type { Machine } from './machine.js';
import { ConcreteState, type State } from './state.js';
import { fromUser } from './privilege.js';

/** The executing CPU, or -1 where there is none (invariants). */
export type Cpu = number;

/** A condition as a value (0/1). */
function asValue(a: Access, c: Cond): Val {
  return typeof c === 'boolean' ? (c ? 1 : 0) : a.ops.ite(c, 1, 0);
}

/** True when `v` is a truth value (non-zero). */
export function truth(a: Access, v: Val): Cond {
  return a.ops.ne(v, 0);
}

function noCpu(s: State, cpu: Cpu, what: string): boolean {
  s.fault('assertions', cpu < 0, () => `${what} has no meaning outside code run by a CPU`);
  return cpu < 0;
}

function inRange(a: Access, i: Val, count: number): Cond {
  return a.ops.and(a.ops.sle(0, i), a.ops.slt(i, count));
}

function instanceIndex(a: Access, s: State, cpu: Cpu, varId: number, instance: Instance): Val {
  const decl = a.m.program.vars[varId]!;
  switch (instance.kind) {
    case 'global':
      return 0;
    case 'this':
      if (noCpu(s, cpu, decl.name)) return 0;
      return decl.scope === 'percpu' ? cpu : a.current(s, cpu);
    case 'of': {
      const which = evaluate(a, s, cpu, instance.which);
      s.fault(
        'assertions',
        a.ops.not(inRange(a, which, a.layout.vars[varId]!.length)),
        () => `${decl.name} @ ${num(which)}: no such ${decl.scope === 'percpu' ? 'CPU' : 'thread'}`,
      );
      return which;
    }
    default:
      return unreachable(instance);
  }
}

function elementIndex(a: Access, s: State, cpu: Cpu, varId: number, index: Expr | null): Val {
  if (index === null) return 0;
  const decl = a.m.program.vars[varId]!;
  const i = evaluate(a, s, cpu, index);
  const length = decl.length ?? 1;
  s.fault('assertions', a.ops.not(inRange(a, i, length)), () => `index out of bounds: ${decl.name}[${num(i)}] (length ${length})`);
  return i;
}

/** Every (instance, element) slot of a variable the indices may select, with the condition that they do. */
function slotCases(a: Access, varId: number, inst: Val, elem: Val): { when: Cond; slot: Slot }[] {
  const slots = a.layout.vars[varId]!;
  if (typeof inst === 'number' && typeof elem === 'number') {
    const slot = slots[inst]?.[elem];
    return slot === undefined ? [] : [{ when: true, slot }];
  }
  const out: { when: Cond; slot: Slot }[] = [];
  slots.forEach((elements, i) =>
    elements.forEach((slot, e) => {
      const when = a.ops.and(a.ops.eq(inst, i), a.ops.eq(elem, e));
      if (when !== false) out.push({ when, slot });
    }),
  );
  return out;
}

function codeToVal(a: Access, type: ValueType, code: Val): Val {
  return type.kind === 'int' ? a.ops.add(code, type.min) : code;
}

/**
 * A local's stored code in the running activation: the instance at the activation's level of the stack the CPU
 * runs on (its current thread's, or a handler stack).
 */
/**
 * A local is read or written where its body has an instance: the level of the activation running on the stack the
 * CPU runs on is one its body runs at there (docs/semantics.md 4.2a). Anywhere else the code's frame is not on
 * that stack (code that moved its stack pointer onto another thread's stack, an activation no rule began): a fatal
 * stack-integrity violation, never a value read from nowhere.
 */
function checkLocalLevel(a: Access, s: State, cpu: number, varId: number): void {
  const o = a.ops;
  for (const { when, stack } of a.currentStack(s, cpu)) {
    const local = stack.locals[varId] ?? null;
    const level = a.activation(s, stack);
    const outside: Cond = local === null ? true : o.or(o.ult(level, local.from), o.ult(local.from + local.slots.length - 1, level));
    s.fault('stack-integrity', o.and(when, outside), ({ m }) => {
      const v = m.program.vars[varId]!;
      return `local ${m.program.units[v.unit!]!.name}.${v.name} has no activation at level ${num(level)} of ${m.stackName(stack)}: the code's frame is not on the stack it runs on`;
    });
  }
}

function readLocal(a: Access, s: State, cpu: Cpu, varId: number): Val {
  if (noCpu(s, cpu, a.m.program.vars[varId]!.name)) return 0;
  checkLocalLevel(a, s, cpu as number, varId);
  return s.select(
    a.currentStack(s, cpu).map(({ when, stack }) => ({
      when,
      then: () => {
        const { slots, index } = a.localAt(s, varId, stack);
        return s.readAt(slots, index);
      },
    })),
    0,
  );
}

function writeLocal(a: Access, s: State, cpu: Cpu, varId: number, code: Val): void {
  if (noCpu(s, cpu, a.m.program.vars[varId]!.name)) return;
  checkLocalLevel(a, s, cpu as number, varId);
  for (const { when, stack } of a.currentStack(s, cpu)) {
    s.when(when, () => {
      const { slots, index } = a.localAt(s, varId, stack);
      s.writeAt(slots, index, code);
    });
  }
}

export function evaluate(a: Access, s: State, cpu: Cpu, e: Expr): Val {
  const o = a.ops;
  switch (e.kind) {
    case 'const':
      // Constants hold their value (an int's own value, not value - min): the front end folds them so.
      return e.value;
    case 'var': {
      const decl = a.m.program.vars[e.var]!;
      if (decl.scope === 'local') return codeToVal(a, decl.type, readLocal(a, s, cpu, e.var));
      const inst = instanceIndex(a, s, cpu, e.var, e.instance);
      const elem = elementIndex(a, s, cpu, e.var, e.index);
      let code: Val = 0;
      for (const { when, slot } of slotCases(a, e.var, inst, elem)) code = o.ite(when, s.read(slot), code);
      return decl.type.kind === 'int' ? o.add(code, decl.type.min) : code;
    }
    case 'unary': {
      const v = evaluate(a, s, cpu, e.operand);
      return e.op === '!' ? asValue(a, o.eq(v, 0)) : o.neg(v);
    }
    case 'binary':
      return binary(a, s, cpu, e);
    case 'current':
      if (noCpu(s, cpu, e.kind)) return a.none;
      return a.current(s, cpu);
    case 'self':
      // Thread bodies run only on their own thread's stack, so the instance executing one is the thread whose stack
      // the CPU is on: the current thread, unless a split switch has moved `current` on its own (`current := t`).
      if (noCpu(s, cpu, e.kind)) return a.none;
      return a.stackOwner(s, cpu);
    case 'cpu':
      if (noCpu(s, cpu, 'cpu')) return 0;
      return cpu;
    case 'thread_state': {
      const t = evaluate(a, s, cpu, e.thread);
      s.fault('assertions', o.eq(t, a.none), () => 'state(none): none is not a thread');
      return a.threadState(s, t);
    }
    case 'holder': {
      let owner: Val = 0;
      if (e.index === undefined) owner = a.lockOwner(s, e.lock);
      else {
        const { expr, count } = e.index;
        const i = evaluate(a, s, cpu, expr);
        const array = a.m.program.locks[e.lock]!.array?.name ?? '';
        s.fault('assertions', o.not(inRange(a, i, count)), () => `index out of bounds: ${array}[${num(i)}] (length ${count})`);
        for (let k = 0; k < count; k++) owner = o.ite(o.eq(i, k), a.lockOwner(s, e.lock + k), owner);
      }
      return o.ite(o.eq(owner, 0), a.none, o.sub(owner, 1));
    }
    case 'rq_len': {
      let len: Val = 0;
      for (const { when, q } of queueOf(a, s, cpu, e.queue)) len = o.ite(when, a.rqLen(s, q), len);
      return len;
    }
    case 'wq_len':
      return s.read(a.layout.waitQueues[e.wq]!.len);
    case 'line_state': {
      if (noCpu(s, cpu, e.what)) return 0;
      const mask = e.what === 'pending' ? a.pending(s, cpu) : a.inService(s, cpu);
      return a.ops.ite(a.ops.bit(mask, e.line), 1, 0);
    }
    case 'cpu_state':
      if (noCpu(s, cpu, e.what)) return 0;
      if (e.what === 'irqs_enabled') return a.ops.ite(a.irqsOn(s, cpu), 1, 0);
      if (e.what === 'hardirq_count') return a.hardirq(s, cpu);
      if (e.what === 'softirq_count') return a.softirqCount(s, a.current(s, cpu));
      if (e.what === 'from_user') return a.ops.ite(fromUser(a, s, cpu), 1, 0);
      if (e.what === 'pmr') return a.pmr(s, cpu);
      return a.preemptCount(s, a.current(s, cpu));
    case 'thread_of': {
      const i = evaluate(a, s, cpu, e.index);
      s.fault('assertions', o.not(inRange(a, i, e.count)), () => `index out of bounds: ${e.group}[${num(i)}] (length ${e.count})`);
      return o.add(i, e.first);
    }
    default:
      return unreachable(e);
  }
}

function binary(a: Access, s: State, cpu: Cpu, e: Extract<Expr, { kind: 'binary' }>): Val {
  const o = a.ops;
  // && and || do not evaluate their right side when the left decides, so a guard protects what it guards.
  if (e.op === '&&' || e.op === '||') {
    const left = truth(a, evaluate(a, s, cpu, e.left));
    let right: Cond = false;
    s.when(e.op === '&&' ? left : o.not(left), () => (right = truth(a, evaluate(a, s, cpu, e.right))));
    return asValue(a, e.op === '&&' ? o.and(left, right) : o.or(left, right));
  }
  const x = evaluate(a, s, cpu, e.left);
  const y = evaluate(a, s, cpu, e.right);
  switch (e.op) {
    case '+':
      return o.add(x, y);
    case '-':
      return o.sub(x, y);
    case '*':
      return o.mul(x, y);
    case '/':
      s.fault('assertions', o.eq(y, 0), () => 'division by zero');
      return o.sdiv(x, y);
    case '%':
      s.fault('assertions', o.eq(y, 0), () => 'division by zero');
      return o.srem(x, y);
    case '==':
      return asValue(a, o.eq(x, y));
    case '!=':
      return asValue(a, o.ne(x, y));
    case '<':
      return asValue(a, o.slt(x, y));
    case '<=':
      return asValue(a, o.sle(x, y));
    case '>':
      return asValue(a, o.slt(y, x));
    case '>=':
      return asValue(a, o.sle(y, x));
    // The operands are non-negative and below 2^31 (the front end refuses others, E411), where the 32-bit mask
    // operations are exact; `^` is `|` less `&`, a shift a product or a quotient by a power of two.
    case '&':
      return o.and32(x, y);
    case '|':
      return o.or32(x, y);
    case '^':
      return o.sub(o.or32(x, y), o.and32(x, y));
    case '<<':
    case '>>':
      return shift(a, e.op, x, y, e.left.type, e.right.type);
    default:
      return unreachable(e.op);
  }
}

/**
 * `x << y` or `x >> y`, y within `amount` (0..30): by a constant, one product or quotient; else one per amount. A
 * right shift past every bit `x` can have is 0, not a quotient by a power of two wider than the values (which a
 * bit-vector encoding as wide as the expressions would wrap).
 */
function shift(a: Access, op: '<<' | '>>', x: Val, y: Val, value: ValueType, amount: ValueType): Val {
  const o = a.ops;
  const xMax = value.kind === 'int' ? value.max : 1;
  const by = (k: number): Val => (op === '<<' ? o.mul(x, 2 ** k) : 2 ** k > xMax ? 0 : o.sdiv(x, 2 ** k));
  if (typeof y === 'number') return by(y);
  const [lo, hi] = amount.kind === 'int' ? [amount.min, amount.max] : [0, 0];
  let v = by(lo);
  for (let k = lo + 1; k <= hi; k++) v = o.ite(o.eq(y, k), by(k), v);
  return v;
}

/**
 * The run queue an instruction or `rq_len` names, with the condition that it does: the default run queue of the
 * executing CPU (Access.defaultQueue), a declared one, or the element of a run-queue array its index selects; an
 * index out of range is an assertions fault, as for a variable.
 */
export function queueOf(a: Access, s: State, cpu: Cpu, ref: QueueRef | undefined): { when: Cond; q: RunQueueSlots }[] {
  if (ref === undefined) return [{ when: true, q: a.defaultQueue(Math.max(cpu, 0)) }];
  const queues = a.layout.runQueues;
  if (ref.index === undefined) return [{ when: true, q: queues[ref.queue]! }];
  const { expr, count } = ref.index;
  const i = evaluate(a, s, cpu, expr);
  const array = a.m.program.runQueues?.[ref.queue]?.array?.name ?? '';
  s.fault('assertions', a.ops.not(inRange(a, i, count)), () => `index out of bounds: ${array}[${num(i)}] (length ${count})`);
  if (typeof i === 'number') return i >= 0 && i < count ? [{ when: true, q: queues[ref.queue + i]! }] : [];
  return Array.from({ length: count }, (_, k) => ({ when: a.ops.eq(i, k), q: queues[ref.queue + k]! }));
}

export function assign(a: Access, s: State, cpu: Cpu, target: LValue, value: Val): void {
  storeAt(a, s, cpu, target, value, () => locate(a, s, cpu, target));
}

/** Where a store to `target` goes, its index and instance read now: its slots under their conditions (none: a local). */
export function locate(a: Access, s: State, cpu: Cpu, target: LValue): { when: Cond; slot: Slot }[] | null {
  if (a.m.program.vars[target.var]!.scope === 'local') return null;
  const inst = instanceIndex(a, s, cpu, target.var, target.instance);
  const elem = elementIndex(a, s, cpu, target.var, target.index);
  return slotCases(a, target.var, inst, elem);
}

/** Stores `value` in `target` at the place `where` gives (out of the type's range: a fault first). */
export function storeAt(a: Access, s: State, cpu: Cpu, target: LValue, value: Val, where: () => { when: Cond; slot: Slot }[] | null): void {
  const o = a.ops;
  const decl = a.m.program.vars[target.var]!;
  const [lo, hi] = valueRange(a, decl.type);
  s.fault('assertions', o.not(o.and(o.sle(lo, value), o.sle(value, hi))), () => {
    const range = decl.type.kind === 'int' ? `${lo}..${hi}` : decl.type.kind;
    return `value out of range: ${decl.name} := ${num(value)} (type ${range})`;
  });
  const code = decl.type.kind === 'int' ? o.sub(value, decl.type.min) : value;
  const slots = where();
  if (slots === null) {
    writeLocal(a, s, cpu, target.var, code);
    return;
  }
  for (const { when, slot } of slots) s.when(when, () => s.write(slot, code));
}

/**
 * An expression's value in a packed state, for readers outside a step (views, conformance): the concrete
 * instantiation. A run-time error throws its Fault.
 */
export function evaluateIn(m: Machine, s: Uint32Array, cpu: Cpu, e: Expr): number {
  return num(evaluate(m.access, new ConcreteState(m, s, cpu < 0 ? null : cpu, []), cpu, e));
}
