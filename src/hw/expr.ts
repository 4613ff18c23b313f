// Expressions over a packed state. Values are plain integers: ints are their value, bools 0/1, enums the member
// index, threads the thread id (`none` = number of threads), CPUs the CPU id. Stored codes differ only for ints
// (value - min). Errors a kernel would hit at run time (division by zero, an index out of bounds, a value out
// of its range) throw an `assertions` Fault.

import type { Expr, Instance, LValue, ValueType } from '../ir/ir.js';
import { THREAD_STATES } from '../ir/ir.js';
import { unreachable } from '../lang/unreachable.js';
import { Fault } from './fault.js';
import type { Machine } from './machine.js';

/** The executing CPU, or -1 where there is none (invariants). */
export type Cpu = number;

export function codeToValue(type: ValueType, code: number): number {
  return type.kind === 'int' ? code + type.min : code;
}

/** The values a variable of `type` may hold, given the machine's thread and CPU counts (every engine's rule). */
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

/** How a value of a type is written in the model language (`true`, `idle`, `worker[1]`, `none`, `3`). */
export function showValue(m: Machine, type: ValueType, value: number): string {
  switch (type.kind) {
    case 'bool':
      return value === 0 ? 'false' : 'true';
    case 'int':
      return String(value);
    case 'enum':
      return type.members[value] ?? String(value);
    case 'thread':
      return value === m.none ? 'none' : (m.program.threads[value]?.name ?? String(value));
    case 'cpu':
      return String(value);
  }
}

function needCpu(cpu: Cpu, what: string): number {
  if (cpu < 0) throw new Fault('assertions', `${what} has no meaning outside code run by a CPU`);
  return cpu;
}

function instanceIndex(m: Machine, s: Uint32Array, cpu: Cpu, varId: number, instance: Instance): number {
  const decl = m.program.vars[varId]!;
  switch (instance.kind) {
    case 'global':
      return 0;
    case 'this':
      return decl.scope === 'percpu' ? needCpu(cpu, `${decl.name}`) : m.current(s, needCpu(cpu, decl.name));
    case 'of': {
      const which = evaluate(m, s, cpu, instance.which);
      const count = m.layout.vars[varId]!.length;
      if (which < 0 || which >= count) {
        throw new Fault('assertions', `${decl.name} @ ${which}: no such ${decl.scope === 'percpu' ? 'CPU' : 'thread'}`);
      }
      return which;
    }
    default:
      return unreachable(instance);
  }
}

function elementIndex(m: Machine, s: Uint32Array, cpu: Cpu, varId: number, index: Expr | null): number {
  if (index === null) return 0;
  const decl = m.program.vars[varId]!;
  const i = evaluate(m, s, cpu, index);
  if (i < 0 || i >= (decl.length ?? 1)) {
    throw new Fault('assertions', `index out of bounds: ${decl.name}[${i}] (length ${decl.length ?? 1})`);
  }
  return i;
}

export function evaluate(m: Machine, s: Uint32Array, cpu: Cpu, e: Expr): number {
  switch (e.kind) {
    case 'const':
      // Constants hold their value (an int's own value, not value - min): the front end folds them so.
      return e.value;
    case 'var': {
      const decl = m.program.vars[e.var]!;
      const inst = instanceIndex(m, s, cpu, e.var, e.instance);
      const elem = elementIndex(m, s, cpu, e.var, e.index);
      return codeToValue(decl.type, m.read(s, m.layout.vars[e.var]![inst]![elem]!));
    }
    case 'unary': {
      const v = evaluate(m, s, cpu, e.operand);
      return e.op === '!' ? (v === 0 ? 1 : 0) : -v;
    }
    case 'binary':
      return binary(m, s, cpu, e);
    case 'current':
      return m.current(s, needCpu(cpu, 'current'));
    case 'cpu':
      return needCpu(cpu, 'cpu');
    case 'self':
      // Thread bodies run only as their own thread, so the instance executing one is the current thread.
      return m.current(s, needCpu(cpu, 'self'));
    case 'thread_state': {
      const t = evaluate(m, s, cpu, e.thread);
      if (t === m.none) throw new Fault('assertions', 'state(none): none is not a thread');
      return THREAD_STATES.indexOf(m.threadState(s, t));
    }
    case 'holder': {
      const owner = m.lockOwner(s, e.lock);
      return owner === 0 ? m.none : owner - 1;
    }
    case 'rq_len':
      return m.runQueue(s).length;
    case 'thread_of': {
      const i = evaluate(m, s, cpu, e.index);
      if (i < 0 || i >= e.count) throw new Fault('assertions', `index out of bounds: ${e.group}[${i}] (length ${e.count})`);
      return e.first + i;
    }
    default:
      return unreachable(e);
  }
}

function binary(m: Machine, s: Uint32Array, cpu: Cpu, e: Extract<Expr, { kind: 'binary' }>): number {
  // && and || do not evaluate their right side when the left decides, so a guard protects what it guards.
  if (e.op === '&&') return evaluate(m, s, cpu, e.left) !== 0 && evaluate(m, s, cpu, e.right) !== 0 ? 1 : 0;
  if (e.op === '||') return evaluate(m, s, cpu, e.left) !== 0 || evaluate(m, s, cpu, e.right) !== 0 ? 1 : 0;
  const a = evaluate(m, s, cpu, e.left);
  const b = evaluate(m, s, cpu, e.right);
  switch (e.op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0) throw new Fault('assertions', 'division by zero');
      return Math.trunc(a / b);
    case '%':
      if (b === 0) throw new Fault('assertions', 'division by zero');
      return a % b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    default:
      return unreachable(e.op);
  }
}

export function assign(m: Machine, s: Uint32Array, cpu: Cpu, target: LValue, value: number): void {
  const decl = m.program.vars[target.var]!;
  const [lo, hi] = valueRange(m, decl.type);
  if (value < lo || value > hi) {
    const range = decl.type.kind === 'int' ? `${lo}..${hi}` : decl.type.kind;
    throw new Fault('assertions', `value out of range: ${decl.name} := ${value} (type ${range})`);
  }
  const inst = instanceIndex(m, s, cpu, target.var, target.instance);
  const elem = elementIndex(m, s, cpu, target.var, target.index);
  m.write(s, m.layout.vars[target.var]![inst]![elem]!, decl.type.kind === 'int' ? value - decl.type.min : value);
}
