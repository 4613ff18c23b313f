// Expression typing: a syntax-tree expression becomes a typed IR expression with every name resolved, and
// constant subexpressions folded. Types must match exactly, except that integer ranges mix freely, and an integer
// constant is accepted where a CPU is expected. Errors are reported once, at the innermost culprit; an
// expression containing an error becomes null and its enclosing expressions stay silent.

import * as A from './ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import { arith, describeBinding, MAX_SHIFT, type Binding, type Scope } from './resolve.js';
import type { SourceSpan } from './source.js';
import { PREEMPT_MAX, THREAD_STATES, type Expr, type Instance, type LockIndex, type LValue, type QueueRef, type ValueType } from '../ir/ir.js';
import { unreachable } from '../ir/unreachable.js';
import { MAX_HARDIRQ } from '../ir/layout.js';

export const BOOL: ValueType = { kind: 'bool' };
export const THREAD: ValueType = { kind: 'thread' };
export const CPU: ValueType = { kind: 'cpu' };
export const THREAD_STATE: ValueType = { kind: 'enum', name: 'ThreadState', members: [...THREAD_STATES] };
const intType = (min: number, max: number): ValueType => ({ kind: 'int', min, max });

export interface VarInfo {
  id: number;
  name: string;
  scope: 'global' | 'percpu' | 'perthread' | 'local';
  type: ValueType;
  /** How the array is indexed, or null for a scalar. */
  indexBy: 'thread' | 'cpu' | 'size' | null;
  length: number | null;
  /** Locals: the statement that declares it. */
  decl?: A.Stmt;
}

/** What expression typing needs to know of the checked declarations. */
export interface Env {
  scope: Scope;
  sink: DiagnosticSink;
  threads: number;
  cpus: number;
  threadIds(decl: Extract<A.Decl, { kind: 'thread' }>): { first: number; count: number };
  /** Null when the variable's own declaration had an error (already reported). */
  varInfo(decl: Extract<A.Decl, { kind: 'var' }>): VarInfo | null;
  lockId(decl: Extract<A.Decl, { kind: 'lock' }>): number;
  /** A lock array's length and index type, or null for a single lock. */
  lockArrayOf(decl: Extract<A.Decl, { kind: 'lock' }>): { count: number; indexBy: 'thread' | 'cpu' | 'size' } | null;
  /** The default run queue is one per CPU (the first declared run queue is `[cpu]`). */
  perCpuDefaultQueue(): boolean;
  /** The machine has a GIC (`controller gic`). */
  hasGic(): boolean;
  /** The id of the interrupt line of that name, if one is declared. */
  lineId(name: string): number | undefined;
  /** Line `id` is an NMI (`irq L line N nmi`). */
  isNmi(id: number): boolean;
  /** A run queue's first id and, for an array, its length and index type; null when its declaration failed. */
  runQueueOf(decl: Extract<A.Decl, { kind: 'runqueue' }>): { first: number; array: { count: number; indexBy: 'thread' | 'cpu' | 'size' } | null } | null;
  waitQueueId(decl: Extract<A.Decl, { kind: 'wq' }>): number;
  enumType(decl: Extract<A.Decl, { kind: 'enum' }>): ValueType;
}

/**
 * Where an expression is: the body of a thread, proc or handler, an invariant, a thread's `waits for` condition
 * (as an invariant, with no executing CPU, but `self` is the thread), or an initial value.
 */
export type Where = 'thread' | 'proc' | 'handler' | 'invariant' | 'waits' | 'const';

/** Where no CPU executes the expression: an invariant, a `waits for` condition. */
function noCpu(where: Where): boolean {
  return where === 'invariant' || where === 'waits';
}

/** How a diagnostic names such a place. */
function place(where: Where): string {
  return where === 'waits' ? "a 'waits for' condition" : 'an invariant';
}

export function typeName(t: ValueType): string {
  switch (t.kind) {
    case 'bool':
    case 'thread':
    case 'cpu':
      return t.kind;
    case 'int':
      return 'int';
    case 'enum':
      return t.name;
  }
}

