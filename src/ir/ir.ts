// The lowered transition system: the one contract that every engine, the exporters and the conformance
// checker read. Nothing here refers to the AST; names survive only for reports. Source positions live in
// `Program.spans`, indexed by the `span` id every instruction carries, so the IR stays plain data.

export type Arch = 'x86_64' | 'aarch64';

/** A source range. Lines and columns are 1-based; `end` is exclusive. */
export interface SourceSpan {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

// ---------------------------------------------------------------------------------------------------------
// Declarations

export interface IrqLine {
  id: number; // index into Program.lines, also the bit in pending/in-service masks
  name: string;
  /** Hardware line/vector number as declared (documentation and traces). */
  number: number;
  /** Larger is more urgent. A line is held off by an in-service line of equal or higher priority. */
  priority: number;
  /** `interrupt` gates clear IF on entry; `trap` gates leave it alone (x86_64 only; aarch64 always masks). */
  gate: 'interrupt' | 'trap';
  /**
   * x86_64's NMI (SDM vol. 3A 6.7.1): delivered whatever IF, the task priority or the lines in service, and
   * blocked from its delivery until the next `iret` (its in-service bit is that blocking); it takes no EOI.
   */
  nmi?: true;
  /**
   * `handler ... defers eoi`: the handler returns with its line in service (or active) on purpose, and the kernel
   * sends the EOI later (seL4's recorded IRQ): eoi-discipline does not report the return, only a line left in
   * service for good.
   */
  eoiDeferred?: true;
  /** `external`: may become pending on its CPUs at any instruction boundary. `ipi`: only through `raise`. */
  source: 'external' | 'ipi';
  /** CPUs it may arrive on (external lines); all CPUs when not restricted. */
  cpus: number[];
  /**
   * External lines: the most times it arrives by itself on each of its CPUs (`once`: 1, `at most N`: N), or null
   * for a periodic source, which arrives any number of times. `raise` makes a line pending without counting.
   */
  limit: number | null;
  /**
   * Whether fairness assumes the source fires while it still can (periodic and `once`: it will come); an
   * `at most N` source may stop at any time, never firing at all.
   */
  fair: boolean;
  /** Unit id of the handler bound to this line. Every line has exactly one handler. */
  handler: number;
  span: number;
}

/** A wait queue (Linux wait_queue_head_t, an xv6 sleep channel): the threads sleeping on it. */
export interface WaitQueueDecl {
  id: number;
  name: string;
  span: number;
}

export type LockKind = 'spin' | 'irqsave' | 'mutex';

export interface LockDecl {
  id: number;
  name: string;
  kind: LockKind;
  /** Held across a context switch and released by the thread that resumes (xv6 ptable.lock, Linux rq->lock). */
  handoff: boolean;
  span: number;
  /**
   * An element of a lock array (`lock rq_lock[cpu] : spin`): its array (the lock class, as lockdep names every
   * rq->lock one class), its index and the array's length. Elements are consecutive locks, element 0 first.
   */
  array?: { name: string; index: number; count: number; by: 'thread' | 'cpu' | 'size' };
}

/**
 * A declared run queue (`runqueue rq[cpu]`), one per element of an array: an ordered queue of ready threads.
 * A model without any has the one global run queue (`Layout.runQueue`).
 */
export interface RunQueueDecl {
  id: number;
  name: string; // `rq[1]` for an element of an array
  span: number;
  /** An element of a run-queue array: the array, its index and length, what indexes it. Consecutive ids. */
  array?: { name: string; index: number; count: number; by: 'thread' | 'cpu' | 'size' };
}

/**
 * The run queue an instruction or `rq_len` names: declared run queue `queue`, or with `index` element 0 of an
 * array whose element `index.expr` selects is the one (chosen when the step runs).
 */
export interface QueueRef {
  queue: number;
  index?: LockIndex;
}

/** An element of a lock array chosen at run time: `expr` (0-based) selects lock `lock + expr` of `count`. */
export interface LockIndex {
  expr: Expr;
  count: number;
}

/** A value type. Every value is stored as a non-negative integer code. */
export type ValueType =
  | { kind: 'bool' } // false = 0, true = 1
  | { kind: 'int'; min: number; max: number } // stored as value - min
  | { kind: 'enum'; name: string; members: string[] } // member index
  | { kind: 'thread' } // thread id 0..threads-1, `none` = threads
  | { kind: 'cpu' }; // cpu id 0..cpus-1

/**
 * `local`: a procedure-local variable (`local x : T` at the top of a thread body, procedure or handler): one
 * instance per activation, kept on the stack the activation runs on (section 1 of docs/semantics.md).
 */
export type VarScope = 'global' | 'percpu' | 'perthread' | 'local';

export interface VarDecl {
  id: number;
  name: string;
  scope: VarScope;
  type: ValueType;
  /** Array length for `T[N]`, `T[thread]`, `T[cpu]` (already resolved to a number); null for scalars. */
  length: number | null;
  /** Initial value as a stored code (value - min for ints), one per element (elements x scope instances). */
  init: number;
  span: number;
  /** Locals only: the unit (thread body, procedure or handler) whose activations have it. */
  unit?: number;
}

export type ForgedFrame = 'switch' | 'iret' | 'eret' | 'call';
export type ThreadStart = { kind: 'running'; cpu: number } | { kind: 'ready' } | { kind: 'dormant' };

export interface ThreadDecl {
  id: number; // thread id, 0-based; arrays expand to one ThreadDecl per instance
  name: string; // `worker[1]` for array instances
  /** Name of the declaration it came from (`worker`) and the instance index (0 for scalars). */
  group: string;
  index: number;
  start: ThreadStart;
  /** How its first resumption finds its stack, for threads that do not start running: the top frame's kind. */
  forged: ForgedFrame;
  /**
   * Every forged frame, top first (`forged ret_from_fork, iret`): its kind and the unit it returns to (null: the
   * start of the thread's body). One frame of kind `forged` returning to the body when the model says no more.
   */
  forgedFrames: { kind: ForgedFrame; unit: number | null }[];
  /** Declared stack depth bound, in frames. */
  stackDepth: number;
  /** The unit holding its body (shared by every instance of an array). */
  unit: number;
  span: number;
  /**
   * `waits for COND`: what the thread waits for when it blocks, `self` bound to this instance; no-deadlock's lost
   * wake-up is the thread blocked for good while it holds (absent: blocked for good at all).
   */
  waitsFor?: Expr;
}

export interface HandlerStack {
  /** Per-CPU stack the handler runs on (x86 IST-like); null = the interrupted context's stack. */
  depth: number;
}

// ---------------------------------------------------------------------------------------------------------
// Expressions (typed, names resolved)

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export type Expr =
  | { kind: 'const'; value: number; type: ValueType } // an int's value, a bool as 0/1, an enum member's index, a thread id
  | { kind: 'var'; var: number; index: Expr | null; instance: Instance; type: ValueType }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr; type: ValueType }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; type: ValueType }
  | { kind: 'current'; type: ValueType } // current thread of the executing CPU
  | { kind: 'cpu'; type: ValueType } // the executing CPU
  | { kind: 'self'; type: ValueType } // the thread instance whose body is executing (thread units only)
  | { kind: 'thread_state'; thread: Expr; type: ValueType } // enum ThreadState
  | { kind: 'holder'; lock: number; index?: LockIndex; type: ValueType } // thread holding the lock, or none
  | { kind: 'rq_len'; queue?: QueueRef; type: ValueType } // without `queue`: the default run queue (4.5)
  /** The executing CPU's state: IF / !PSTATE.I (bool), its current thread's preempt_count, its hardirq depth. */
  | { kind: 'cpu_state'; what: CpuStateRead; type: ValueType }
  /** Line `line`'s pending or in-service (GIC: active) bit on the executing CPU (bool): reading the IRR or the ISR. */
  | { kind: 'line_state'; what: 'pending' | 'in_service'; line: number; type: ValueType }
  /** How many threads wait on wait queue `wq` (Linux's waitqueue_active() is `wq_len(W) > 0`). */
  | { kind: 'wq_len'; wq: number; type: ValueType }
  | { kind: 'thread_of'; group: string; first: number; count: number; index: Expr; type: ValueType }; // worker[i]

