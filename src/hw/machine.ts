// The machine a program runs on: tables derived once from the IR (instructions by global pc, jump chains, line
// priorities), and read-only accessors over packed states for the readers outside a step (views, properties,
// reports, conformance). Steps read and write state through access.ts, in any instantiation; the questions
// asked here about what a CPU can do are answered by the same rules (transition.ts), concretely.

import type { Instr, Program, ThreadState, Unit } from '../ir/ir.js';
import { THREAD_STATES } from '../ir/ir.js';
import { ELR_STATES, readSlot, type Layout, type RunQueueSlots, type Slot, type StackSlots } from '../ir/layout.js';
import { ActionKind, actionArg, actionKind, type Action } from '../ir/model.js';
import { Access } from './access.js';
import { concrete } from './domain.js';
import { decodeFrame, type Frame } from './frames.js';
import { ConcreteState } from './state.js';
import { awaits, canStillArrive, deliverable, instructionActions, spuriousWakeUp, urgency, waiting } from './transition.js';
import { highestInService } from './x86_64.js';
import { acknowledgedLine } from './aarch64.js';

export type ElrState = (typeof ELR_STATES)[number];

export class Machine {
  readonly cpus: number;
  readonly threads: number;
  /** The `none` thread value. */
  readonly none: number;
  /** Instruction at each global pc. */
  readonly code: Instr[] = [];
  /** Unit id of each global pc. */
  readonly unitOf: Int32Array;
  /** Each pc after following jumps; a jump cycle (an empty `loop {}`) resolves to the jump itself. */
  readonly resolved: Int32Array;
  /** Lines in the order urgent delivery prefers them: higher priority first, then lower line id. */
  readonly linesByUrgency: number[];
  /** For each line, the mask of lines whose being in service/active holds it off (priority >= its own). */
  readonly blockers: number[];
  /** The `nmi` lines (x86's non-maskable interrupt), as a mask of line bits; 0 without any. */
  readonly nmiLines: number;
  /** The lines whose handlers return before their EOI on purpose (`defers eoi`), as a mask. */
  readonly deferredEoiLines: number;
  /** Per CPU, the external lines that may arrive on it. */
  readonly arrivals: number[][];
  /** Handler-stack index (into CpuSlots.handlerStacks) of each unit, or -1. */
  readonly handlerStackOf: Int32Array;
  /**
   * Per pc, the pcs named by the step actions of a CPU whose pc it is: the pc itself, or the alternatives of a
   * `choose` (one step action each: the choice is the CPU's nondeterminism). None at an alternative's own pc,
   * which no CPU is ever at.
   */
  readonly stepsAt: number[][];
  /** Per pc named by a step action, the pc the CPU is at when it takes it: an alternative's `choose`, else itself. */
  readonly stepFrom: Int32Array;
  /** The pcs of user-mode code (the code of `user` blocks): a CPU whose pc is one runs in user mode. */
  readonly userPcs: number[];
  private readonly userPc: Uint8Array;

  constructor(
    readonly program: Program,
    readonly layout: Layout,
  ) {
    this.cpus = program.cpus;
    this.threads = program.threads.length;
    this.none = this.threads;
    const total = layout.stoppedPc;
    this.unitOf = new Int32Array(total);
    for (const unit of program.units) {
      unit.code.forEach((instr, i) => {
        this.code[layout.pcBase[unit.id]! + i] = instr;
        this.unitOf[layout.pcBase[unit.id]! + i] = unit.id;
      });
    }
    this.resolved = new Int32Array(total);
    for (let pc = 0; pc < total; pc++) this.resolved[pc] = this.followJumps(pc);
    this.stepFrom = new Int32Array(total);
    this.stepsAt = [];
    for (let pc = 0; pc < total; pc++) {
      const instr = this.code[pc]!;
      this.stepFrom[pc] = instr.op === 'alternative' ? pc - instr.index - 1 : pc;
      this.stepsAt.push(instr.op === 'choose' ? Array.from({ length: instr.count }, (_, i) => pc + 1 + i) : instr.op === 'alternative' ? [] : [pc]);
    }

    // Within a priority, the lower line id first; with a local APIC, the higher vector (SDM vol. 3A 11.8.3); with
    // a GIC, the lower INTID (IHI 0069 4.8.1 leaves the choice among equal priorities to the implementation).
    const lapic = program.controller === 'lapic';
    const gic = program.controller === 'gic';
    this.linesByUrgency = program.lines
      .map((l) => l.id)
      .sort((a, b) => {
        const [la, lb] = [program.lines[a]!, program.lines[b]!];
        return Number(lb.nmi === true) - Number(la.nmi === true) || lb.priority - la.priority || (lapic ? lb.number - la.number : gic ? la.number - lb.number : a - b);
      });
    this.nmiLines = program.lines.reduce((mask, l) => (l.nmi === true ? mask | (1 << l.id) : mask), 0);
    this.deferredEoiLines = program.lines.reduce((mask, l) => (l.eoiDeferred === true ? mask | (1 << l.id) : mask), 0);
    // An NMI is held off only by its own blocking, and holds off no maskable line (SDM vol. 3A 6.7.1).
    this.blockers = program.lines.map((line) =>
      line.nmi === true
        ? 1 << line.id
        : program.lines.reduce((mask, other) => (other.nmi !== true && other.priority >= line.priority ? mask | (1 << other.id) : mask), 0),
    );
    this.arrivals = Array.from({ length: this.cpus }, (_, c) =>
      this.linesByUrgency.filter((l) => {
        const line = program.lines[l]!;
        return line.source === 'external' && (line.cpus.length === 0 || line.cpus.includes(c));
      }),
    );
    this.handlerStackOf = new Int32Array(program.units.length).fill(-1);
    layout.handlerStackUnits.forEach((u, k) => (this.handlerStackOf[u] = k));
    this.userPcs = program.units.flatMap((u) =>
      (u.user ?? []).flatMap(([from, to]) => Array.from({ length: to - from }, (_, i) => layout.pcBase[u.id]! + from + i)),
    );
    this.userPc = new Uint8Array(total + 1);
    for (const pc of this.userPcs) this.userPc[pc] = 1;
  }