export function sameType(a: ValueType, b: ValueType): boolean {
  if (a.kind === 'enum' && b.kind === 'enum') return a.name === b.name;
  return a.kind === b.kind;
}

/** The largest value a bitwise operator takes or gives: the engines' bitwise operations are exact below 2^31. */
const MAX_BITWISE = 2 ** 31 - 1;

/** The smallest all-ones number at least `v` (2^bits - 1). */
function ones(v: number): number {
  let m = 0;
  while (m < v) m = m * 2 + 1;
  return m;
}

/**
 * Bounds of a bitwise result (`&`, `|`, `^`, `<<`, `>>`) from its operands' bounds, or why it is refused: the
 * operands are non-negative and below 2^31, a shift amount is in 0..MAX_SHIFT, and a left shift stays below 2^31.
 */
function bitwise(
  op: '&' | '|' | '^' | '<<' | '>>',
  a: { min: number; max: number },
  b: { min: number; max: number },
): { type: ValueType } | { refused: string; side: 'left' | 'right' | 'both' } {
  const operand = (v: { min: number; max: number }, side: 'left' | 'right') =>
    v.min < 0 || v.max > MAX_BITWISE ? { refused: `'${op}' needs operands in 0..${MAX_BITWISE}; this one is in ${v.min}..${v.max}.`, side } : null;
  const bad = operand(a, 'left') ?? (op === '<<' || op === '>>' ? null : operand(b, 'right'));
  if (bad) return bad;
  switch (op) {
    case '&':
      return { type: intType(0, Math.min(a.max, b.max)) };
    case '|':
      return { type: intType(Math.max(a.min, b.min), ones(Math.max(a.max, b.max))) };
    case '^':
      return { type: intType(0, ones(Math.max(a.max, b.max))) };
    default: {
      if (b.min < 0 || b.max > MAX_SHIFT) return { refused: `A shift amount must be in 0..${MAX_SHIFT}; this one is in ${b.min}..${b.max}.`, side: 'right' };
      if (op === '>>') return { type: intType(Math.floor(a.min / 2 ** b.max), Math.floor(a.max / 2 ** b.min)) };
      const hi = a.max * 2 ** b.max;
      if (hi > MAX_BITWISE) return { refused: `'<<' here can reach ${hi}, past ${MAX_BITWISE}; narrow the operands' ranges.`, side: 'both' };
      return { type: intType(a.min * 2 ** b.min, hi) };
    }
  }
}

/**
 * Every value an expression can take, and every intermediate result, must be an integer the engines compute
 * exactly: JavaScript numbers are exact up to 2^53 - 1, so a range that could pass it is refused (E409).
 */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/**
 * Bounds of an arithmetic result, from the bounds of its operands, computed exactly (in BigInt): null when they
 * pass ±MAX_EXACT, with the bound that does.
 */
function interval(
  op: '+' | '-' | '*' | '/' | '%',
  a: { min: number; max: number },
  b: { min: number; max: number },
): { type: ValueType } | { beyond: bigint } {
  const [amin, amax, bmin, bmax] = [a.min, a.max, b.min, b.max].map(BigInt) as [bigint, bigint, bigint, bigint];
  const abs = (v: bigint): bigint => (v < 0n ? -v : v);
  const big = (...vs: bigint[]): [bigint, bigint] => [vs.reduce((x, y) => (y < x ? y : x)), vs.reduce((x, y) => (y > x ? y : x))];
  let lo: bigint;
  let hi: bigint;
  switch (op) {
    case '+':
      [lo, hi] = [amin + bmin, amax + bmax];
      break;
    case '-':
      [lo, hi] = [amin - bmax, amax - bmin];
      break;
    case '*':
      [lo, hi] = big(amin * bmin, amin * bmax, amax * bmin, amax * bmax);
      break;
    case '/': {
      const m = big(abs(amin), abs(amax))[1];
      [lo, hi] = [-m, m];
      break;
    }
    case '%': {
      let m = big(abs(bmin), abs(bmax))[1] - 1n;
      if (m < 0n) m = 0n;
      [lo, hi] = [amin < 0n ? -m : 0n, amax > 0n ? m : 0n];
      break;
    }
  }
  const limit = BigInt(MAX_EXACT);
  if (hi > limit) return { beyond: hi };
  if (lo < -limit) return { beyond: lo };
  return { type: intType(Number(lo) === 0 ? 0 : Number(lo), Number(hi) === 0 ? 0 : Number(hi)) };
}

