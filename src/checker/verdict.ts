// What an engine says about one property of one model. Every report format (text, JSON, ITF, JUnit, SARIF,
// DOT, SVG) and the gate read these types and nothing else.

import type { PropertyId } from '../ir/ir.js';

export type EngineId = 'explicit' | 'smt';

export interface Stats {
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
}

/** Why a run stopped before it could decide. */
export type InconclusiveReason = 'max-states' | 'max-depth' | 'timeout' | 'max-memory' | 'not-checkable';

export type Verdict =
  | { verdict: 'holds'; complete: boolean }
  | { verdict: 'violated'; counterexample: Counterexample }
  | { verdict: 'inconclusive'; reason: InconclusiveReason; detail: string };

export type PropertyResult = Verdict & {
  property: PropertyId;
  engine: EngineId;
  /** `seconds`: from the start of the engine's run to this property's verdict (docs/cli.md). */
  stats: Stats;
  /** Liveness: the fairness assumption the verdict is relative to. */
  fairness?: string;
  /** The SMT engine's `holds`, and the proved part of a property it decides in part: what the proof rests on. */
  proof?: SmtProof;
  /** A property this engine cannot decide (or decides only in part): the engine that decides it. */
  decidableBy?: EngineId;
};

/**
 * What an SMT proof rests on (docs/smt.md, "What a proof rests on").
 * - `explicit-recheck`: k-induction whose invariant is the reachable set a complete explicit search enumerated,
 *   proved closed by Z3: the explicit result re-checked by SMT with an independent encoding, nothing beyond it;
 * - `k-induction`: k-induction with no invariant or one Z3 proved inductive on its own (Houdini): a proof for
 *   paths of any length that no state enumeration underlies;
 * - `exhausted`: bounded model checking searched every simple path from the initial state (there is none longer);
 * - `vacuous`: the property has nothing to search for in this model (irq-lock-safety of a model without locks);
 * - `ic3`: an inductive invariant over the state's bits found by ABC's IC3 (`pdr`) on the bit-level system and
 *   checked by Z3 against the SMT relation (initial, closed under a step, excludes every target): a proof for
 *   paths of any length that no state enumeration underlies (`--pdr`).
 */
export interface SmtProof {
  method: 'explicit-recheck' | 'k-induction' | 'exhausted' | 'vacuous' | 'ic3';
  k: number;
  /** The configuration the proof holds for: the model's constants as checked (after `--set`). */
  configuration: Record<string, number>;
  /**
   * k-induction whose invariant kept candidates learned from these smaller configurations (their constants,
   * explored completely): they suggested the invariant; the proof is of `configuration` alone.
   */
  learnedFrom?: Record<string, number>[];
  /** `ic3`: the AIG ABC read (latches, AND gates), the invariant's clauses, and the seconds of each stage. */
  ic3?: { latches: number; ands: number; clauses?: number; buildSeconds: number; abcSeconds: number; checkSeconds: number };
}

/** The words the reports use for a proof's method (text report, docs/smt.md). */
export const PROOF_WORDS: Record<SmtProof['method'], string> = {
  'explicit-recheck': 'the explicit result re-checked by SMT',
  'k-induction': 'proved for paths of any length',
  exhausted: 'every path searched',
  vacuous: 'nothing to search for',
  ic3: 'proved by IC3 (ABC), its invariant checked by Z3',
};

/** Figures kernel developers size their kernels by, from a complete explicit exploration. */
export interface Figures {
  /** Worst-case depth in frames of every thread stack and every handler stack (`cpu0.hstack.nmi`). */
  stackDepth: Record<string, { worst: number; declared: number }>;
  /** Longest window with interrupts masked on some CPU, in that CPU's steps; null when unbounded. */
  maskedWindow: { steps: number | null; cpu: number } | null;
}

export interface CheckReport {
  model: string;
  results: PropertyResult[];
  figures?: Figures;
  /** Present when the run used a reduction (check options `hashCompaction`, `symmetry`). */
  reductions?: ReductionReport;
}

/** What a reduction did to a run. */
export interface ReductionReport {
  /**
   * The visited set kept 64-bit fingerprints instead of states: a `holds` is complete except with probability
   * `collisionProbability` (two reachable states with one fingerprint hide the second; TLC's estimate).
   */
  hashCompaction?: { fingerprintBits: number; bytesPerState: number; collisionProbability: number };
  /** One state was kept per permutation of these groups of interchangeable threads (none: nothing reduced). */
  symmetry?: { groups: string[] };
}