/**
 * Which instance of a per-CPU or per-thread variable: the executing CPU / current thread, or an explicit
 * one. Global variables always use `{ kind: 'global' }`.
 */
export type CpuStateRead = 'irqs_enabled' | 'preempt_count' | 'softirq_count' | 'hardirq_count' | 'from_user' | 'pmr';

/** The largest preempt_count (preempt_disable beyond it is an assertions violation). */
export const PREEMPT_MAX = 15;

export type Instance = { kind: 'global' } | { kind: 'this' } | { kind: 'of'; which: Expr };

export const THREAD_STATES = ['dormant', 'ready', 'running', 'blocked', 'exited'] as const;
export type ThreadState = (typeof THREAD_STATES)[number];

export type RmwKind = 'xchg' | 'cmpxchg' | 'fetch_add';

export interface LValue {
  var: number;
  index: Expr | null;
  instance: Instance;
}

// ---------------------------------------------------------------------------------------------------------
// Instructions. Jump targets are indexes into the same unit's `code`. Every unit ends in a terminator.

export type Instr = (
  | { op: 'work' }
  | { op: 'assign'; target: LValue; value: Expr }
  | { op: 'branch'; cond: Expr; ifFalse: number } // falls through when cond holds
  | { op: 'jump'; target: number }
  | { op: 'call'; unit: number }
  | { op: 'ret' }
  /** `warnOn`: Linux's WARN_ON: a non-fatal assertions violation when `cond` holds (else: fatal when it fails). */
  | { op: 'assert'; cond: Expr; message: string; warnOn?: true }
  | { op: 'cli' }
  | { op: 'sti' }
  | { op: 'irqsave' } // push a flags frame holding the interrupt-enable bit, then mask
  | { op: 'irqrestore' } // pop a flags frame, restore the interrupt-enable bit (no shadow)
  | { op: 'eoi'; line: number }
  | { op: 'eoi_highest' } // x86 LAPIC EOI register, 8259 non-specific EOI: the highest-priority in-service line
  | { op: 'tpr'; value: Expr } // x86 LAPIC: write the task-priority register
  | { op: 'ack'; line: number }
  /** aarch64: clear line `line`'s pending bit on this CPU (GICD_ICPENDR / GICR_ICPENDR0, Cortex-M's PENDSVCLR). */
  | { op: 'unpend'; line: number }
  | { op: 'iret' }
  | { op: 'eret' }
  | { op: 'hlt' }
  | { op: 'wfi' }
  // The wait point after a `hlt` / `wfi` (lowered as the instruction, then this): a CPU here is halted. It has no
  // step after `hlt`; after `wfi` its step is the wait completing (a wake-up event, or spuriously). An interrupt
  // taken here returns past it.
  | { op: 'halted'; by: 'hlt' | 'wfi' }
  | { op: 'raise'; line: number; cpu: Expr | null } // null = every other CPU
  | { op: 'irq_exit' }
  | { op: 'save_elr' }
  | { op: 'restore_elr' }
  // `lock` is the lock, or with `index` element 0 of a lock array, the element taken chosen when the step runs.
  | { op: 'acquire'; lock: number; index?: LockIndex }
  | { op: 'release'; lock: number; index?: LockIndex }
  | { op: 'try_acquire'; lock: number; index?: LockIndex; target: LValue }
  | { op: 'ack_read'; target: LValue } // GIC: read ICC_IAR1_EL1 into `target` (the INTID acknowledged, or 1023)
  /**
   * One atomic read-modify-write of `cell` (Linux's xchg(), cmpxchg(), atomic_fetch_add()): `target` := the old
   * value, read through `read` (the cell as an expression, of the target's type); `cell` := the operand (xchg),
   * the second operand if the old value equals the first (cmpxchg), or the old value plus the operand (fetch_add).
   */
  | { op: 'rmw'; kind: RmwKind; target: LValue; cell: LValue; read: Expr; operands: Expr[] }
  | { op: 'eoi_id'; value: Expr } // GIC: write ICC_EOIR1_EL1 with the INTID `value`
  | { op: 'pmr'; value: Expr } // GIC: write ICC_PMR_EL1, the priority mask
  | { op: 'deactivate'; value: Expr } // GIC EOImode 1: write ICC_DIR_EL1 with the INTID `value`
  // `on` / `from`: a declared run queue; without it the default run queue (docs/semantics.md 4.5).
  | { op: 'enqueue'; thread: Expr; on?: QueueRef }
  | { op: 'pick'; target: LValue; from?: QueueRef }
  | { op: 'wake'; thread: Expr; on?: QueueRef }
  | { op: 'spawn'; thread: Expr; on?: QueueRef }
  | { op: 'dequeue'; thread: Expr; from?: QueueRef } // off the run queue (a migration's first half); state unchanged
  | { op: 'switch_to'; thread: Expr }
  | { op: 'restore_context'; thread: Expr }
  | { op: 'exit' }
  | { op: 'free_stack'; thread: Expr }
  // The context switch in separate steps, as real code does it: the stack pointer saved into a thread, loaded from
  // one, and the software `current` written on its own.
  // A process table (xv6's ptable): the first thread for which `cond` holds with `target` naming it, else none
  // (the run queue is untouched); a thread's state written by the design.
  | { op: 'pick_where'; target: LValue; cond: Expr }
  | { op: 'set_state'; thread: Expr; value: Expr }
  | { op: 'save_sp'; thread: Expr }
  | { op: 'load_sp'; thread: Expr }
  | { op: 'set_current'; thread: Expr }
  | { op: 'sleep'; queue: number } // prepare_to_wait, then call the machine's scheduler procedure
  | { op: 'prepare_to_wait'; queue: number } // on the queue, state blocked; it keeps running until it schedules
  | { op: 'finish_wait'; queue: number } // off the queue, state running
  | { op: 'wake_one'; queue: number }
  | { op: 'wake_all'; queue: number }
  | { op: 'preempt_disable' } // the current thread's preempt_count + 1
  | { op: 'preempt_enable' } // the current thread's preempt_count - 1
  | { op: 'local_bh_disable' } // the current thread's softirq count + 1 (bottom halves disabled)
  | { op: 'local_bh_enable' } // the current thread's softirq count - 1
  // Privilege levels (docs/semantics.md 4.7): the first return to user mode at a `user` block's start, the
  // system calls and software interrupts user code makes, and SYSRET back to user mode.
  | { op: 'to_user' }
  | { op: 'syscall' } // x86_64 SYSCALL and the entry's switch to the kernel stack: into the machine's syscall procedure
  | { op: 'svc' } // aarch64 SVC: an exception to EL1 (ELR/SPSR written) into the machine's syscall procedure
  | { op: 'sysret' } // x86_64 SYSRET: back to user mode through the frame the syscall entry saved
  | { op: 'int'; line: number } // x86_64 INT n: a software interrupt through line n's gate
  | { op: 'end' } // end of a thread body: the thread exits and its CPU stops
  // A nondeterministic choice (`either`, `x := any LO..HI`): the CPU at `choose` takes one of the `count`
  // instructions after it, each an `alternative`, as its step; `choose` itself never executes.
  | { op: 'choose'; count: number }
  /** Alternative `index` (from 0) of the `choose` just before the alternatives: assign, then continue at `target`. */
  | { op: 'alternative'; index: number; target: number; assign: { target: LValue; value: Expr } | null }
) & { span: number };