export class ExprChecker {
  constructor(private readonly env: Env) {}

  /** The locals of the body being checked (`local x : T`), by name; null outside a body. */
  locals: ReadonlyMap<string, VarInfo> | null = null;
  /** Every body's locals: name to the body that declares it (`proc schedule`), for E341. */
  readonly localHomes = new Map<string, string>();

  /** A local of the body being checked, as a variable access; `@` and an index are errors. */
  private local(name: A.Name, index: A.Expr | null, at: A.Expr | null): { lvalue: LValue; type: ValueType } | null {
    const v = this.locals!.get(name.text)!;
    if (index) return this.notArray(name);
    if (at) return this.noAt(name);
    return { lvalue: { var: v.id, index: null, instance: { kind: 'this' } }, type: v.type };
  }

  /** E301 for an unknown name, or E341 when it names a local of another body. */
  private unknown(name: A.Name): null {
    const home = this.localHomes.get(name.text);
    if (home !== undefined) this.sink.error('E341', `'${name.text}' is a local of ${home}: only that body can use it.`, name.span);
    else this.sink.error('E301', `Unknown name '${name.text}'.`, name.span);
    return null;
  }

  private get sink(): DiagnosticSink {
    return this.env.sink;
  }

  private constant(value: number, type: ValueType): Expr {
    return { kind: 'const', value, type };
  }

  /** Reports E403 when `where` is an initial value: the construct needs a running machine. */
  private needsMachine(where: Where, what: string, span: SourceSpan): boolean {
    if (where !== 'const') return false;
    this.sink.error('E403', `Expect a constant expression; ${what} is not constant.`, span);
    return true;
  }