  /** `pc` is user-mode code (x86_64 CPL 3, aarch64 EL0). */
  isUserPc(pc: number): boolean {
    return this.userPc[pc] === 1;
  }
  /** CPU `c` runs user-mode code. */
  inUserMode(s: Uint32Array, c: number): boolean {
    return this.userPcs.length > 0 && this.isUserPc(readSlot(s, this.layout.cpus[c]!.pc));
  }

  private followJumps(pc: number): number {
    const seen = new Set<number>();
    let at = pc;
    for (;;) {
      const instr = this.code[at];
      if (instr === undefined || instr.op !== 'jump') return at;
      if (seen.has(at)) return pc; // an empty loop: stays on its jump, which then steps to itself
      seen.add(at);
      at = this.layout.pcBase[this.unitOf[at]!]! + instr.target;
    }
  }

  /** The pc execution continues at, jumps followed (the stopped pc stays as it is). */
  resolve(pc: number): number {
    return pc < this.resolved.length ? this.resolved[pc]! : pc;
  }

  unitAt(pc: number): Unit | null {
    return pc < this.unitOf.length ? this.program.units[this.unitOf[pc]!]! : null;
  }

  unitStart(unit: number): number {
    return this.resolve(this.layout.pcBase[unit]!);
  }

  // ------------------------------------------------------------------------------------------------------
  // CPU state

  read(s: Uint32Array, slot: Slot): number {
    return readSlot(s, slot);
  }