export type UnitKind = 'thread' | 'proc' | 'handler';

export interface Unit {
  id: number;
  kind: UnitKind;
  name: string;
  code: Instr[];
  /** Handlers only: the line(s) bound to it and its own stack, if declared. */
  lines: number[];
  stack: HandlerStack | null;
  span: number;
  /** Thread bodies: the pc ranges [from, to) of its `user` blocks' code, which runs in user mode. */
  user?: readonly (readonly [number, number])[];
}

export interface Invariant {
  name: string;
  cond: Expr;
  span: number;
}

export const PROPERTY_IDS = [
  'no-deadlock',
  'stack-integrity',
  'lock-order',
  'irq-lock-safety',
  'eoi-discipline',
  'atomic-sleep',
  'no-starvation',
  'irq-latency',
  'assertions',
] as const;
export type PropertyId = (typeof PROPERTY_IDS)[number];

export interface Expectation {
  property: PropertyId;
  verdict: 'holds' | 'violated';
  span: number;
}

/** The interrupt controller a machine declares (`machine { controller ... }`), docs/language.md. */
export type Controller = 'lapic' | 'i8259' | 'gic';
/** GIC (IHI 0069, 2.2): INTIDs 0 to 1019 are interrupts (SGI 0-15, PPI 16-31, SPI 32-1019); 1023 reads as spurious. */
export const GIC_MAX_INTID = 1019;
export const GIC_SPURIOUS = 1023;
/** The GIC priority value Linux gives every interrupt (GICD_INT_DEF_PRI in include/linux/irqchip/arm-gic-common.h). */
export const GIC_DEFAULT_PRIORITY = 0xa0;
/** The priority mask Linux writes before it enables interrupts (DEFAULT_PMR_VALUE in drivers/irqchip/irq-gic-v3.c). */
export const GIC_BOOT_PMR = 0xf0;