  check(e: A.Expr, where: Where): Expr | null {
    switch (e.kind) {
      case 'int':
        return this.constant(e.value, intType(e.value, e.value));
      case 'bool':
        return this.constant(e.value ? 1 : 0, BOOL);
      case 'none':
        return this.constant(this.env.threads, THREAD);
      case 'current':
      case 'cpu':
      case 'self': {
        if (this.needsMachine(where, `'${e.kind}'`, e.span)) return null;
        if (noCpu(where) && !(e.kind === 'self' && where === 'waits')) {
          this.sink.error('E515', `'${e.kind}' has no meaning in ${place(where)}.`, e.span);
          return null;
        }
        if (e.kind === 'self' && where !== 'thread' && where !== 'waits') {
          this.sink.error('E514', `'self' is only allowed in a thread body.`, e.span);
          return null;
        }
        return { kind: e.kind, type: e.kind === 'cpu' ? CPU : THREAD };
      }
      case 'rq_len':
        if (this.needsMachine(where, "'rq_len'", e.span)) return null;
        if (noCpu(where) && this.env.perCpuDefaultQueue()) {
          this.sink.error('E515', `'rq_len' is this CPU's run queue, which has no meaning in ${place(where)}; name one: 'rq_len(rq[0])'.`, e.span);
          return null;
        }
        return { kind: 'rq_len', type: intType(0, this.env.threads) };
      case 'irqs_enabled':
      case 'preempt_count':
      case 'softirq_count':
      case 'hardirq_count':
      case 'pmr': {
        if (this.needsMachine(where, `'${e.kind}'`, e.span)) return null;
        if (noCpu(where)) {
          this.sink.error('E515', `'${e.kind}' has no meaning in ${place(where)}.`, e.span);
          return null;
        }
        if (e.kind === 'pmr' && !this.env.hasGic()) {
          this.sink.error('E501', "'pmr' reads the GIC's priority mask ICC_PMR_EL1: add 'controller gic' to the machine (aarch64).", e.span);
          return null;
        }
        const type = e.kind === 'irqs_enabled' ? BOOL : e.kind === 'pmr' ? intType(0, 255) : intType(0, e.kind === 'hardirq_count' ? MAX_HARDIRQ : PREEMPT_MAX);
        return { kind: 'cpu_state', what: e.kind, type };
      }
      case 'line_state': {
        if (this.needsMachine(where, `'${e.what}(...)'`, e.span)) return null;
        if (noCpu(where)) {
          this.sink.error('E515', `'${e.what}(...)' reads the executing CPU's interrupt controller, which has no meaning in ${place(where)}.`, e.span);
          return null;
        }
        const line = this.env.lineId(e.line.text);
        if (line === undefined) {
          this.sink.error('E305', `Unknown line '${e.line.text}'.`, e.line.span);
          return null;
        }
        if (this.env.isNmi(line)) {
          this.sink.error('E501', `'${e.line.text}' is an NMI: it has no request or in-service register bit to read (NMI blocking is the CPU's).`, e.line.span);
          return null;
        }
        return { kind: 'line_state', what: e.what, line, type: BOOL };
      }
      case 'from_user': {
        if (this.needsMachine(where, "'from_user'", e.span)) return null;
        if (noCpu(where)) {
          this.sink.error('E515', `'from_user' has no meaning in ${place(where)}.`, e.span);
          return null;
        }
        return { kind: 'cpu_state', what: 'from_user', type: BOOL };
      }
      case 'state': {
        if (this.needsMachine(where, "'state'", e.span)) return null;
        const thread = this.expect(e.thread, THREAD, where);
        return thread && { kind: 'thread_state', thread, type: THREAD_STATE };
      }
      case 'holder': {
        if (this.needsMachine(where, "'holder'", e.span)) return null;
        const ref = this.lockRef(e.lock, e.index, where, false);
        return ref === null ? null : { kind: 'holder', ...ref, type: THREAD };
      }
      case 'wq_len': {
        if (this.needsMachine(where, "'wq_len'", e.span)) return null;
        const wq = this.waitQueue(e.wq);
        return wq === null ? null : { kind: 'wq_len', wq, type: intType(0, this.env.threads) };
      }
      case 'rq_len_of': {
        if (this.needsMachine(where, "'rq_len'", e.span)) return null;
        const queue = this.queueRef(e.queue, where);
        return queue && { kind: 'rq_len', queue, type: intType(0, this.env.threads) };
      }
      case 'name':
        return this.name(e, where);
      case 'unary': {
        const checked = this.check(e.operand, where);
        if (!checked) return null;
        const operand = e.op === '-' ? this.widen(checked) : checked;
        const want = e.op === '!' ? 'bool' : 'int';
        if (operand.type.kind !== want) {
          this.sink.error('E401', `Operand of '${e.op}' must be ${want}, found ${typeName(operand.type)}.`, e.operand.span);
          return null;
        }
        const negate = (v: number): number => (v === 0 ? 0 : -v); // no negative zero in the IR
        if (operand.kind === 'const') {
          if (e.op === '!') return this.constant(1 - operand.value, BOOL);
          const v = negate(operand.value);
          return this.constant(v, intType(v, v));
        }
        const type = operand.type.kind === 'int' ? intType(negate(operand.type.max), negate(operand.type.min)) : BOOL;
        return { kind: 'unary', op: e.op, operand, type };
      }
      case 'binary':
        return this.binary(e, where);
    }
  }

  /** Check `e` and convert it to `want`, reporting a mismatch. */
  expect(e: A.Expr, want: ValueType, where: Where, what = 'value'): Expr | null {
    const x = this.check(e, where);
    return x && this.coerce(x, want, e.span, what);
  }

  /** A CPU as the integer it is (0 .. CPUS - 1): `cpu + 1`, `ksoftirqd[cpu]`, an int variable holding a CPU. */
  private widen(x: Expr): Expr {
    return x.type.kind === 'cpu' ? ({ ...x, type: intType(0, this.env.cpus - 1) } as Expr) : x;
  }

