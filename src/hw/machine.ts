// The machine a program runs on: tables derived once from the IR (instructions by global pc, jump chains, line
// priorities) and accessors over packed states. Everything that reads or writes machine state goes through
// here, so the packing stays in one place.

import type { Instr, Program, ThreadState, Unit } from '../ir/ir.js';
import { THREAD_STATES } from '../ir/ir.js';
import { ELR_STATES, readSlot, writeSlot, type Layout, type Slot, type StackSlots } from '../ir/layout.js';
import { ActionKind } from '../checker/model.js';
import { Fault } from './fault.js';
import { decodeFrame, encodeFrame, type Frame } from './frames.js';
import { acquireAction } from './locks.js';

export type ElrState = (typeof ELR_STATES)[number];

const STATE_CODE: Record<ThreadState, number> = {
  dormant: 0,
  ready: 1,
  running: 2,
  blocked: 3,
  exited: 4,
};

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
  /** Per CPU, the external lines that may arrive on it. */
  readonly arrivals: number[][];
  /** Handler-stack index (into CpuSlots.handlerStacks) of each unit, or -1. */
  readonly handlerStackOf: Int32Array;

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

    this.linesByUrgency = program.lines
      .map((l) => l.id)
      .sort((a, b) => program.lines[b]!.priority - program.lines[a]!.priority || a - b);
    this.blockers = program.lines.map((line) =>
      program.lines.reduce((mask, other) => (other.priority >= line.priority ? mask | (1 << other.id) : mask), 0),
    );
    this.arrivals = Array.from({ length: this.cpus }, (_, c) =>
      this.linesByUrgency.filter((l) => {
        const line = program.lines[l]!;
        return line.source === 'external' && (line.cpus.length === 0 || line.cpus.includes(c));
      }),
    );
    this.handlerStackOf = new Int32Array(program.units.length).fill(-1);
    layout.handlerStackUnits.forEach((u, k) => (this.handlerStackOf[u] = k));
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
  write(s: Uint32Array, slot: Slot, value: number): void {
    writeSlot(s, slot, value);
  }

  pc(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.pc);
  }
  setPc(s: Uint32Array, c: number, pc: number): void {
    writeSlot(s, this.layout.cpus[c]!.pc, this.resolve(pc));
  }
  stopped(s: Uint32Array, c: number): boolean {
    return this.pc(s, c) === this.layout.stoppedPc;
  }
  current(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.current);
  }
  ie(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.ie);
  }
  setIe(s: Uint32Array, c: number, ie: number): void {
    writeSlot(s, this.layout.cpus[c]!.ie, ie);
  }
  shadow(s: Uint32Array, c: number): number {
    const slot = this.layout.cpus[c]!.shadow;
    return slot === null ? 0 : readSlot(s, slot);
  }
  setShadow(s: Uint32Array, c: number, value: number): void {
    const slot = this.layout.cpus[c]!.shadow;
    if (slot !== null) writeSlot(s, slot, value);
  }
  hardirq(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.hardirq);
  }
  setHardirq(s: Uint32Array, c: number, depth: number): void {
    writeSlot(s, this.layout.cpus[c]!.hardirq, depth);
  }
  pending(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.pending);
  }
  setPending(s: Uint32Array, c: number, mask: number): void {
    writeSlot(s, this.layout.cpus[c]!.pending, mask);
  }
  inService(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.inService);
  }
  setInService(s: Uint32Array, c: number, mask: number): void {
    writeSlot(s, this.layout.cpus[c]!.inService, mask);
  }
  stackSel(s: Uint32Array, c: number): number {
    return readSlot(s, this.layout.cpus[c]!.stackSel);
  }
  setStackSel(s: Uint32Array, c: number, sel: number): void {
    writeSlot(s, this.layout.cpus[c]!.stackSel, sel);
  }
  elrState(s: Uint32Array, c: number): ElrState {
    const slot = this.layout.cpus[c]!.elrState;
    return slot === null ? 'empty' : ELR_STATES[readSlot(s, slot)]!;
  }
  elr(s: Uint32Array, c: number): Frame {
    const slot = this.layout.cpus[c]!.elr;
    return decodeFrame(this.layout.frame, slot === null ? 0 : readSlot(s, slot));
  }
  /** Writes ELR/SPSR; an empty pair is stored as 0 so that equal machines are equal states. */
  setElr(s: Uint32Array, c: number, state: ElrState, frame: Frame | null): void {
    const cpu = this.layout.cpus[c]!;
    if (cpu.elr === null || cpu.elrState === null) return;
    writeSlot(s, cpu.elrState, ELR_STATES.indexOf(state));
    writeSlot(s, cpu.elr, state === 'empty' || frame === null ? 0 : encodeFrame(this.layout.frame, frame));
  }

  // ------------------------------------------------------------------------------------------------------
  // Threads, locks, run queue

  threadState(s: Uint32Array, t: number): ThreadState {
    return THREAD_STATES[readSlot(s, this.layout.threads[t]!.state)]!;
  }
  setThreadState(s: Uint32Array, t: number, state: ThreadState): void {
    writeSlot(s, this.layout.threads[t]!.state, STATE_CODE[state]);
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

  runQueue(s: Uint32Array): number[] {
    const len = readSlot(s, this.layout.runQueue.len);
    return Array.from({ length: len }, (_, i) => readSlot(s, this.layout.runQueue.entries[i]!));
  }
  /** Rewrites the run queue; unused entries are 0 so that equal queues are equal states. */
  setRunQueue(s: Uint32Array, queue: number[]): void {
    writeSlot(s, this.layout.runQueue.len, queue.length);
    this.layout.runQueue.entries.forEach((slot, i) => writeSlot(s, slot, i < queue.length ? queue[i]! : 0));
  }
  queued(s: Uint32Array, t: number): boolean {
    return this.runQueue(s).includes(t);
  }

  // ------------------------------------------------------------------------------------------------------
  // Stacks

  /** The stack CPU `c` runs on: its current thread's, or one of its handler stacks. */
  currentStack(s: Uint32Array, c: number): StackSlots {
    const sel = this.stackSel(s, c);
    return sel === 0 ? this.layout.threads[this.current(s, c)]!.stack : this.layout.cpus[c]!.handlerStacks[sel - 1]!;
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

  push(s: Uint32Array, stack: StackSlots, frame: Frame): void {
    const sp = readSlot(s, stack.sp);
    if (sp >= stack.depth) {
      throw new Fault('stack-integrity', `stack overflow: ${this.stackName(stack)} is deeper than ${stack.depth} frames`);
    }
    writeSlot(s, stack.cells[sp]!, encodeFrame(this.layout.frame, frame));
    writeSlot(s, stack.sp, sp + 1);
  }

  /** Pops the top frame, clearing its cell; null on an empty stack. */
  pop(s: Uint32Array, stack: StackSlots): Frame | null {
    const sp = readSlot(s, stack.sp);
    if (sp === 0) return null;
    const frame = decodeFrame(this.layout.frame, readSlot(s, stack.cells[sp - 1]!));
    writeSlot(s, stack.cells[sp - 1]!, 0);
    writeSlot(s, stack.sp, sp - 1);
    return frame;
  }

  frames(s: Uint32Array, stack: StackSlots): Frame[] {
    const sp = readSlot(s, stack.sp);
    return stack.cells.slice(0, sp).map((cell) => decodeFrame(this.layout.frame, readSlot(s, cell)));
  }

  clearStack(s: Uint32Array, stack: StackSlots): void {
    writeSlot(s, stack.sp, 0);
    for (const cell of stack.cells) writeSlot(s, cell, 0);
  }

  // ------------------------------------------------------------------------------------------------------
  // Interrupt delivery

  /**
   * The instruction action CPU `c` can take at its pc when it takes no interrupt: `step`, `maskWait` (a contended
   * irqsave acquire with interrupts on masks them first), or null: it has stopped, halts, waits in wfi with
   * nothing pending, or spins on a held lock (busy-waiting is no step). It reads no deliverability, so
   * `deliverable` can ask it.
   */
  stepKind(s: Uint32Array, c: number): ActionKind | null {
    const instr = this.code[this.pc(s, c)];
    if (instr === undefined) return null; // stopped
    switch (instr.op) {
      case 'hlt':
        return null;
      case 'wfi':
        return this.pending(s, c) !== 0 ? ActionKind.step : null;
      case 'acquire':
        return acquireAction(this, s, c, instr.lock);
      default:
        return ActionKind.step;
    }
  }

  /** Whether pending line `line` can be taken on CPU `c` now. */
  deliverable(s: Uint32Array, c: number, line: number): boolean {
    if (this.ie(s, c) === 0) return false;
    // The sti shadow holds interrupts off until the CPU has executed one more instruction, so it holds them off
    // only while the CPU has an instruction step to take. At hlt (`sti; hlt` must wake) or spinning on a held
    // lock the model takes no step, but the hardware would end the shadow at once (hlt) or after one turn of the
    // spin loop; holding delivery off there would leave the CPU unable ever to take an interrupt.
    if (this.shadow(s, c) === 1 && this.stepKind(s, c) !== null) return false;
    return (this.inService(s, c) & this.blockers[line]!) === 0;
  }

  /** The most urgent pending line that can be taken on CPU `c`, or -1. */
  urgentLine(s: Uint32Array, c: number): number {
    const pending = this.pending(s, c);
    if (pending === 0 || this.ie(s, c) === 0) return -1;
    for (const line of this.linesByUrgency) {
      if ((pending & (1 << line)) !== 0 && this.deliverable(s, c, line)) return line;
    }
    return -1;
  }
}