export interface Program {
  file: string;
  arch: Arch;
  cpus: number;
  /** Constants after `--set` overrides, for reports. */
  constants: Record<string, number>;
  lines: IrqLine[];
  locks: LockDecl[];
  waitQueues: WaitQueueDecl[];
  /** Declared run queues; the first is the default (docs/semantics.md 4.5). Absent or empty: the global one. */
  runQueues?: RunQueueDecl[];
  vars: VarDecl[];
  threads: ThreadDecl[];
  units: Unit[];
  /** Unit id of the procedure a contended mutex sleeps into (`machine { scheduler PROC }`), or null. */
  scheduler: number | null;
  /** Declared bound for irq-latency in steps, or null when none was declared. */
  latencyBound: number | null;
  /**
   * `lapic` (x86_64 `controller lapic`): each line's number is its vector, its priority the vector's class
   * (vector >> 4), the higher vector wins within a class, and each CPU has a task-priority register. `i8259`
   * (x86_64): one 8259A in fully nested mode, IR0 the highest priority. `gic` (aarch64): a line's number is its
   * INTID, its priority 256 - the GIC priority value, and every IRQ enters the one vector. Else null.
   */
  controller: Controller | null;
  /** GIC with EOImode 1 (`controller gic eoimode 1`): EOIR only drops the priority, DIR deactivates. */
  gicSplitEoi?: boolean;
  /**
   * The preempt_count the scheduler switches with (`machine { preempt_offset N }`, default 0): Linux's schedule()
   * disables preemption before __schedule() switches, and checks for "scheduling while atomic" against that
   * (PREEMPT_DISABLE_OFFSET). A `switch_to` or `restore_context` with a larger count is atomic-sleep.
   */
  preemptOffset: number;
  /** `machine { boot masked }`: every CPU starts with interrupts masked (IF = 0, PSTATE.I = 1), as a CPU comes out of reset. */
  bootMasked?: true;
  /** Unit id of the procedure `syscall` / `svc` enters (`machine { syscall PROC }`: IA32_LSTAR, the EL0 SVC vector). */
  syscall?: number | null;
  invariants: Invariant[];
  expectations: Expectation[];
  spans: SourceSpan[];
  layout: import('./layout.js').Layout;
}