  coerce(x: Expr, want: ValueType, span: SourceSpan, what = 'value'): Expr | null {
    if (want.kind === 'int') x = this.widen(x);
    if (want.kind === 'cpu' && x.type.kind === 'int' && x.kind === 'const') {
      return this.inRange(x.value, 0, this.env.cpus - 1, span, 'CPU') ? this.constant(x.value, CPU) : null;
    }
    if (!sameType(x.type, want)) {
      this.sink.error('E401', `Expect ${typeName(want)} ${what}, found ${typeName(x.type)}.`, span);
      return null;
    }
    const noun = what === 'index' ? 'Index' : 'Value';
    if (want.kind === 'int' && x.kind === 'const' && !this.inRange(x.value, want.min, want.max, span, noun)) return null;
    return x;
  }

  /** A CPU operand: a `cpu` value or any integer (checked at run time when not constant). */
  cpuOperand(e: A.Expr, where: Where): Expr | null {
    const x = this.check(e, where);
    if (!x) return null;
    if (x.type.kind === 'int') return x.kind === 'const' ? this.coerce(x, CPU, e.span) : x;
    return this.coerce(x, CPU, e.span);
  }

  private inRange(value: number, min: number, max: number, span: SourceSpan, noun: 'Value' | 'Index' | 'CPU'): boolean {
    if (value >= min && value <= max) return true;
    this.sink.error('E402', `${noun} ${value} is out of range ${min}..${max}.`, span);
    return false;
  }

  lock(name: A.Name): number | null {
    const b = this.env.scope.values.get(name.text);
    if (!b) {
      this.sink.error('E301', `Unknown name '${name.text}'.`, name.span);
      return null;
    }
    if (b.kind !== 'lock') {
      this.sink.error('E303', `'${name.text}' is ${describeBinding(b)}, not a lock.`, name.span);
      return null;
    }
    return this.env.lockId(b.decl);
  }

  /**
   * A lock, or an element of a lock array: a constant index names its element, any other is read when the
   * instruction runs. `step`: the index of an instruction's lock, which must not fail as it is read (E410).
   */
  lockRef(name: A.Name, indexExpr: A.Expr | undefined, where: Where, step: boolean): { lock: number; index?: LockIndex } | null {
    const lock = this.lock(name);
    if (lock === null) return null;
    const b = this.env.scope.values.get(name.text) as Extract<Binding, { kind: 'lock' }>;
    const array = this.env.lockArrayOf(b.decl);
    if (array === null) {
      if (indexExpr) return this.notArray(name);
      return { lock };
    }
    if (!indexExpr) {
      this.sink.error('E408', `Lock array '${name.text}' needs an index.`, name.span);
      return null;
    }
    const index =
      array.indexBy === 'thread'
        ? this.expect(indexExpr, THREAD, where, 'index')
        : array.indexBy === 'cpu'
          ? this.cpuOperand(indexExpr, where)
          : this.indexInt(indexExpr, array.count, where);
    if (!index) return null;
    if (index.kind === 'const') {
      if (index.value >= array.count) {
        this.sink.error('E402', `Index ${index.value} is out of range 0..${array.count - 1}.`, indexExpr.span);
        return null;
      }
      return { lock: lock + index.value };
    }
    if (step && !cannotFail(index)) {
      this.sink.error('E410', `The index of '${name.text}' could fail as it is read; copy it into a variable first.`, indexExpr.span);
      return null;
    }
    return { lock, index: { expr: index, count: array.count } };
  }

