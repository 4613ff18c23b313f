// The syntax tree: what the parser read, with a span on every node. Names are unresolved and constant
// expressions unevaluated; resolve.ts and typecheck.ts give them meaning.

import type { SourceSpan } from './source.js';

export interface Name {
  text: string;
  span: SourceSpan;
}

export interface IntLit {
  value: number;
  span: SourceSpan;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export type Expr =
  | { kind: 'int'; value: number; span: SourceSpan }
  | { kind: 'bool'; value: boolean; span: SourceSpan }
  | { kind: 'none' | 'current' | 'cpu' | 'self' | 'rq_len'; span: SourceSpan }
  /** The executing CPU's interrupt-enable bit, its current thread's preempt_count, its interrupt nesting depth. */
  | { kind: 'irqs_enabled' | 'preempt_count' | 'softirq_count' | 'hardirq_count'; span: SourceSpan }
  /** The executing CPU's GIC priority mask, ICC_PMR_EL1 (`controller gic`). */
  | { kind: 'pmr'; span: SourceSpan }
  /** Whether the innermost entry the CPU runs in was taken in user mode (Linux's user_mode(regs)). */
  | { kind: 'from_user'; span: SourceSpan }
  /** A variable, constant, enum member, thread state or thread, possibly indexed and/or with an instance. */
  | { kind: 'name'; name: Name; index: Expr | null; at: Expr | null; span: SourceSpan }
  | { kind: 'state'; thread: Expr; span: SourceSpan }
  | { kind: 'holder'; lock: Name; index?: Expr; span: SourceSpan }
  /** `rq_len(rq[c])`: the length of a declared run queue. */
  | { kind: 'rq_len_of'; queue: QueueRef; span: SourceSpan }
  /** `pending(L)`, `in_service(L)`: line L's pending or in-service (active) bit on the executing CPU. */
  | { kind: 'line_state'; what: 'pending' | 'in_service'; line: Name; span: SourceSpan }
  /** `wq_len(W)`: how many threads wait on wait queue W. */
  | { kind: 'wq_len'; wq: Name; span: SourceSpan }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr; span: SourceSpan }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: SourceSpan };

/** A declared run queue, or an element of a run-queue array: `rq`, `rq[c]`. */
export interface QueueRef {
  name: Name;
  index?: Expr;
}

export interface LValue {
  name: Name;
  index: Expr | null;
  at: Expr | null;
  span: SourceSpan;
}

/** Statements that are one keyword and nothing else. */
export const SIMPLE_STATEMENTS = [
  'work', 'skip', 'ret', 'cli', 'sti', 'irqsave', 'irqrestore', 'iret', 'eret', 'hlt', 'wfi', 'irq_exit',
  'save_elr', 'restore_elr', 'exit', 'break', 'continue', 'preempt_disable', 'preempt_enable', 'local_bh_disable', 'local_bh_enable',
] as const;
export type SimpleOp = (typeof SIMPLE_STATEMENTS)[number];

export const THREAD_STATEMENTS = ['enqueue', 'wake', 'spawn', 'switch_to', 'restore_context', 'free_stack', 'dequeue', 'save_sp', 'load_sp'] as const;
/** `set_current` is `current := t`. */
export type ThreadOp = (typeof THREAD_STATEMENTS)[number] | 'set_current';

/** The atomic read-modify-write operations (`x := OP(v, ...)`), with how many operands each takes after `v`. */
export const RMW_OPS = { xchg: 1, cmpxchg: 2, fetch_add: 1 } as const;
export type RmwOp = keyof typeof RMW_OPS;

export const WAIT_STATEMENTS = ['sleep', 'prepare_to_wait', 'finish_wait', 'wake_one', 'wake_all'] as const;
export type WaitOp = (typeof WAIT_STATEMENTS)[number];

export interface Block {
  stmts: Stmt[];
  open: SourceSpan;
  /** The closing brace, or where the block was found unclosed. */
  close: SourceSpan;
}