  pc(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.pc);
  }
  stopped(s: Uint32Array, c: number): boolean {
    return this.pc(s, c) === this.layout.stoppedPc;
  }
  current(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.current);
  }
  /** The thread whose stack CPU `c` runs on when on a thread stack (`current` unless the model splits the switch). */
  stackOwner(s: Uint32Array, c: number): number {
    const slot = this.layout.cpus[c]!.sp;
    return slot === null ? this.current(s, c) : readSlot(s, slot);
  }
  ie(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.ie);
  }
  shadow(s: Uint32Array, c: number): number {
    const slot = this.layout.cpus[c]!.shadow;
    return slot === null ? 0 : readSlot(s, slot);
  }
  hardirq(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.hardirq);
  }
  pending(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.pending);
  }
  inService(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.inService);
  }
  /** The task-priority class of CPU `c`'s local APIC (0 without one). */
  tpr(s: Uint32Array, c: number): number {
    const slot = this.layout.cpus[c]!.tpr;
    return slot === null ? 0 : readSlot(s, slot);
  }
  stackSel(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.stackSel);
  }
  elrState(s: Uint32Array, c: number): ElrState {
    const slot = this.layout.cpus[c]!.elrState;
    return slot === null ? 'empty' : ELR_STATES[readSlot(s, slot)]!;
  }
  elr(s: Uint32Array, c: number): Frame {
    const slot = this.layout.cpus[c]!.elr;
    return decodeFrame(this.layout.frame, slot === null ? 0 : readSlot(s, slot));
  }

  // ------------------------------------------------------------------------------------------------------
  // Threads, locks, run queue

  threadState(s: Uint32Array, t: number): ThreadState {
    return THREAD_STATES[readSlot(s, this.layout.threads[t]!.state)]!;
  }
  softirqCount(s: Uint32Array, t: number): number {
    const slot = this.layout.threads[t]!.softirq;
    return slot === null ? 0 : readSlot(s, slot);
  }
  preemptCount(s: Uint32Array, t: number): number {
    const slot = this.layout.threads[t]!.preempt;
    return slot === null ? 0 : readSlot(s, slot);
  }
  freed(s: Uint32Array, t: number): boolean {
    return readSlot(s, this.layout.threads[t]!.freed) === 1;
  }
  /** The CPU that runs thread `t` (it is current there and the CPU has not stopped), or -1. */
  cpuRunning(s: Uint32Array, t: number): number {
    for (let c = 0; c < this.cpus; c++) if (this.current(s, c) === t && !this.stopped(s, c)) return c;
    return -1;
  }

  lockOwner(s: Uint32Array, lock: number): number {
    return readSlot(s, this.layout.locks[lock]!.owner);
  }
  lockLevel(s: Uint32Array, lock: number): number {
    return readSlot(s, this.layout.locks[lock]!.level);
  }
  /** Locks held by thread `t`, optionally only those taken at interrupt-context depth `level`. */
  locksHeldBy(s: Uint32Array, t: number, level: number | null = null): number[] {
    const held: number[] = [];
    for (let l = 0; l < this.layout.locks.length; l++) {
      if (this.lockOwner(s, l) === t + 1 && (level === null || this.lockLevel(s, l) === level)) held.push(l);
    }
    return held;
  }

  /** The threads in run queue `q` (the global one by default), head first. */
  runQueue(s: Uint32Array, q: RunQueueSlots = this.layout.runQueue): number[] {
    const len = readSlot(s, q.len);
    return Array.from({ length: len }, (_, i) => readSlot(s, q.entries[i]!));
  }
  queued(s: Uint32Array, t: number): boolean {
    return [this.layout.runQueue, ...this.layout.runQueues].some((q) => this.runQueue(s, q).includes(t));
  }

  // ------------------------------------------------------------------------------------------------------
  // Stacks

  /** The stack CPU `c` runs on: its current thread's, or one of its handler stacks. */
  currentStack(s: Uint32Array, c: number): StackSlots {
    const sel = this.stackSel(s, c);
    return sel === 0 ? this.layout.threads[this.stackOwner(s, c)]!.stack : this.layout.cpus[c]!.handlerStacks[sel - 1]!;
  }

  /** `worker[0]'s stack`, `the timer handler stack of CPU 0`: how overflow messages name a stack. */
  stackName(stack: StackSlots): string {
    const t = this.layout.threads.findIndex((slots) => slots.stack === stack);
    if (t >= 0) return `${this.program.threads[t]!.name}'s stack`;
    for (let c = 0; c < this.cpus; c++) {
      const k = this.layout.cpus[c]!.handlerStacks.indexOf(stack);
      if (k >= 0) return `the ${this.program.units[this.layout.handlerStackUnits[k]!]!.name} handler stack of CPU ${c}`;
    }
    return 'a stack';
  }

  sp(s: Uint32Array, stack: StackSlots): number {
    return readSlot(s, stack.sp);
  }



  /**
   * The interrupt entries the code CPU `c` runs is nested in, as the hardware counts them: the interrupt frames
   * (x86 `irq`, aarch64 `exc`) on the stack it runs on, and on aarch64 a live ELR/SPSR pair. An entry counts
   * until its `iret`/`eret`, whatever the handler does to the software depth (`irq_exit`) before it; a thread
   * switched to resumes at the entries on its own stack. Fairness is stated over it (docs/liveness.md).
   */
  interruptLevel(s: Uint32Array, c: number): number {
    let level = this.elrState(s, c) === 'live' ? 1 : 0;
    // On a handler's own stack (x86 IST), the entry that switched to it records the stack it came from: the
    // entries there count too. Each handler stack is visited at most once.
    let sel = this.stackSel(s, c);
    for (let hops = 0; hops <= this.layout.cpus[c]!.handlerStacks.length; hops++) {
      const stack = sel === 0 ? this.layout.threads[this.stackOwner(s, c)]!.stack : this.layout.cpus[c]!.handlerStacks[sel - 1]!;
      const sp = readSlot(s, stack.sp);
      for (let i = 0; i < sp; i++) {
        const kind = decodeFrame(this.layout.frame, readSlot(s, stack.cells[i]!)).kind;
        if (kind === 'irq' || kind === 'exc') level++;
      }
      if (sel === 0 || sp === 0) break;
      sel = decodeFrame(this.layout.frame, readSlot(s, stack.cells[0]!)).stack;
    }
    return level;
  }

  frames(s: Uint32Array, stack: StackSlots): Frame[] {
    const sp = readSlot(s, stack.sp);
    return stack.cells.slice(0, sp).map((cell) => decodeFrame(this.layout.frame, readSlot(s, cell)));
  }

  // ------------------------------------------------------------------------------------------------------
  // What a CPU can do: the rules of transition.ts, asked concretely

  /** The rules' accessors over packed states (the concrete instantiation). */
  get access(): Access {
    return (this.concreteAccess ??= new Access(this, concrete));
  }
  private concreteAccess: Access | undefined;

  /** A view of `s` for the rules' questions: one, pointed at each state asked about (they run one at a time). */
  private view(s: Uint32Array): ConcreteState {
    const v = (this.scratchView ??= new ConcreteState(this, s, null, []));
    v.s = s;
    return v;
  }
  private scratchView: ConcreteState | undefined;

  /**
   * The instruction action CPU `c` can take at its pc when it takes no interrupt: `step`, `maskWait` (a contended
   * irqsave acquire with interrupts on masks them first), or null (instructionActions).
   */
  stepKind(s: Uint32Array, c: number): ActionKind | null {
    const can = instructionActions(this.access, this.view(s), c, this.pc(s, c));
    return can.step === true ? ActionKind.step : can.maskWait === true ? ActionKind.maskWait : null;
  }

  /** Thread `t`, if blocked, waits for something (transition.ts awaits): not idle by its `waits for`. */
  awaits(s: Uint32Array, t: number): boolean {
    return awaits(this.access, this.view(s), t) === true;
  }

  /** What waits in `s`, for no-deadlock (waiting). */
  waiting(s: Uint32Array): { threads: boolean; busy: boolean[]; pending: boolean[] } {
    const w = waiting(this.access, this.view(s));
    return { threads: w.threads === true, busy: w.busy.map((b) => b === true), pending: w.pending.map((p) => p === true) };
  }

  /**
   * Whether `action` is the step of a halted point: a `hlt` or `wfi` completing. A `wfi`'s, with nothing pending,
   * is a spurious wake-up (spuriousWakeUp), which may happen but never has to: no-deadlock counts no such step as
   * a way out.
   */
  haltedStep(action: Action): boolean {
    return actionKind(action) === ActionKind.step && this.code[actionArg(action)]!.op === 'halted';
  }

  /** CPU `c` is halted in `wfi` with nothing pending: its step would be a spurious wake-up (spuriousWakeUp). */
  spuriousWakeUp(s: Uint32Array, c: number): boolean {
    return spuriousWakeUp(this.access, this.view(s), c) === true;
  }

  /** Whether pending line `line` can be taken on CPU `c` now. */
  deliverable(s: Uint32Array, c: number, line: number): boolean {
    return deliverable(this.access, this.view(s), c, line) === true;
  }

  /**
   * Whether line `line`'s own source may still make it pending on CPU `c` in `s`, now or later (an external line
   * that arrives there and has arrivals left); `raise` aside, nothing else can.
   */
  canStillArrive(s: Uint32Array, c: number, line: number): boolean {
    return canStillArrive(this.access, this.view(s), c, line) === true;
  }

  /** The highest-priority line in service on CPU `c` (the one a bare `eoi` clears), or -1. */
  highestInService(s: Uint32Array, c: number): number {
    return highestInService(this.access, this.view(s), c).indexOf(true);
  }

  /** Whether CPU `c`'s GIC priority mask lets `line` through (always without a GIC). */
  pmrAllows(s: Uint32Array, c: number, line: number): boolean {
    return this.access.pmrAllows(this.view(s), c, line) === true;
  }

  /** GIC EOImode 1: the active lines of CPU `c` whose priority has been dropped (0 otherwise). */
  dropped(s: Uint32Array, c: number): number {
    return this.access.dropped(this.view(s), c) as number;
  }

  /** The line a read of the GIC's IAR on CPU `c` acknowledges (`x := ack`), or -1 (spurious). */
  acknowledgedLine(s: Uint32Array, c: number): number {
    return acknowledgedLine(this.access, this.view(s), c).indexOf(true);
  }

  /** The most urgent pending line that can be taken on CPU `c`, or -1. */
  urgentLine(s: Uint32Array, c: number): number {
    if (this.pending(s, c) === 0) return -1;
    return urgency(this.access, this.view(s), c).lines.indexOf(true);
  }
}