  /** A run queue, or an element of a run-queue array (a constant index names it; any other is read in the step). */
  queueRef(ref: A.QueueRef, where: Where): QueueRef | null {
    const { name } = ref;
    const b = this.env.scope.values.get(name.text);
    if (!b) {
      this.sink.error('E301', `Unknown name '${name.text}'.`, name.span);
      return null;
    }
    if (b.kind !== 'runqueue') {
      this.sink.error('E311', `'${name.text}' is ${describeBinding(b)}, not a run queue.`, name.span);
      return null;
    }
    const info = this.env.runQueueOf(b.decl);
    if (info === null) return null;
    const { first, array } = info;
    if (array === null) return ref.index ? this.notArray(name) : { queue: first };
    if (!ref.index) {
      this.sink.error('E408', `Run-queue array '${name.text}' needs an index.`, name.span);
      return null;
    }
    const index =
      array.indexBy === 'thread'
        ? this.expect(ref.index, THREAD, where, 'index')
        : array.indexBy === 'cpu'
          ? this.cpuOperand(ref.index, where)
          : this.indexInt(ref.index, array.count, where);
    if (!index) return null;
    if (index.kind !== 'const') return { queue: first, index: { expr: index, count: array.count } };
    if (index.value < array.count) return { queue: first + index.value };
    this.sink.error('E402', `Index ${index.value} is out of range 0..${array.count - 1}.`, ref.index.span);
    return null;
  }

  waitQueue(name: A.Name): number | null {
    const b = this.env.scope.values.get(name.text);
    if (!b) {
      this.sink.error('E301', `Unknown name '${name.text}'.`, name.span);
      return null;
    }
    if (b.kind !== 'wq') {
      this.sink.error('E310', `'${name.text}' is ${describeBinding(b)}, not a wait queue.`, name.span);
      return null;
    }
    return this.env.waitQueueId(b.decl);
  }

  private name(e: Extract<A.Expr, { kind: 'name' }>, where: Where): Expr | null {
    if (this.locals?.has(e.name.text)) {
      const access = this.local(e.name, e.index, e.at);
      return access && { kind: 'var', ...access.lvalue, type: access.type };
    }
    const b = this.env.scope.values.get(e.name.text);
    if (!b && this.localHomes.has(e.name.text)) return this.unknown(e.name);
    if (!b) {
      const line = this.env.scope.lines.has(e.name.text);
      this.sink.error(line ? 'E308' : 'E301', line ? `'${e.name.text}' is an interrupt line, not a value.` : `Unknown name '${e.name.text}'.`, e.name.span);
      return null;
    }
    if (b.kind === 'var') {
      if (this.needsMachine(where, `variable '${e.name.text}'`, e.span)) return null;
      const access = this.varAccess(e.name, e.index, e.at, where);
      return access && { kind: 'var', ...access.lvalue, type: access.type };
    }
    if (b.kind === 'thread') {
      const { first, count } = this.env.threadIds(b.decl);
      if (e.at) return this.noAt(e.name);
      if (b.decl.size === null) {
        if (e.index) return this.notArray(e.name);
        return this.constant(first, THREAD);
      }
      if (!e.index) {
        this.sink.error('E408', `Thread array '${e.name.text}' needs an index.`, e.name.span);
        return null;
      }
      const index = this.expect(e.index, intType(0, count - 1), where, 'index');
      if (!index) return null;
      if (index.kind === 'const') return this.constant(first + index.value, THREAD);
      return { kind: 'thread_of', group: b.decl.name.text, first, count, index, type: THREAD };
    }
    if (e.index) return this.notArray(e.name);
    if (e.at) return this.noAt(e.name);
    switch (b.kind) {
      case 'const': {
        const v = this.env.scope.constants.get(e.name.text)!;
        return this.constant(v, intType(v, v));
      }
      case 'member':
        return this.constant(b.index, this.env.enumType(b.decl));
      case 'state':
        return this.constant(b.index, THREAD_STATE);
      default:
        this.sink.error('E308', `'${e.name.text}' is ${describeBinding(b)}, not a value.`, e.name.span);
        return null;
    }
  }

  private notArray(name: A.Name): null {
    this.sink.error('E408', `'${name.text}' is not an array.`, name.span);
    return null;
  }

  private noAt(name: A.Name): null {
    this.sink.error('E407', `'${name.text}' is not a percpu or perthread variable.`, name.span);
    return null;
  }

