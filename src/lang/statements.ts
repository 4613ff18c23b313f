// Statement checking: a body's syntax becomes typed statements (instructions with resolved operands, and
// structured control flow for lowering). It reports what a statement may not do: an instruction the
// architecture lacks, `break` outside a loop, operands of the wrong kind.

import * as A from './ast.js';
import type { InstrBody, TStmt } from './checked.js';
import type { DiagnosticSink } from './diagnostics.js';
import { BOOL, THREAD, THREAD_STATE, typeName, type ExprChecker, type Where } from './expr.js';
import { spanJoin, type SourceSpan } from './source.js';
import { unreachable } from '../ir/unreachable.js';
import { GIC_SPURIOUS, type Arch, type Expr } from '../ir/ir.js';

/** Most values `x := any LO..HI` may choose among (each is an action of its own). */
export const MAX_CHOICES = 256;

/** Instructions that exist on one architecture only, with the other's counterpart. */
const ARCH_ONLY: Record<string, { arch: Arch; instead?: string }> = {
  iret: { arch: 'x86_64', instead: 'eret' },
  hlt: { arch: 'x86_64', instead: 'wfi' },
  eret: { arch: 'aarch64', instead: 'iret' },
  wfi: { arch: 'aarch64', instead: 'hlt' },
  ack: { arch: 'aarch64' },
  unpend: { arch: 'aarch64' },
  save_elr: { arch: 'aarch64' },
  restore_elr: { arch: 'aarch64' },
  syscall: { arch: 'x86_64', instead: 'svc' },
  sysret: { arch: 'x86_64', instead: 'eret' },
  int: { arch: 'x86_64', instead: 'svc' },
  svc: { arch: 'aarch64', instead: 'syscall' },
};

interface BodyContext {
  where: Exclude<Where, 'invariant' | 'waits' | 'const'>;
  loops: number;
  /** Inside a `user` block: user-mode code. */
  user?: boolean;
}

/** What statement checking needs from the declarations checked before it. */
export interface StatementEnv {
  arch: Arch;
  sink: DiagnosticSink;
  exprs: ExprChecker;
  lineIds: ReadonlyMap<string, number>;
  /** The lines declared `nmi` (x86_64's non-maskable interrupt, which takes no EOI). */
  nmiLines: ReadonlySet<number>;
  /** The machine has a local APIC (`controller lapic`): `tpr` exists. */
  lapic: boolean;
  /** With `controller gic`, the line of each INTID (`x := ack` and `eoi x` exist); null without a GIC. */
  intids: ReadonlyMap<number, number> | null;
  /** `controller gic eoimode 1`: `deactivate x` exists. */
  gicSplitEoi: boolean;
  /** The unit id of a procedure, or null after reporting that `name` is none. */
  proc(name: A.Name): number | null;
  /** The text of a one-line span (the default message of an `assert`), or null. */
  source(span: SourceSpan): string | null;
  /** The machine names the procedure `syscall` / `svc` enters. */
  syscall?: boolean;
}

/** What user-mode code may do: compute, loop, choose, and enter the kernel. */
function userModeStatement(s: A.Stmt): boolean {
  switch (s.kind) {
    case 'simple':
      return s.op === 'work' || s.op === 'skip';
    case 'loop':
    case 'either':
    case 'int':
      return true;
    case 'privilege':
      return s.op !== 'sysret';
    default:
      return false;
  }
}

export class StatementChecker {
  constructor(private readonly env: StatementEnv) {}

  body(b: A.Block, where: BodyContext['where']): TStmt[] {
    return this.block(b, { where, loops: 0 });
  }

  private block(b: A.Block, ctx: BodyContext): TStmt[] {
    const out: TStmt[] = [];
    for (const s of b.stmts) {
      const t = this.stmt(s, ctx);
      if (t) out.push(t);
    }
    return out;
  }

  private archAllows(op: string, span: SourceSpan): boolean {
    const only = ARCH_ONLY[op];
    if (!only || only.arch === this.env.arch) return true;
    const instead = only.instead ? `; use '${only.instead}'` : '';
    this.env.sink.error('E501', `'${op}' is not available on ${this.env.arch}${instead}.`, span);
    return false;
  }

  private line(name: A.Name): number | null {
    const id = this.env.lineIds.get(name.text);
    if (id !== undefined) return id;
    this.env.sink.error('E305', `Unknown line '${name.text}'.`, name.span);
    return null;
  }

