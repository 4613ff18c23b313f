// Generating JavaScript from the validated IR. The only things that ever enter generated source are integers
// taken from the IR and its layout (checked by `lit`), the fixed text of this compiler, and names of locals it
// chooses itself: no identifier, string or message from a model is ever part of the code. Expressions compile
// to JS expressions over the state array `n`; a run-time error a kernel would hit (division by zero, an index
// out of bounds) sets the local `F`, and the step that sees F set hands the transition back to the reference
// model, which reports it exactly.

import { valueRange } from '../../hw/expr.js';
import type { Expr, Instance, ValueType } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import { unreachable } from '../../lang/unreachable.js';
import type { Geometry } from './geometry.js';

/** An integer, as source text. Anything else is a compiler bug and stops compilation. */
export function lit(x: number): string {
  if (!Number.isSafeInteger(x)) throw new Error(`internal: not an integer in generated code: ${String(x)}`);
  return x < 0 ? `(${x})` : String(x);
}

/** Reading a slot whose position is known when compiling. */
export function readSlotCode(slot: Slot, arr = 'n'): string {
  if (slot.bits === 32) return `${arr}[${lit(slot.word)}]`;
  const mask = 2 ** slot.bits - 1;
  return slot.shift === 0 ? `(${arr}[${lit(slot.word)}] & ${lit(mask)})` : `((${arr}[${lit(slot.word)}] >>> ${lit(slot.shift)}) & ${lit(mask)})`;
}

/** Writing a slot whose position is known when compiling (`value` is a JS expression). */
export function writeSlotCode(slot: Slot, value: string, arr = 'n'): string {
  const w = lit(slot.word);
  if (slot.bits === 32) return `${arr}[${w}] = ${value};`;
  const mask = 2 ** slot.bits - 1;
  const clear = ~(mask * 2 ** slot.shift) | 0;
  // A constant is placed in its field here, which keeps the generated functions small for the JIT.
  const constant = /^\(?(-?\d+)\)?$/.exec(value);
  if (constant !== null) {
    const placed = ((Number(constant[1]) & mask) << slot.shift) | 0;
    return placed === 0 ? `${arr}[${w}] &= ${lit(clear)};` : `${arr}[${w}] = (${arr}[${w}] & ${lit(clear)}) | ${lit(placed)};`;
  }
  return `${arr}[${w}] = (${arr}[${w}] & ${lit(clear)}) | (((${value}) & ${lit(mask)}) << ${lit(slot.shift)});`;
}

/** Fresh local names for one generated function. */
export class Locals {
  private n = 0;
  readonly declared: string[] = [];
  fresh(): string {
    const name = `t${this.n++}`;
    this.declared.push(name);
    return name;
  }
  declaration(): string {
    return this.declared.length === 0 ? '' : `let ${this.declared.join(', ')};`;
  }
}

/** What the expression compiler needs: the layout tables, the executing CPU (-1 in invariants) and locals. */
export interface ExprContext {
  g: Geometry;
  cpu: number;
  locals: Locals;
}

const FAULT = '(F = 1, 0)';

export function typeRange(g: Geometry, type: ValueType): [number, number] {
  return valueRange(g, type);
}

/** The executing CPU's current thread, as code; a fault outside CPU code (invariants). */
function currentCode(x: ExprContext): string {
  if (x.cpu < 0) return FAULT;
  return readSlotCode(x.g.layout.cpus[x.cpu]!.current);
}

/**
 * The instance index of a variable access, as code, or a constant. Per-thread `this` is the current thread,
 * which is `none` only on a CPU that never had a thread: the caller sends that to the reference model.
 */
function instanceCode(x: ExprContext, varId: number, instance: Instance): string {
  const decl = x.g.program.vars[varId]!;
  switch (instance.kind) {
    case 'global':
      return '0';
    case 'this':
      if (x.cpu < 0) return FAULT;
      return decl.scope === 'percpu' ? lit(x.cpu) : `(${currentCode(x)} < ${lit(x.g.threads)} ? ${currentCode(x)} : ${FAULT})`;
    case 'of': {
      const t = x.locals.fresh();
      const count = x.g.varInstances[varId]!;
      return `(${t} = ${expr(x, instance.which)}, ${t} < 0 || ${t} >= ${lit(count)} ? ${FAULT} : ${t})`;
    }
    default:
      return unreachable(instance);
  }
}

function elementCode(x: ExprContext, varId: number, index: Expr | null): string {
  if (index === null) return '0';
  const length = x.g.program.vars[varId]!.length ?? 1;
  const t = x.locals.fresh();
  return `(${t} = ${expr(x, index)}, ${t} < 0 || ${t} >= ${lit(length)} ? ${FAULT} : ${t})`;
}

