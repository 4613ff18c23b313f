// The checked model: what the type checker hands to the lowering. Declarations are already IR; bodies are typed
// statements that still have structured control flow, which lowering turns into jumps.

import type { Arch, Expectation, Expr, HandlerStack, Instr, Invariant, IrqLine, LockDecl, LValue, RunQueueDecl, ThreadDecl, UnitKind, VarDecl, WaitQueueDecl } from '../ir/ir.js';
import type { SourceSpan } from './source.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An instruction before it has a span id. */
export type InstrBody = DistributiveOmit<Instr, 'span'>;

export type TStmt =
  | { kind: 'instr'; instr: InstrBody; span: SourceSpan }
  | { kind: 'if'; cond: Expr; then: TStmt[]; else: TStmt[] | null; span: SourceSpan }
  | { kind: 'while'; cond: Expr; body: TStmt[]; span: SourceSpan }
  | { kind: 'loop'; body: TStmt[]; span: SourceSpan }
  | { kind: 'break' | 'continue'; span: SourceSpan }
  | { kind: 'either'; blocks: TStmt[][]; span: SourceSpan }
  /** `x := any LO..HI`: one alternative per value (constants of the target's type). */
  | { kind: 'any'; target: LValue; values: Expr[]; span: SourceSpan }
  /** `user { ... }`: a return to user mode, then the block's code, which runs in user mode. */
  | { kind: 'user'; body: TStmt[]; span: SourceSpan };

export interface CheckedUnit {
  id: number;
  kind: UnitKind;
  name: string;
  body: TStmt[];
  lines: number[];
  stack: HandlerStack | null;
  /** Span id of the declaration. */
  span: number;
  /** Where the implicit terminator is reported: the closing brace (or `entry P`). */
  end: SourceSpan;
}

/** The program's span table: declarations first, then instructions as lowering meets them. */
export class SpanTable {
  readonly spans: SourceSpan[] = [];

  add(span: SourceSpan): number {
    this.spans.push(span);
    return this.spans.length - 1;
  }
}

export interface CheckedModel {
  file: string;
  arch: Arch;
  cpus: number;
  constants: Record<string, number>;
  lines: IrqLine[];
  locks: LockDecl[];
  waitQueues: WaitQueueDecl[];
  runQueues: RunQueueDecl[];
  vars: VarDecl[];
  threads: ThreadDecl[];
  units: CheckedUnit[];
  scheduler: number | null;
  latencyBound: number | null;
  controller: 'lapic' | 'i8259' | 'gic' | null;
  gicSplitEoi?: boolean;
  preemptOffset: number;
  bootMasked?: true;
  /** The procedure `syscall` / `svc` enters, or null. */
  syscall: number | null;
  invariants: Invariant[];
  expectations: Expectation[];
  spans: SpanTable;
}