  private stmt(s: A.Stmt, ctx: BodyContext): TStmt | null {
    const instr = (body: InstrBody): TStmt => ({ kind: 'instr', instr: body, span: s.span });
    const { where } = ctx;
    if (ctx.user && !userModeStatement(s)) {
      const what = 'op' in s ? `'${s.op}'` : s.kind === 'assert' && s.warnOn ? "'warn_on'" : s.kind === 'assign' || s.kind === 'any' || s.kind === 'try_acquire' || s.kind === 'pick' ? 'an assignment' : `'${s.kind}'`;
      this.env.sink.error('E561', `${what} is not allowed in user-mode code: a 'user' block can only do 'work', 'loop', 'either', 'syscall'/'svc' and 'int'.`, s.span);
      return null;
    }
    switch (s.kind) {
      case 'simple': {
        if (!this.archAllows(s.op, s.span)) return null;
        switch (s.op) {
          case 'skip':
            return null;
          case 'break':
          case 'continue':
            if (ctx.loops === 0) {
              this.env.sink.error('E513', `'${s.op}' outside a loop.`, s.span);
              return null;
            }
            return { kind: s.op, span: s.span };
          default:
            return instr({ op: s.op });
        }
      }
      case 'assign': {
        const target = this.env.exprs.lvalue(s.target, where);
        if (!target) {
          this.env.exprs.check(s.value, where); // still report errors on the right-hand side
          return null;
        }
        const value = this.env.exprs.expect(s.value, target.type, where);
        return value && instr({ op: 'assign', target: target.lvalue, value });
      }
      case 'try_acquire': {
        const target = this.env.exprs.lvalue(s.target, where);
        const ref = this.env.exprs.lockRef(s.lock, s.index, where, true);
        if (!target || ref === null) return null;
        if (target.type.kind !== 'bool') {
          this.env.sink.error('E401', `Expect bool target for 'try_acquire', found ${target.type.kind}.`, s.target.span);
          return null;
        }
        return instr({ op: 'try_acquire', ...ref, target: target.lvalue });
      }
      case 'if': {
        const cond = this.env.exprs.expect(s.cond, BOOL, where, 'condition');
        const then = this.block(s.then, ctx);
        const otherwise = s.else ? this.block(s.else, ctx) : null;
        return cond && { kind: 'if', cond, then, else: otherwise, span: s.span };
      }
      case 'while': {
        const cond = this.env.exprs.expect(s.cond, BOOL, where, 'condition');
        const body = this.block(s.body, { ...ctx, loops: ctx.loops + 1 });
        return cond && { kind: 'while', cond, body, span: s.span };
      }
      case 'loop':
        return { kind: 'loop', body: this.block(s.body, { ...ctx, loops: ctx.loops + 1 }), span: s.span };
      case 'call': {
        const unit = this.env.proc(s.proc);
        return unit === null ? null : instr({ op: 'call', unit });
      }
      case 'assert': {
        const cond = this.env.exprs.expect(s.cond, BOOL, where, 'assertion');
        const message = s.message ?? this.env.source(s.cond.span) ?? 'assertion';
        return cond && instr({ op: 'assert', cond, message, ...(s.warnOn ? { warnOn: true as const } : {}) });
      }
      case 'line': {
        if (!this.archAllows(s.op, s.span)) return null;
        if (s.line === null) {
          if (this.env.arch === 'x86_64') return instr({ op: 'eoi_highest' });
          this.env.sink.error('E501', "A bare 'eoi' (the local APIC's EOI register) is not available on aarch64; name the line: 'eoi L'.", s.span);
          return null;
        }
        if (this.env.intids !== null && s.op === 'eoi' && !this.env.lineIds.has(s.line.text)) return this.eoiId(s.line, where, s.span);
        if (this.env.intids !== null && s.op === 'ack') {
          this.env.sink.error('E501', "With 'controller gic' the IAR says which line is acknowledged: read it with 'x := ack'.", s.span);
          return null;
        }
        const line = this.line(s.line);
        if (line !== null && s.op === 'eoi' && this.env.nmiLines.has(line)) {
          this.env.sink.error('E501', `'${s.line.text}' is an NMI: it takes no EOI; the next 'iret' ends NMI blocking.`, s.line.span);
          return null;
        }
        return line === null ? null : instr({ op: s.op, line });
      }
      case 'ack_read':
        return this.ackRead(s, where);
      case 'rmw':
        return this.rmw(s, where);
      case 'deactivate': {
        if (!this.env.gicSplitEoi) {
          this.env.sink.error('E501', "'deactivate' writes the GIC's DIR, which only EOImode 1 has: declare 'controller gic eoimode 1'.", s.span);
          return null;
        }
        const line = this.env.lineIds.get(s.id.text);
        if (line !== undefined) return instr({ op: 'deactivate', value: { kind: 'const', value: this.intidOf(line), type: { kind: 'int', min: 0, max: 1023 } } });
        const id = this.eoiId(s.id, where, s.span);
        if (id === null || id.kind !== 'instr') return null;
        const i = id.instr;
        if (i.op === 'eoi') return instr({ op: 'deactivate', value: { kind: 'const', value: this.intidOf(i.line), type: { kind: 'int', min: 0, max: 1023 } } });
        return i.op === 'eoi_id' ? instr({ op: 'deactivate', value: i.value }) : null;
      }
      case 'pmr': {
        const value = this.env.exprs.expect(s.value, { kind: 'int', min: 0, max: 255 }, where, "operand of 'pmr'");
        if (this.env.intids === null) {
          this.env.sink.error('E501', "'pmr' is the GIC's priority mask: add 'controller gic' to the machine (aarch64).", s.span);
          return null;
        }
        return value && instr({ op: 'pmr', value });
      }
      case 'raise': {
        const line = this.line(s.line);
        const cpu = s.to ? this.env.exprs.cpuOperand(s.to, where) : null;
        if (line === null || (s.to && !cpu)) return null;
        return instr({ op: 'raise', line, cpu });
      }
      case 'tpr': {
        const value = this.env.exprs.expect(s.value, { kind: 'int', min: 0, max: 255 }, where, "operand of 'tpr'");
        if (!this.env.lapic) {
          this.env.sink.error('E501', "'tpr' needs a local APIC: add 'controller lapic' to the machine (x86_64).", s.span);
          return null;
        }
        return value && instr({ op: 'tpr', value });
      }
      case 'lock': {
        const ref = this.env.exprs.lockRef(s.lock, s.index, where, true);
        return ref === null ? null : instr({ op: s.op, ...ref });
      }
      case 'thread': {
        const thread = this.env.exprs.expect(s.thread, THREAD, where, `operand of '${s.op === 'set_current' ? 'current :=' : s.op}'`);
        if (s.op === 'dequeue') {
          const from = s.from === undefined ? undefined : this.env.exprs.queueRef(s.from, where);
          if (!thread || from === null) return null;
          return instr({ op: 'dequeue', thread, ...(from ? { from } : {}) });
        }
        if (s.on === undefined) return thread && instr({ op: s.op, thread });
        const on = this.env.exprs.queueRef(s.on, where);
        if (!thread || !on) return null;
        if (s.op !== 'enqueue' && s.op !== 'wake' && s.op !== 'spawn') throw new Error(`internal: '${s.op} ... on'`);
        return instr({ op: s.op, thread, on });
      }
      case 'pick': {
        const target = this.env.exprs.lvalue(s.target, where);
        const from = s.from === undefined ? undefined : this.env.exprs.queueRef(s.from, where);
        if (!target || from === null) return null;
        if (target.type.kind !== 'thread') {
          this.env.sink.error('E401', `Expect thread target for 'pick', found ${target.type.kind}.`, s.target.span);
          return null;
        }
        return instr({ op: 'pick', target: target.lvalue, ...(from ? { from } : {}) });
      }
      case 'pick_where': {
        const target = this.env.exprs.lvalue(s.target, where);
        const cond = this.env.exprs.expect(s.cond, BOOL, where, "condition of 'pick ... where'");
        if (!target) return null;
        if (target.type.kind !== 'thread') {
          this.env.sink.error('E401', `Expect thread target for 'pick', found ${target.type.kind}.`, s.target.span);
          return null;
        }
        return cond && instr({ op: 'pick_where', target: target.lvalue, cond });
      }
      case 'set_state': {
        const thread = this.env.exprs.expect(s.thread, THREAD, where, "thread of 'state(...) :='");
        const value = this.env.exprs.expect(s.value, THREAD_STATE, where, "value of 'state(...) :='");
        return thread && value && instr({ op: 'set_state', thread, value });
      }
      case 'wait': {
        const queue = this.env.exprs.waitQueue(s.queue);
        return queue === null ? null : instr({ op: s.op, queue });
      }
      case 'either':
        return { kind: 'either', blocks: s.blocks.map((b) => this.block(b, ctx)), span: s.span };
      case 'any':
        return this.any(s, where);
      case 'local': {
        // Declared by the body's checker (typecheck.ts); an initial value is an assignment where it stands.
        if (s.init === null || this.env.exprs.locals?.get(s.name.text)?.decl !== s) return null;
        const target = this.env.exprs.lvalue({ name: s.name, index: null, at: null, span: s.name.span }, where);
        const value = target && this.env.exprs.expect(s.init, target.type, where);
        return value && instr({ op: 'assign', target: target.lvalue, value });
      }
      case 'user':
        return this.user(s, ctx);
      case 'privilege':
        if (!this.archAllows(s.op, s.span)) return null;
        if (s.op !== 'sysret') {
          // An SVC from EL1 is an exception to EL1 as well (an RTOS's yield: FreeRTOS's portYIELD); SYSCALL is
          // the user-mode entry only.
          if (!ctx.user && s.op !== 'svc') {
            this.env.sink.error('E564', `'${s.op}' is made from user mode: put it in a 'user' block.`, s.span);
            return null;
          }
          if (!this.env.syscall) {
            this.env.sink.error('E565', `'${s.op}' needs 'syscall PROC' in the machine declaration: the procedure it enters.`, s.span);
            return null;
          }
        }
        return instr({ op: s.op });
      case 'int': {
        if (!this.archAllows('int', s.span)) return null;
        const line = this.line(s.line);
        return line === null ? null : instr({ op: 'int', line });
      }
      default:
        return unreachable(s);
    }
  }