// ---------------------------------------------------------------------------------------------------------
// Counterexamples

export interface FrameView {
  kind: 'call' | 'irq' | 'exc' | 'flags' | 'switch';
  /** Human text: `irq frame (timer, IF=1, worker[0] @ main.sched:12)`. */
  text: string;
}

export interface CpuView {
  cpu: number;
  /** `thread worker[0]`, `handler timer (on worker[0])`, `stopped`. */
  context: string;
  /** Interrupts enabled (x86 IF, aarch64 !PSTATE.I). */
  ie: boolean;
  hardirq: number;
  locksHeld: string[];
  /** Frames of the stack the CPU is running on, bottom first. */
  stack: FrameView[];
  pending: string[];
  inService: string[];
  /** aarch64: `live: ...`, `saved: ...` or `empty`. */
  elr?: string;
  // Only where the state has them:
  /** `controller lapic`: the task-priority class (TPR bits 7:4). */
  tpr?: number;
  /** Lines with a bounded source (`once`, `at most N`): how often each has arrived on this CPU, of how many. */
  arrived?: { line: string; count: number; limit: number }[];
  /** The current thread's preempt_count (a model with preempt_disable / preempt_enable). */
  preemptCount?: number;
  /** The current thread's softirq count (a model with local_bh_disable / local_bh_enable). */
  softirqCount?: number;
  /** A split switch (`load_sp`): the thread whose stack the CPU runs on, when it is not the current thread. */
  onStackOf?: string;
}

/** One dependency of a lock-order cycle, traced from the initial state to the acquire that first showed it. */
export interface CycleTrace {
  /** `SCHED -> PROC, first seen in handler timer (on boot[0]) on CPU 0 at file:69 (acquire PROC)`. */
  title: string;
  length: number;
  steps: TraceStep[];
}

export interface StateView {
  cpus: CpuView[];
  threads: { name: string; state: string; stack: FrameView[] }[];
  locks: { name: string; holder: string | null }[];
  /** The run queue's threads, head first; in a model that declares run queues, one `rq[0]: a b` per queue. */
  runQueue: string[];
  /** Model variables by display name (`quantum`, `need_resched@cpu0`). */
  vars: Record<string, string>;
  /** A model with wait queues: each queue's waiting threads, in the order they began to wait. */
  waitQueues?: { name: string; waiters: string[] }[];
}

import type { StepKind } from '../ir/model.js';
export type { StepKind };

export interface TraceStep {
  /** 0 is the initial state; step i leads from state i-1 to state i. */
  index: number;
  kind: StepKind;
  cpu: number | null;
  /** Context that executed the step (before it), as in CpuView.context. */
  context: string;
  /** `acquire LOOM`, `interrupt timer delivered`, `timer becomes pending`. */
  label: string;
  /** Source span id of the instruction (Program.spans), or null for hardware events. */
  span: number | null;
  /** `file:line` and the trimmed source line, for reports that cannot read the program. */
  location: string | null;
  sourceLine: string | null;
  /** The machine after the step. */
  state: StateView;
}

export interface Counterexample {
  property: PropertyId;
  /** One sentence a kernel developer understands: what went wrong, where. */
  message: string;
  /** Number of transitions (steps.length - 1). */
  length: number;
  steps: TraceStep[];
  /** For liveness lassos: index into `steps` where the repeating loop starts. */
  loop?: number;
  /** Lockdep-style "possible unsafe locking scenario" table lines, and who holds / waits for what. */
  scenario?: string[];
  details?: string[];
  /** Span id of the violating instruction, for SARIF and graphs; null when the violation is a state. */
  violationSpan: number | null;
  /** lock-order only: every edge of the lock dependency graph observed over the explored states. */
  lockGraph?: LockEdge[];
  /**
   * A lock-order cycle: a trace of each other half of the cycle, in the context that took it (`steps` trace
   * the half that closed the cycle).
   */
  cycleTraces?: CycleTrace[];
}

/**
 * An edge of the lock dependency graph: `to` was acquired while `from` was held (lockdep's A -> B). A lock
 * taken recursively is an edge from the lock to itself. Where it was first observed (the shortest path, under
 * BFS) is what the lock graph labels the edge with.
 */
export interface LockEdge {
  from: string;
  to: string;
  /** Context that acquired `to`, as in CpuView.context: `thread worker[0]`, `handler timer (on worker[0])`. */
  context: string;
  /** Span id of the `acquire to` instruction (Program.spans), and its `file:line`, for reports without it. */
  span: number | null;
  location: string | null;
}