  /** An assignable variable: the target of `:=`, `pick` and `try_acquire`. */
  lvalue(t: A.LValue, where: Where): { lvalue: LValue; type: ValueType } | null {
    if (this.locals?.has(t.name.text)) return this.local(t.name, t.index, t.at);
    const b = this.env.scope.values.get(t.name.text);
    if (!b) return this.unknown(t.name);
    if (b.kind !== 'var') {
      this.sink.error('E309', `Cannot assign to '${t.name.text}': it is ${describeBinding(b)}, not a variable.`, t.name.span);
      return null;
    }
    return this.varAccess(t.name, t.index, t.at, where);
  }

  private varAccess(name: A.Name, indexExpr: A.Expr | null, at: A.Expr | null, where: Where): { lvalue: LValue; type: ValueType } | null {
    const b = this.env.scope.values.get(name.text);
    if (b?.kind !== 'var') throw new Error(`varAccess on ${name.text}`);
    const v = this.env.varInfo(b.decl);
    if (!v) return null;
    let index: Expr | null = null;
    if (v.indexBy === null) {
      if (indexExpr) return this.notArray(name);
    } else if (!indexExpr) {
      this.sink.error('E408', `Array '${name.text}' needs an index.`, name.span);
      return null;
    } else {
      index =
        v.indexBy === 'thread'
          ? this.expect(indexExpr, THREAD, where, 'index')
          : v.indexBy === 'cpu'
            ? this.cpuOperand(indexExpr, where)
            : this.indexInt(indexExpr, v.length!, where);
      if (!index) return null;
    }
    let instance: Instance;
    if (v.scope === 'global') {
      if (at) return this.noAt(name);
      instance = { kind: 'global' };
    } else if (at) {
      const which = v.scope === 'percpu' ? this.cpuOperand(at, where) : this.expect(at, THREAD, where, 'instance');
      if (!which) return null;
      instance = { kind: 'of', which };
    } else {
      if (noCpu(where)) {
        this.sink.error('E516', `${v.scope === 'percpu' ? 'Percpu' : 'Perthread'} variable '${name.text}' needs '@' in ${place(where)}.`, name.span);
        return null;
      }
      instance = { kind: 'this' };
    }
    return { lvalue: { var: v.id, index, instance }, type: v.type };
  }

  private indexInt(e: A.Expr, length: number, where: Where): Expr | null {
    const checked = this.check(e, where);
    if (!checked) return null;
    const x = this.widen(checked);
    if (x.type.kind !== 'int') {
      this.sink.error('E401', `Expect int index, found ${typeName(x.type)}.`, e.span);
      return null;
    }
    if (x.kind === 'const' && !this.inRange(x.value, 0, length - 1, e.span, 'Index')) return null;
    return x;
  }