  /** The INTID of line `line` (a GIC's line number). */
  private intidOf(line: number): number {
    for (const [id, l] of this.env.intids!) if (l === line) return id;
    throw new Error(`internal: line ${line} has no INTID`);
  }

  /**
   * `x := xchg(v, e)`, `x := cmpxchg(v, old, new)`, `x := fetch_add(v, e)`: `v` a variable whose value the target
   * can take (the same type), the operands of `v`'s type (fetch_add: `v` an integer, the operand any integer).
   */
  private rmw(s: Extract<A.Stmt, { kind: 'rmw' }>, where: BodyContext['where']): TStmt | null {
    const exprs = this.env.exprs;
    const target = exprs.lvalue(s.target, where);
    const cell = exprs.lvalue(s.cell, where);
    if (!target || !cell) {
      for (const e of s.operands) exprs.check(e, where);
      return null;
    }
    if (s.op === 'fetch_add' && cell.type.kind !== 'int') {
      this.env.sink.error('E401', `Expect integer variable for 'fetch_add', found ${typeName(cell.type)}.`, s.cell.span);
      return null;
    }
    const read = exprs.expect({ kind: 'name', name: s.cell.name, index: s.cell.index, at: s.cell.at, span: s.cell.span }, target.type, where, `value (${s.op} returns the old value of '${s.cell.name.text}')`);
    const operands = s.operands.map((e) => {
      if (s.op !== 'fetch_add') return exprs.expect(e, cell.type, where, 'operand');
      const x = exprs.check(e, where);
      if (x && x.type.kind !== 'int') this.env.sink.error('E401', `Expect integer operand for 'fetch_add', found ${typeName(x.type)}.`, e.span);
      return x && x.type.kind === 'int' ? x : null;
    });
    if (!read || operands.some((x) => x === null)) return null;
    return { kind: 'instr', instr: { op: 'rmw', kind: s.op, target: target.lvalue, cell: cell.lvalue, read, operands: operands as Expr[] }, span: s.span };
  }