export type Stmt =
  | { kind: 'simple'; op: SimpleOp; span: SourceSpan }
  | { kind: 'assign'; target: LValue; value: Expr; span: SourceSpan }
  | { kind: 'try_acquire'; target: LValue; lock: Name; index?: Expr; span: SourceSpan }
  /** `x := ack` (GIC): read ICC_IAR1_EL1, the INTID acknowledged (1023: none), into `x`. */
  | { kind: 'ack_read'; target: LValue; span: SourceSpan }
  /** `x := xchg(v, e)`, `x := cmpxchg(v, old, new)`, `x := fetch_add(v, e)`: one atomic read-modify-write of `v`. */
  | { kind: 'rmw'; op: RmwOp; target: LValue; cell: LValue; operands: Expr[]; span: SourceSpan }
  /** `deactivate x` (GIC, EOImode 1): write ICC_DIR_EL1 with the INTID `x` (a line's name or an integer variable). */
  | { kind: 'deactivate'; id: Name; span: SourceSpan }
  /** `span` covers the keyword and the condition: the instruction a branch is reported at. */
  | { kind: 'if'; cond: Expr; then: Block; else: Block | null; span: SourceSpan }
  | { kind: 'while'; cond: Expr; body: Block; span: SourceSpan }
  | { kind: 'loop'; body: Block; span: SourceSpan }
  | { kind: 'call'; proc: Name; span: SourceSpan }
  /** `assert e`, or with `warnOn` Linux's `WARN_ON(e)`: `warn_on e` reports when `e` holds, and the path goes on. */
  | { kind: 'assert'; cond: Expr; message: string | null; warnOn?: true; span: SourceSpan }
  /** `line` is null for a bare `eoi` (the LAPIC EOI register: the highest in-service line). */
  | { kind: 'line'; op: 'eoi' | 'ack' | 'unpend'; line: Name | null; span: SourceSpan }
  | { kind: 'tpr'; value: Expr; span: SourceSpan }
  | { kind: 'pmr'; value: Expr; span: SourceSpan }
  | { kind: 'raise'; line: Name; to: Expr | null; span: SourceSpan }
  /** `index`: the element of a lock array (`acquire rq_lock[cpu]`). */
  | { kind: 'lock'; op: 'acquire' | 'release'; lock: Name; index?: Expr; span: SourceSpan }
  /** `on`: the run queue `enqueue`, `wake`, `spawn` put the thread on (`enqueue t on rq[c]`); `from`: `dequeue`'s. */
  | { kind: 'thread'; op: ThreadOp; thread: Expr; on?: QueueRef; from?: QueueRef; span: SourceSpan }
  /** `from`: the run queue `pick` takes the head of (`pick x from rq[c]`). */
  | { kind: 'pick'; target: LValue; from?: QueueRef; span: SourceSpan }
  /** `pick x where c`: the first thread, in declaration order, for which `c` holds with `x` naming it (a scan). */
  | { kind: 'pick_where'; target: LValue; cond: Expr; span: SourceSpan }
  /** `state(t) := s`: a thread's state written by the design (a process table). */
  | { kind: 'set_state'; thread: Expr; value: Expr; span: SourceSpan }
  | { kind: 'wait'; op: WaitOp; queue: Name; span: SourceSpan }
  /** `either { ... } or { ... }`: two or more blocks, one taken nondeterministically. `span` covers `either`. */
  | { kind: 'either'; blocks: Block[]; span: SourceSpan }
  /** `x := any LO..HI`: a value of the constant range, chosen nondeterministically. */
  | { kind: 'any'; target: LValue; lo: Expr; hi: Expr; span: SourceSpan }
  /** `local x : T [= e]`: a variable of each activation of the body it is declared at the top of. */
  | { kind: 'local'; name: Name; type: TypeExpr; init: Expr | null; span: SourceSpan }
  /** `user { ... }`: code that runs in user mode, entered by a return to user mode. `span` covers `user`. */
  | { kind: 'user'; body: Block; span: SourceSpan }
  /** `syscall`, `svc`, `sysret`; `int L`. */
  | { kind: 'privilege'; op: 'syscall' | 'svc' | 'sysret'; span: SourceSpan }
  | { kind: 'int'; line: Name; span: SourceSpan };

// ---------------------------------------------------------------------------------------------------------
// Declarations

export type LineAttr =
  | { kind: 'priority'; value: IntLit; span: SourceSpan }
  | { kind: 'gate'; gate: 'interrupt' | 'trap'; span: SourceSpan }
  | { kind: 'ipi'; span: SourceSpan }
  /** x86_64's non-maskable interrupt: delivered whatever IF says, blocked from its delivery to the next `iret`. */
  | { kind: 'nmi'; span: SourceSpan }
  /** How the line's own source fires: `periodic`, `once`, `at most N` (`count`), `none`. */
  | { kind: 'source'; source: 'periodic' | 'once' | 'at most' | 'none'; count: IntLit | null; span: SourceSpan }
  | { kind: 'on'; cpus: IntLit[]; span: SourceSpan };