  private binary(e: Extract<A.Expr, { kind: 'binary' }>, where: Where): Expr | null {
    const checkedLeft = this.check(e.left, where);
    const checkedRight = this.check(e.right, where);
    if (!checkedLeft || !checkedRight) return null;
    const { op } = e;
    // Arithmetic and order read a CPU as its number; equality compares CPUs as they are, or as numbers against a
    // computed integer (`other != cpu`, other := 1 - cpu).
    const mixed = (a: Expr, b: Expr): boolean => a.type.kind === 'cpu' && b.type.kind === 'int' && b.kind !== 'const';
    const numeric = op === '==' || op === '!=' ? mixed(checkedLeft, checkedRight) || mixed(checkedRight, checkedLeft) : op !== '&&' && op !== '||';
    const left = numeric ? this.widen(checkedLeft) : checkedLeft;
    const right = numeric ? this.widen(checkedRight) : checkedRight;
    const mismatch = (want: string): null => {
      const bad = left.type.kind !== want ? left : right;
      const span = bad === left ? e.left.span : e.right.span;
      this.sink.error('E401', `Operands of '${op}' must be ${want}, found ${typeName(bad.type)}.`, span);
      return null;
    };
    switch (op) {
      case '+':
      case '-':
      case '*':
      case '/':
      case '%': {
        if (left.type.kind !== 'int' || right.type.kind !== 'int') return mismatch('int');
        if (left.kind === 'const' && right.kind === 'const') {
          const v = arith(op, left.value, right.value, e.span, this.sink);
          return v === null ? null : this.constant(v, intType(v, v));
        }
        if ((op === '/' || op === '%') && right.kind === 'const' && right.value === 0) {
          this.sink.error('E404', 'Division by the constant 0.', e.right.span);
          return null;
        }
        const range = interval(op, left.type, right.type);
        if ('beyond' in range) {
          this.sink.error(
            'E409',
            `Arithmetic beyond the exact integers: '${op}' here can reach ${range.beyond}, past ±${MAX_EXACT} (2^53 - 1); narrow the operands' ranges.`,
            e.span,
          );
          return null;
        }
        return { kind: 'binary', op, left, right, type: range.type };
      }
      case '&':
      case '|':
      case '^':
      case '<<':
      case '>>': {
        if (left.type.kind !== 'int' || right.type.kind !== 'int') return mismatch('int');
        if (left.kind === 'const' && right.kind === 'const') {
          const v = arith(op, left.value, right.value, e.span, this.sink);
          return v === null ? null : this.constant(v, intType(v, v));
        }
        const range = bitwise(op, left.type, right.type);
        if ('refused' in range) {
          this.sink.error('E411', range.refused, range.side === 'left' ? e.left.span : range.side === 'right' ? e.right.span : e.span);
          return null;
        }
        return { kind: 'binary', op, left, right, type: range.type };
      }
      case '<':
      case '<=':
      case '>':
      case '>=':
        if (left.type.kind !== 'int' || right.type.kind !== 'int') return mismatch('int');
        return this.fold(op, left, right);
      case '&&':
      case '||':
        if (left.type.kind !== 'bool' || right.type.kind !== 'bool') return mismatch('bool');
        return this.fold(op, left, right);
      case '==':
      case '!=': {
        // An integer constant compared with a CPU is a CPU number.
        const l = left.type.kind === 'int' && right.type.kind === 'cpu' ? this.coerce(left, CPU, e.left.span) : left;
        const r = right.type.kind === 'int' && left.type.kind === 'cpu' ? this.coerce(right, CPU, e.right.span) : right;
        if (!l || !r) return null;
        const bothInt = l.type.kind === 'int' && r.type.kind === 'int';
        if (!bothInt && !sameType(l.type, r.type)) {
          this.sink.error('E401', `Cannot compare ${typeName(l.type)} with ${typeName(r.type)}.`, e.span);
          return null;
        }
        return this.fold(op, l, r);
      }
    }
  }

  /** A boolean-valued operator, folded when both sides are constant (codes of equal types compare as values). */
  private fold(op: A.BinaryOp, left: Expr, right: Expr): Expr {
    if (left.kind === 'const' && right.kind === 'const') {
      const [a, b] = [left.value, right.value];
      const table: Partial<Record<A.BinaryOp, boolean>> = {
        '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b, '==': a === b, '!=': a !== b,
        '&&': a === 1 && b === 1, '||': a === 1 || b === 1,
      };
      return this.constant(table[op] ? 1 : 0, BOOL);
    }
    return { kind: 'binary', op, left, right, type: BOOL };
  }
}

/**
 * An index that cannot fail as it is evaluated (E410): constants, the executing CPU and thread, scalar variables
 * of this CPU or thread, the CPU state, and operators other than division; no indexed variable, no `@`.
 */
export function cannotFail(e: Expr): boolean {
  switch (e.kind) {
    case 'const':
    case 'cpu':
    case 'current':
    case 'self':
    case 'cpu_state':
    case 'line_state':
    case 'wq_len':
      return true;
    case 'rq_len':
      return e.queue?.index === undefined;
    case 'var':
      return e.index === null && e.instance.kind !== 'of';
    case 'unary':
      return cannotFail(e.operand);
    case 'binary':
      return e.op !== '/' && e.op !== '%' && cannotFail(e.left) && cannotFail(e.right);
    case 'holder':
      return e.index === undefined;
    case 'thread_state':
    case 'thread_of':
      return false;
    default:
      return unreachable(e);
  }
}