  /** `x := ack` (GIC): an integer target that holds every line's INTID and 1023, the spurious one. */
  private ackRead(s: Extract<A.Stmt, { kind: 'ack_read' }>, where: BodyContext['where']): TStmt | null {
    const target = this.env.exprs.lvalue(s.target, where);
    if (this.env.intids === null) {
      this.env.sink.error('E501', "'x := ack' reads the GIC's IAR: add 'controller gic' to the machine (aarch64).", s.span);
      return null;
    }
    if (!target) return null;
    if (target.type.kind !== 'int') {
      this.env.sink.error('E401', `Expect integer target for 'ack', found ${typeName(target.type)}.`, s.target.span);
      return null;
    }
    const { min, max } = target.type;
    const outside = [GIC_SPURIOUS, ...this.env.intids.keys()].find((id) => id < min || id > max);
    if (outside !== undefined) {
      const what = outside === GIC_SPURIOUS ? `INTID ${outside} (spurious)` : `INTID ${outside}`;
      this.env.sink.error('E402', `'ack' may read ${what}, outside the target's range ${min}..${max}.`, s.target.span);
      return null;
    }
    return { kind: 'instr', instr: { op: 'ack_read', target: target.lvalue }, span: s.span };
  }

  /**
   * `eoi x` (GIC): the INTID written to EOIR is a value. A constant must be a line's INTID (E525), and is that
   * line's EOI; a variable must be able to hold one (E525), and is checked when the step runs (an INTID of no
   * line is an eoi-discipline violation).
   */
  private eoiId(name: A.Name, where: BodyContext['where'], span: SourceSpan): TStmt | null {
    const value = this.env.exprs.check({ kind: 'name', name, index: null, at: null, span: name.span }, where);
    if (!value) return null;
    if (value.type.kind !== 'int') {
      this.env.sink.error('E401', `Expect a line or an integer INTID after 'eoi', found ${typeName(value.type)}.`, name.span);
      return null;
    }
    if (value.kind === 'const') {
      const line = this.env.intids!.get(value.value);
      if (line === undefined) {
        this.env.sink.error('E525', `INTID ${value.value} is no line's: 'eoi' must write the INTID of an acknowledged interrupt.`, name.span);
        return null;
      }
      return { kind: 'instr', instr: { op: 'eoi', line }, span };
    }
    const { min, max } = value.type;
    if (![...this.env.intids!.keys()].some((id) => id >= min && id <= max)) {
      this.env.sink.error('E525', `'${name.text}' (${min}..${max}) can hold no line's INTID: every 'eoi' of it would write the INTID of no interrupt.`, name.span);
      return null;
    }
    return { kind: 'instr', instr: { op: 'eoi_id', value }, span };
  }