export type MachineItem =
  | { kind: 'cpus'; count: Expr; span: SourceSpan }
  | { kind: 'irq'; name: Name; number: IntLit; attrs: LineAttr[]; span: SourceSpan }
  | { kind: 'scheduler'; proc: Name; span: SourceSpan }
  | { kind: 'latency'; bound: Expr; span: SourceSpan }
  /** `eoimode` (GIC only): ICC_CTLR_EL1.EOImode, 0 or 1, when given. */
  | { kind: 'controller'; controller: 'lapic' | 'i8259' | 'gic'; eoimode: IntLit | null; span: SourceSpan }
  | { kind: 'preempt_offset'; count: Expr; span: SourceSpan }
  /** The procedure `syscall` / `svc` enters (IA32_LSTAR; the EL0 synchronous vector's SVC path). */
  | { kind: 'syscall'; proc: Name; span: SourceSpan }
  /** `boot masked`: every CPU starts with interrupts masked. */
  | { kind: 'boot_masked'; span: SourceSpan };

export type TypeBase =
  | { kind: 'bool'; span: SourceSpan }
  | { kind: 'thread'; span: SourceSpan }
  | { kind: 'cpu'; span: SourceSpan }
  | { kind: 'range'; lo: Expr; hi: Expr; span: SourceSpan }
  | { kind: 'named'; name: Name; span: SourceSpan };

export type ArrayLength = { kind: 'thread' | 'cpu'; span: SourceSpan } | { kind: 'size'; size: Expr; span: SourceSpan };

export interface TypeExpr {
  base: TypeBase;
  length: ArrayLength | null;
  span: SourceSpan;
}

export type ThreadAttr =
  | { kind: 'on'; cpu: IntLit | 'each'; span: SourceSpan }
  | { kind: 'ready' | 'dormant'; span: SourceSpan }
  | { kind: 'stack'; depth: IntLit; span: SourceSpan }
  /** `forged F, F, ...`: the frames on a new thread's stack, top first; each a kind, a routine it returns to, or both. */
  | { kind: 'forged'; frames: ForgedFrameAst[]; span: SourceSpan }
  /** `waits for COND`: what the thread waits for when it blocks (no-deadlock's lost wake-up). */
  | { kind: 'waits'; cond: Expr; span: SourceSpan };

export interface ForgedFrameAst {
  frame: 'switch' | 'iret' | 'eret' | 'call';
  /** The routine the frame returns to (`forged ret_from_fork`, `forged call to forkret`); null: the thread's body. */
  to: Name | null;
  span: SourceSpan;
}

export type Decl =
  | { kind: 'const'; name: Name; value: IntLit; span: SourceSpan }
  | { kind: 'machine'; arch: Name; items: MachineItem[]; span: SourceSpan }
  /** `length`: an array of locks (`lock rq_lock[cpu] : spin`), one lock per element. */
  | { kind: 'lock'; name: Name; lockKind: 'spin' | 'irqsave' | 'mutex'; handoff: boolean; length?: ArrayLength; span: SourceSpan }
  | { kind: 'wq'; name: Name; span: SourceSpan }
  /** `runqueue rq[cpu]`: a run queue, or one per element. */
  | { kind: 'runqueue'; name: Name; length?: ArrayLength; span: SourceSpan }
  | { kind: 'enum'; name: Name; members: Name[]; span: SourceSpan }
  | { kind: 'var'; scope: 'global' | 'percpu' | 'perthread'; name: Name; type: TypeExpr; init: Expr | null; span: SourceSpan }
  | {
      kind: 'thread';
      name: Name;
      size: Expr | null;
      attrs: ThreadAttr[];
      body: { kind: 'block'; block: Block } | { kind: 'entry'; proc: Name; span: SourceSpan };
      span: SourceSpan;
    }
  | { kind: 'proc'; name: Name; body: Block; span: SourceSpan }
  /** `defers eoi`: the span of the words, or null. */
  | { kind: 'handler'; name: Name; on: Name | null; stack: IntLit | null; defersEoi: SourceSpan | null; body: Block; span: SourceSpan }
  | { kind: 'invariant'; name: Name | null; cond: Expr; span: SourceSpan }
  | { kind: 'expect'; property: Name; verdict: 'holds' | 'violated'; span: SourceSpan };

export interface Model {
  file: string;
  decls: Decl[];
  /** Span of the end of the file, for reports about something missing. */
  end: SourceSpan;
}