/** The slot index (into the geometry's tables) of a variable access, as code. */
export function varSlotIndexCode(x: ExprContext, varId: number, instance: Instance, index: Expr | null): string {
  const base = x.g.varBase[varId]!;
  const elems = x.g.varElems[varId]!;
  const inst = instanceCode(x, varId, instance);
  const elem = elementCode(x, varId, index);
  return `VS[${lit(base)} + ${inst} * ${lit(elems)} + ${elem}]`;
}

/** A constant slot when the access names one element of one instance, else null. */
export function staticVarSlot(x: Pick<ExprContext, 'g' | 'cpu'>, varId: number, instance: Instance, index: Expr | null): Slot | null {
  if (index !== null && index.kind !== 'const') return null;
  const elem = index === null ? 0 : index.value;
  const decl = x.g.program.vars[varId]!;
  if (elem < 0 || elem >= (decl.length ?? 1)) return null;
  let inst: number;
  if (instance.kind === 'global') inst = 0;
  else if (instance.kind === 'this' && decl.scope === 'percpu' && x.cpu >= 0) inst = x.cpu;
  else if (instance.kind === 'of' && instance.which.kind === 'const') inst = instance.which.value;
  else return null;
  if (inst < 0 || inst >= x.g.varInstances[varId]!) return null;
  return x.g.layout.vars[varId]![inst]![elem]!;
}

/** A value expression of the model, as a JS expression yielding the integer value. */
export function expr(x: ExprContext, e: Expr): string {
  switch (e.kind) {
    case 'const':
      return lit(e.value);
    case 'var': {
      const decl = x.g.program.vars[e.var]!;
      const offset = decl.type.kind === 'int' ? decl.type.min : 0;
      const fixed = staticVarSlot(x, e.var, e.instance, e.index);
      const code = fixed !== null ? readSlotCode(fixed) : `rd(n, ${varSlotIndexCode(x, e.var, e.instance, e.index)})`;
      return offset === 0 ? code : `(${code} + ${lit(offset)})`;
    }
    case 'unary': {
      const v = expr(x, e.operand);
      return e.op === '!' ? `(${v} === 0 ? 1 : 0)` : `(-${v})`;
    }
    case 'binary':
      return binary(x, e);
    case 'current':
      return currentCode(x);
    case 'cpu':
      return x.cpu < 0 ? FAULT : lit(x.cpu);
    case 'self':
      return currentCode(x);
    case 'thread_state': {
      const t = x.locals.fresh();
      return `(${t} = ${expr(x, e.thread)}, ${t} >= ${lit(x.g.threads)} ? ${FAULT} : rd(n, TS[${t}]))`;
    }
    case 'holder': {
      const t = x.locals.fresh();
      return `(${t} = rd(n, ${lit(x.g.lockOwner[e.lock]!)}), ${t} === 0 ? ${lit(x.g.threads)} : ${t} - 1)`;
    }
    case 'rq_len':
      return `rd(n, ${lit(x.g.rqLen)})`;
    case 'thread_of': {
      const t = x.locals.fresh();
      return `(${t} = ${expr(x, e.index)}, ${t} < 0 || ${t} >= ${lit(e.count)} ? ${FAULT} : ${lit(e.first)} + ${t})`;
    }
    default:
      return unreachable(e);
  }
}

function binary(x: ExprContext, e: Extract<Expr, { kind: 'binary' }>): string {
  const a = expr(x, e.left);
  const b = expr(x, e.right);
  switch (e.op) {
    case '&&':
      return `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`;
    case '||':
      return `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`;
    case '+':
      return `(${a} + ${b})`;
    case '-':
      return `(${a} - ${b})`;
    case '*':
      return `(${a} * ${b})`;
    case '/':
    case '%': {
      const l = x.locals.fresh();
      const r = x.locals.fresh();
      const op = e.op === '/' ? `Math.trunc(${l} / ${r})` : `(${l} % ${r})`;
      return `(${l} = ${a}, ${r} = ${b}, ${r} === 0 ? ${FAULT} : ${op})`;
    }
    case '==':
      return `(${a} === ${b} ? 1 : 0)`;
    case '!=':
      return `(${a} !== ${b} ? 1 : 0)`;
    case '<':
      return `(${a} < ${b} ? 1 : 0)`;
    case '<=':
      return `(${a} <= ${b} ? 1 : 0)`;
    case '>':
      return `(${a} > ${b} ? 1 : 0)`;
    case '>=':
      return `(${a} >= ${b} ? 1 : 0)`;
    default:
      return unreachable(e.op);
  }
}