  /**
   * `user { ... }`: only in a thread body (the code a thread returns to user mode to run), and it must end in a
   * `loop`: user code never falls back into kernel code, it enters the kernel only through an entry.
   */
  private user(s: Extract<A.Stmt, { kind: 'user' }>, ctx: BodyContext): TStmt | null {
    if (ctx.where !== 'thread') {
      this.env.sink.error('E562', `A 'user' block belongs in a thread body, not in a ${ctx.where}: the kernel returns to user mode for a thread.`, s.span);
      return null;
    }
    const body = this.block(s.body, { ...ctx, loops: 0, user: true });
    if (s.body.stmts.at(-1)?.kind !== 'loop') {
      this.env.sink.error('E563', "A 'user' block must end in a 'loop': user code cannot run on into kernel code (it enters the kernel through 'syscall', 'svc', 'int' or an interrupt).", s.body.close);
      return null;
    }
    return { kind: 'user', body, span: s.span };
  }

  /** `x := any LO..HI`: bounds are constants within the target's integer range, at most MAX_CHOICES values. */
  private any(s: Extract<A.Stmt, { kind: 'any' }>, where: BodyContext['where']): TStmt | null {
    const target = this.env.exprs.lvalue(s.target, where);
    if (!target) return null;
    if (target.type.kind !== 'int') {
      this.env.sink.error('E401', `Expect integer target for 'any', found ${typeName(target.type)}.`, s.target.span);
      return null;
    }
    const lo = this.env.exprs.expect(s.lo, target.type, 'const', 'bound');
    const hi = this.env.exprs.expect(s.hi, target.type, 'const', 'bound');
    if (lo?.kind !== 'const' || hi?.kind !== 'const') return null;
    const span = spanJoin(s.lo.span, s.hi.span);
    if (lo.value > hi.value) {
      this.env.sink.error('E405', `Empty range ${lo.value}..${hi.value}.`, span);
      return null;
    }
    const count = hi.value - lo.value + 1;
    if (count > MAX_CHOICES) {
      this.env.sink.error('E520', `A choice among ${count} values; the limit is ${MAX_CHOICES}.`, span);
      return null;
    }
    const values = Array.from({ length: count }, (_, i): Expr => ({ kind: 'const', value: lo.value + i, type: target.type }));
    return { kind: 'any', target: target.lvalue, values, span: s.span };
  }
}
