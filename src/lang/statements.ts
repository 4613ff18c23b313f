// Statement checking: a body's syntax becomes typed statements (instructions with resolved operands, and
// structured control flow for lowering). It reports what a statement may not do: an instruction the
// architecture lacks, `break` outside a loop, operands of the wrong kind.

import * as A from './ast.js';
import type { InstrBody, TStmt } from './checked.js';
import type { DiagnosticSink } from './diagnostics.js';
import { BOOL, THREAD, THREAD_STATE, typeName, type ExprChecker, type Where } from './expr.js';
import { spanJoin, type SourceSpan } from './source.js';
import { unreachable } from '../ir/unreachable.js';
import type { Arch, Expr } from '../ir/ir.js';

/** Most values `x := any LO..HI` may choose among (each is an action of its own). */
export const MAX_CHOICES = 256;

/** Instructions that exist on one architecture only, with the other's counterpart. */
const ARCH_ONLY: Record<string, { arch: Arch; instead?: string }> = {
  iret: { arch: 'x86_64', instead: 'eret' },
  hlt: { arch: 'x86_64', instead: 'wfi' },
  eret: { arch: 'aarch64', instead: 'iret' },
  wfi: { arch: 'aarch64', instead: 'hlt' },
  ack: { arch: 'aarch64' },
  save_elr: { arch: 'aarch64' },
  restore_elr: { arch: 'aarch64' },
};

interface BodyContext {
  where: Exclude<Where, 'invariant' | 'const'>;
  loops: number;
}

/** What statement checking needs from the declarations checked before it. */
export interface StatementEnv {
  arch: Arch;
  sink: DiagnosticSink;
  exprs: ExprChecker;
  lineIds: ReadonlyMap<string, number>;
  /** The machine has a local APIC (`controller lapic`): `tpr` exists. */
  lapic: boolean;
  /** The unit id of a procedure, or null after reporting that `name` is none. */
  proc(name: A.Name): number | null;
  /** The text of a one-line span (the default message of an `assert`), or null. */
  source(span: SourceSpan): string | null;
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
        const lock = this.env.exprs.lock(s.lock);
        if (!target || lock === null) return null;
        if (target.type.kind !== 'bool') {
          this.env.sink.error('E401', `Expect bool target for 'try_acquire', found ${target.type.kind}.`, s.target.span);
          return null;
        }
        return instr({ op: 'try_acquire', lock, target: target.lvalue });
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
        return cond && instr({ op: 'assert', cond, message });
      }
      case 'line': {
        if (!this.archAllows(s.op, s.span)) return null;
        if (s.line === null) {
          if (this.env.arch === 'x86_64') return instr({ op: 'eoi_highest' });
          this.env.sink.error('E501', "A bare 'eoi' (the local APIC's EOI register) is not available on aarch64; name the line: 'eoi L'.", s.span);
          return null;
        }
        const line = this.line(s.line);
        return line === null ? null : instr({ op: s.op, line });
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
        const lock = this.env.exprs.lock(s.lock);
        return lock === null ? null : instr({ op: s.op, lock });
      }
      case 'thread': {
        const thread = this.env.exprs.expect(s.thread, THREAD, where, `operand of '${s.op === 'set_current' ? 'current :=' : s.op}'`);
        return thread && instr({ op: s.op, thread });
      }
      case 'pick': {
        const target = this.env.exprs.lvalue(s.target, where);
        if (!target) return null;
        if (target.type.kind !== 'thread') {
          this.env.sink.error('E401', `Expect thread target for 'pick', found ${target.type.kind}.`, s.target.span);
          return null;
        }
        return instr({ op: 'pick', target: target.lvalue });
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
      default:
        return unreachable(s);
    }
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
