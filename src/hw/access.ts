// Reading and writing the parts of the machine state (CPUs, threads, locks, run queue, stacks, frame words) in
// any instantiation. Arguments that select a thread, a stack or a pc may be unknown (symbolic): then an access
// is the case split over the values they can take. A known argument takes the direct path, so the concrete
// interpreter does no more work than plain code would. The static tables (instructions by pc, jump resolution,
// line urgency, blockers, arrivals, handler stacks) are the Machine's.

import { GIC_BOOT_PMR, type ThreadState } from '../ir/ir.js';
import { ELR_STATES, FRAME_KINDS, type FrameKind, type Layout, type RunQueueSlots, type Slot, type StackSlots } from '../ir/layout.js';
import type { Cond, Ops, Val } from './domain.js';
import type { Machine } from './machine.js';
import type { State } from './state.js';

export const STATE_CODE: Record<ThreadState, number> = { dormant: 0, ready: 1, running: 2, blocked: 3, exited: 4 };
export const ELR_CODE = { empty: ELR_STATES.indexOf('empty'), live: ELR_STATES.indexOf('live'), saved: ELR_STATES.indexOf('saved') };
export const KIND_CODE = Object.fromEntries(FRAME_KINDS.map((k, i) => [k, i])) as Record<FrameKind, number>;

/** A frame word's fields; `kind` is the stored kind code (KIND_CODE). */
export interface FrameVal {
  kind: Val;
  pc: Val;
  ie: Val;
  owner: Val;
  hardirq: Val;
  line: Val;
  stack: Val;
}

/** A stack chosen by the state: each alternative where its condition holds (one, known, when nothing is symbolic). */
export type StackRef = { when: Cond; stack: StackSlots }[];

export class Access {
  readonly layout: Layout;
  readonly cpus: number;
  readonly threads: number;
  readonly none: number;
  /** Each pc after following jumps (Machine.resolve), as a table. */
  readonly resolved: readonly number[];
  /** Each pc's return point: where an interrupt taken there returns (past a halted point, else the pc itself). */
  readonly returnPoints: readonly number[];
  /** The pcs of `hlt` and `wfi` and of the halted points after them (a CPU there is idle when nothing waits). */
  readonly haltingPcs: readonly number[];
  /** The pcs of `acquire` instructions. */
  readonly acquirePcs: readonly number[];
  /** The halted points after `wfi` (their step is the wait completing). */
  readonly wfiHaltedPcs: readonly number[];
  /**
   * With a GIC: the highest priority value among the lines the most open mask lets through (the boot mask 0xf0, or
   * a larger value some `pmr :=` writes: FreeRTOS unmasks with 0xff). A priority mask at or below it holds one of
   * them back (interrupts off, `irqsOn`); null without a GIC or such a line.
   */
  private readonly irqOnMask: number | null;
  /** Each thread's state slot and freed slot, by thread id. */
  readonly stateSlots: readonly Slot[];
  readonly freedSlots: readonly Slot[];
  /** Per thread, its preempt_count; null where no code disables preemption (it is then always 0). */
  readonly preemptSlots: readonly Slot[] | null;
  /** Per thread, its softirq count (local_bh_disable); null where no code disables bottom halves. */
  readonly softirqSlots: readonly Slot[] | null;
  /** Per unit, the ids of its local variables (`local x : T`). */
  readonly localsOf: readonly (readonly number[])[];

  constructor(
    readonly m: Machine,
    readonly ops: Ops,
  ) {
    this.layout = m.layout;
    this.cpus = m.cpus;
    this.threads = m.threads;
    this.none = m.none;
    this.resolved = m.code.map((_, pc) => m.resolve(pc));
    this.returnPoints = m.code.map((instr, pc) => (instr.op === 'halted' ? m.resolve(pc + 1) : pc));
    this.haltingPcs = m.code.flatMap((instr, pc) => (instr.op === 'hlt' || instr.op === 'wfi' || instr.op === 'halted' ? [pc] : []));
    this.acquirePcs = m.code.flatMap((instr, pc) => (instr.op === 'acquire' ? [pc] : []));
    this.wfiHaltedPcs = m.code.flatMap((instr, pc) => (instr.op === 'halted' && instr.by === 'wfi' ? [pc] : []));
    // The most open mask the code sets: the boot value, or the largest constant a `pmr :=` writes. A computed value
    // is taken to restore a mask read before (local_irq_restore()), one of those.
    let open = GIC_BOOT_PMR;
    for (const instr of m.code) if (instr.op === 'pmr' && instr.value.kind === 'const') open = Math.max(open, instr.value.value);
    const values = m.program.controller === 'gic' ? m.program.lines.map((l) => 256 - l.priority).filter((v) => v < open) : [];
    this.irqOnMask = values.length === 0 ? null : Math.max(...values);
    this.stateSlots = m.layout.threads.map((t) => t.state);
    this.freedSlots = m.layout.threads.map((t) => t.freed);
    const preempt = m.layout.threads.map((t) => t.preempt);
    this.preemptSlots = preempt.every((slot): slot is Slot => slot !== null) && preempt.length > 0 ? preempt : null;
    const softirq = m.layout.threads.map((t) => t.softirq);
    this.softirqSlots = softirq.every((slot): slot is Slot => slot !== null) && softirq.length > 0 ? softirq : null;
    this.localsOf = m.program.units.map((u) => m.program.vars.flatMap((v) => (v.scope === 'local' && v.unit === u.id ? [v.id] : [])));
  }

  /** `pc` is one of `pcs`. */
  pcIn(pc: Val, pcs: readonly number[]): Cond {
    if (typeof pc === 'number') return pcs.includes(pc);
    return this.ops.or(...pcs.map((p) => this.ops.eq(pc, p)));
  }

  /** The pc execution continues at, jumps followed. */
  resolve(pc: Val): Val {
    if (typeof pc === 'number') return this.m.resolve(pc);
    return this.ops.lookup(pc, this.resolved);
  }

  // ------------------------------------------------------------------------------------------------------
  // CPU state

  pc(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.pc);
  }
  setPc(s: State, c: number, pc: Val): void {
    s.write(this.layout.cpus[c]!.pc, this.resolve(pc));
  }
  stopped(s: State, c: number): Cond {
    return this.ops.eq(this.pc(s, c), this.layout.stoppedPc);
  }
  current(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.current);
  }
  setCurrent(s: State, c: number, t: Val): void {
    s.write(this.layout.cpus[c]!.current, t);
  }
  /** The thread whose stack CPU `c` runs on when it is on a thread stack: `current`, unless the model splits the switch. */
  stackOwner(s: State, c: number): Val {
    const slot = this.layout.cpus[c]!.sp;
    return slot === null ? this.current(s, c) : s.read(slot);
  }
  setStackOwner(s: State, c: number, t: Val): void {
    const slot = this.layout.cpus[c]!.sp;
    if (slot !== null) s.write(slot, t);
  }
  ie(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.ie);
  }
  setIe(s: State, c: number, ie: Val): void {
    s.write(this.layout.cpus[c]!.ie, ie);
  }
  shadow(s: State, c: number): Val {
    const slot = this.layout.cpus[c]!.shadow;
    return slot === null ? 0 : s.read(slot);
  }
  setShadow(s: State, c: number, value: Val): void {
    const slot = this.layout.cpus[c]!.shadow;
    if (slot !== null) s.write(slot, value);
  }
  hardirq(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.hardirq);
  }
  setHardirq(s: State, c: number, depth: Val): void {
    s.write(this.layout.cpus[c]!.hardirq, depth);
  }
  pending(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.pending);
  }
  setPending(s: State, c: number, mask: Val): void {
    s.write(this.layout.cpus[c]!.pending, mask);
  }
  inService(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.inService);
  }
  setInService(s: State, c: number, mask: Val): void {
    s.write(this.layout.cpus[c]!.inService, mask);
  }
  /**
   * Whether CPU `c`'s GIC priority mask lets `line` through: its priority value below ICC_PMR_EL1 (IHI 0069,
   * ICC_PMR_EL1). A model that never writes the mask keeps Linux's boot value, 0xf0, a constant. True without a GIC.
   */
  pmrAllows(s: State, c: number, line: number): Cond {
    if (this.m.program.controller !== 'gic') return true;
    const value = 256 - this.m.program.lines[line]!.priority;
    const slot = this.layout.cpus[c]!.pmr ?? null;
    return slot === null ? value < GIC_BOOT_PMR : this.ops.ult(value, s.read(slot));
  }
  /**
   * Whether interrupts are enabled on CPU `c` as the kernel sees it: PSTATE.I / IF clear and, where code writes the
   * GIC priority mask, a mask that lets through every line its most open value does (irqOnMask). With arm64 pseudo-NMI
   * (arch/arm64/include/asm/irqflags.h) local_irq_disable() writes GIC_PRIO_IRQOFF to ICC_PMR_EL1 instead of
   * setting PSTATE.I, and arch_irqs_disabled_flags() reads the mask: interrupts are off while it holds a line
   * back, even if a higher-priority pseudo-NMI still gets through. `irqs_enabled`, irq-lock-safety's usage bits
   * and irq-latency's masked window read this.
   */
  irqsOn(s: State, c: number): Cond {
    return this.ops.and(this.ops.eq(this.ie(s, c), 1), this.maskLetsIrqsIn(s, c));
  }
  /** The priority-mask half of `irqsOn`: true without a GIC, or where no code writes the mask. */
  maskLetsIrqsIn(s: State, c: number): Cond {
    const slot = this.layout.cpus[c]!.pmr ?? null;
    return slot === null || this.irqOnMask === null ? true : this.ops.ult(this.irqOnMask, s.read(slot));
  }
  /**
   * Whether no active line holds `line` off on CPU `c`: none of equal or higher priority (itself included) in service
   * or active. With a GIC in EOImode 1 the running priority is that of the active lines whose priority has not been
   * dropped, and an active line, dropped or not, is not signalled again until it is deactivated (IHI 0069, 4.1
   * "Interrupt lifecycle", ICC_CTLR_EL1.EOImode).
   */
  priorityAllows(s: State, c: number, line: number): Cond {
    const o = this.ops;
    const active = this.inService(s, c);
    const slot = this.layout.cpus[c]!.dropped ?? null;
    if (slot === null) return o.eq(o.and32(active, this.m.blockers[line]!), 0);
    // Dropped lines are a subset of the active ones, so subtracting them clears exactly their bits.
    const running = o.sub(active, s.read(slot));
    return o.and(o.eq(o.and32(running, this.m.blockers[line]!), 0), o.not(o.bit(active, line)));
  }
  /** GIC EOImode 1: the active lines of CPU `c` whose priority has been dropped. */
  dropped(s: State, c: number): Val {
    const slot = this.layout.cpus[c]!.dropped ?? null;
    return slot === null ? 0 : s.read(slot);
  }
  setDropped(s: State, c: number, mask: Val): void {
    const slot = this.layout.cpus[c]!.dropped ?? null;
    if (slot === null) throw new Error('internal: a priority drop on a GIC in EOImode 0');
    s.write(slot, mask);
  }
  /** CPU `c`'s GIC priority mask ICC_PMR_EL1: the boot value 0xf0 where no code writes it. */
  pmr(s: State, c: number): Val {
    const slot = this.layout.cpus[c]!.pmr ?? null;
    return slot === null ? GIC_BOOT_PMR : s.read(slot);
  }
  setPmr(s: State, c: number, mask: Val): void {
    const slot = this.layout.cpus[c]!.pmr ?? null;
    if (slot === null) throw new Error('internal: pmr written on a machine that never writes it');
    s.write(slot, mask);
  }
  /** The task-priority class of CPU `c`'s local APIC (0 without one: it holds nothing off). */
  tpr(s: State, c: number): Val {
    const slot = this.layout.cpus[c]!.tpr;
    return slot === null ? 0 : s.read(slot);
  }
  setTpr(s: State, c: number, cls: Val): void {
    const slot = this.layout.cpus[c]!.tpr;
    if (slot === null) throw new Error('internal: tpr written on a machine without a local APIC');
    s.write(slot, cls);
  }
  stackSel(s: State, c: number): Val {
    return s.read(this.layout.cpus[c]!.stackSel);
  }
  setStackSel(s: State, c: number, sel: Val): void {
    s.write(this.layout.cpus[c]!.stackSel, sel);
  }
  /** The ELR_STATES code of CPU `c`'s ELR/SPSR pair (empty on x86_64, which has none). */
  elrState(s: State, c: number): Val {
    const slot = this.layout.cpus[c]!.elrState;
    return slot === null ? ELR_CODE.empty : s.read(slot);
  }
  elr(s: State, c: number): FrameVal {
    const slot = this.layout.cpus[c]!.elr;
    return this.decodeFrame(slot === null ? 0 : s.read(slot));
  }
  /** Writes ELR/SPSR; an empty pair is stored as 0 so that equal machines are equal states. */
  setElr(s: State, c: number, state: keyof typeof ELR_CODE, frame: FrameVal | null): void {
    const cpu = this.layout.cpus[c]!;
    if (cpu.elr === null || cpu.elrState === null) return;
    s.write(cpu.elrState, ELR_CODE[state]);
    s.write(cpu.elr, state === 'empty' || frame === null ? 0 : this.encodeFrame(frame));
  }

  // ------------------------------------------------------------------------------------------------------
  // Frames

  encodeFrame(f: FrameVal): Val {
    const F = this.layout.frame;
    const o = this.ops;
    let word = o.place(f.kind, F.kind);
    word = o.or32(word, o.place(f.pc, F.pc));
    word = o.or32(word, o.place(f.ie, F.ie));
    word = o.or32(word, o.place(f.owner, F.owner));
    word = o.or32(word, o.place(f.hardirq, F.hardirq));
    word = o.or32(word, o.place(f.line, F.line));
    return o.or32(word, o.place(f.stack, F.stack));
  }

  decodeFrame(word: Val): FrameVal {
    const F = this.layout.frame;
    const o = this.ops;
    return {
      kind: o.field(word, F.kind),
      pc: o.field(word, F.pc),
      ie: o.field(word, F.ie),
      owner: o.field(word, F.owner),
      hardirq: o.field(word, F.hardirq),
      line: o.field(word, F.line),
      stack: o.field(word, F.stack),
    };
  }

  /** A frame of a known kind. */
  frame(kind: FrameKind, fields: Omit<FrameVal, 'kind'>): FrameVal {
    return { kind: KIND_CODE[kind], ...fields };
  }

  // ------------------------------------------------------------------------------------------------------
  // Threads, locks, run queue

  /** The alternatives of a thread id that name a thread (none and garbage name nothing). */
  threadCases(t: Val): { when: Cond; t: number }[] {
    if (typeof t === 'number') return t >= 0 && t < this.threads ? [{ when: true, t }] : [];
    return Array.from({ length: this.threads }, (_, i) => ({ when: this.ops.eq(t, i), t: i }));
  }

  threadState(s: State, t: Val): Val {
    return s.readAt(this.stateSlots, t);
  }
  isState(s: State, t: Val, state: ThreadState): Cond {
    return this.ops.eq(this.threadState(s, t), STATE_CODE[state]);
  }
  setThreadState(s: State, t: Val, state: ThreadState | Val): void {
    s.writeAt(this.stateSlots, t, typeof state === 'string' ? STATE_CODE[state] : state);
  }
  softirqCount(s: State, t: Val): Val {
    return this.softirqSlots === null ? 0 : s.readAt(this.softirqSlots, t);
  }
  setSoftirqCount(s: State, t: Val, count: Val): void {
    if (this.softirqSlots === null) throw new Error('internal: softirq count without its slots in the layout');
    s.writeAt(this.softirqSlots, t, count);
  }
  preemptCount(s: State, t: Val): Val {
    return this.preemptSlots === null ? 0 : s.readAt(this.preemptSlots, t);
  }
  setPreemptCount(s: State, t: Val, count: Val): void {
    if (this.preemptSlots === null) throw new Error('internal: preempt_count without its slots in the layout');
    s.writeAt(this.preemptSlots, t, count);
  }
  freed(s: State, t: Val): Cond {
    return this.ops.eq(s.readAt(this.freedSlots, t), 1);
  }
  runs(s: State, c: number, t: Val): Cond {
    return this.ops.and(this.ops.eq(this.current(s, c), t), this.ops.not(this.stopped(s, c)));
  }
  /** For each CPU, the condition that it is the first CPU running `t` (current there, and not stopped). */
  firstCpuRunning(s: State, t: Val): Cond[] {
    const o = this.ops;
    const out: Cond[] = [];
    let before: Cond = false;
    for (let c = 0; c < this.cpus; c++) {
      const runs = this.runs(s, c, t);
      out.push(o.and(o.not(before), runs));
      before = o.or(before, runs);
    }
    return out;
  }

  /**
   * For each CPU, the condition that it is the first CPU whose stack pointer is in `t`'s stack (not stopped). Where
   * the switch is not split this is firstCpuRunning, which callers already check: then nothing (all false).
   */
  firstCpuOnStack(s: State, t: Val): Cond[] {
    const o = this.ops;
    const out: Cond[] = [];
    let before: Cond = false;
    for (let c = 0; c < this.cpus; c++) {
      const slot = this.layout.cpus[c]!.sp;
      const on = slot === null ? false : o.and(o.eq(s.read(slot), t), o.not(this.stopped(s, c)));
      out.push(o.and(o.not(before), on));
      before = o.or(before, on);
    }
    return out;
  }

  lockOwner(s: State, lock: number): Val {
    return s.read(this.layout.locks[lock]!.owner);
  }
  lockLevel(s: State, lock: number): Val {
    return s.read(this.layout.locks[lock]!.level);
  }
  /** Per lock: held by thread `t` (at interrupt-context depth `level`, when given). */
  locksHeldBy(s: State, t: Val, level: Val | null = null): Cond[] {
    const o = this.ops;
    const owner = o.add(t, 1);
    return this.layout.locks.map((_, l) =>
      o.and(o.eq(this.lockOwner(s, l), owner), level === null ? true : o.eq(this.lockLevel(s, l), level)),
    );
  }

  /**
   * The default run queue of CPU `c` (docs/semantics.md 4.5): the global one; in a model that declares run queues,
   * the first declared, and of a run queue per CPU the one of CPU `c` (the waker's, for a wake-up).
   */
  defaultQueue(c: number): RunQueueSlots {
    const first = this.m.program.runQueues?.[0];
    if (first === undefined) return this.layout.runQueue;
    return this.layout.runQueues[first.array === undefined ? 0 : c]!;
  }

  rqLen(s: State, q: RunQueueSlots = this.layout.runQueue): Val {
    return s.read(q.len);
  }
  /** `t` is in run queue `q`. */
  queuedIn(s: State, q: RunQueueSlots, t: Val): Cond {
    const o = this.ops;
    const len = this.rqLen(s, q);
    return o.or(...q.entries.map((slot, i) => o.and(o.ult(i, len), o.eq(s.read(slot), t))));
  }
  /** `t` is in some run queue. */
  queued(s: State, t: Val): Cond {
    return this.ops.or(this.queuedIn(s, this.layout.runQueue, t), ...this.layout.runQueues.map((q) => this.queuedIn(s, q, t)));
  }
  /** Appends `t` to `q`; a queue already full keeps its entries. */
  rqPush(s: State, t: Val, q: RunQueueSlots): void {
    const len = this.rqLen(s, q);
    q.entries.forEach((slot, i) => s.when(this.ops.eq(len, i), () => s.write(slot, t)));
    s.write(q.len, this.ops.add(len, 1));
  }
  /**
   * Removes `t` from `q` where it is in it (at most once), the entries after it moving up; unused entries stay 0.
   * A wait queue's order of waiters is such a list too (waitqueues.ts).
   */
  rqRemove(s: State, q: RunQueueSlots, t: Val): void {
    const o = this.ops;
    const len = this.rqLen(s, q);
    const old = q.entries.map((slot) => s.read(slot));
    let found: Cond = false;
    q.entries.forEach((slot, i) => {
      found = o.or(found, o.and(o.ult(i, len), o.eq(old[i]!, t)));
      const next = i + 1 < old.length ? o.ite(o.ult(i + 1, len), old[i + 1]!, 0) : 0;
      s.write(slot, o.ite(found, next, old[i]!));
    });
    s.write(q.len, o.ite(found, o.sub(len, 1), len));
  }

  /** Removes and returns the head of `q`, or none; unused entries are 0 so that equal queues are equal states. */
  rqShift(s: State, q: RunQueueSlots): Val {
    const o = this.ops;
    const len = this.rqLen(s, q);
    const entries = q.entries;
    const head = o.ite(o.eq(len, 0), this.none, s.read(entries[0]!));
    const old = entries.map((slot) => s.read(slot));
    entries.forEach((slot, i) => s.write(slot, i + 1 < entries.length ? o.ite(o.ult(i + 1, len), old[i + 1]!, 0) : 0));
    s.write(q.len, o.ite(o.eq(len, 0), 0, o.sub(len, 1)));
    return head;
  }

  // ------------------------------------------------------------------------------------------------------
  // Stacks

  /** The stack CPU `c` runs on: its current thread's (the one its stack pointer is in), or one of its handler stacks. */
  currentStack(s: State, c: number): StackRef {
    const o = this.ops;
    const sel = this.stackSel(s, c);
    if (typeof sel === 'number' && sel > 0) return [{ when: true, stack: this.layout.cpus[c]!.handlerStacks[sel - 1]! }];
    const ref: StackRef = this.threadCases(this.stackOwner(s, c)).map(({ when, t }) => ({
      when: o.and(o.eq(sel, 0), when),
      stack: this.layout.threads[t]!.stack,
    }));
    if (typeof sel !== 'number') this.layout.cpus[c]!.handlerStacks.forEach((stack, k) => ref.push({ when: o.eq(sel, k + 1), stack }));
    return ref.filter((alt) => alt.when !== false);
  }

  threadStack(t: Val): StackRef {
    return this.threadCases(t).map(({ when, t: i }) => ({ when, stack: this.layout.threads[i]!.stack }));
  }

  sp(s: State, stack: StackSlots): Val {
    return s.read(stack.sp);
  }

  /** Pushes `frame`; a push onto a full stack is a stack-integrity fault (overflow). */
  push(s: State, ref: StackRef, frame: FrameVal): void {
    const word = this.encodeFrame(frame);
    for (const { when, stack } of ref) {
      s.when(when, () => {
        const sp = this.sp(s, stack);
        s.fault('stack-integrity', this.ops.ule(stack.depth, sp), ({ m }) => `stack overflow: ${m.stackName(stack)} is deeper than ${stack.depth} frames`);
        s.writeAt(stack.cells, sp, word);
        s.write(stack.sp, this.ops.add(sp, 1));
      });
    }
  }

  /** Pushes a call frame and begins the callee's activation (a `call`, a sleep into the scheduler). */
  call(s: State, ref: StackRef, frame: FrameVal): void {
    this.push(s, ref, frame);
    this.enterActivation(s, ref);
  }

  /** Pops the top frame, clearing its cell. `empty`: the stack had no frame. */
  pop(s: State, ref: StackRef): { empty: Cond; frame: FrameVal } {
    const o = this.ops;
    const word = s.select(
      ref.map(({ when, stack }) => ({ when, then: () => s.readAt(stack.cells, o.sub(this.sp(s, stack), 1)) })),
      0,
    );
    let empty: Cond = false;
    for (const { when, stack } of ref) {
      const sp = this.sp(s, stack);
      empty = o.or(empty, o.and(when, o.eq(sp, 0)));
      s.when(o.and(when, o.ne(sp, 0)), () => {
        s.writeAt(stack.cells, o.sub(sp, 1), 0);
        s.write(stack.sp, o.sub(sp, 1));
      });
    }
    return { empty, frame: this.decodeFrame(word) };
  }

  clearStack(s: State, stack: StackSlots): void {
    s.write(stack.sp, 0);
    for (const cell of stack.cells) s.write(cell, 0);
    if (stack.act === null) return;
    s.write(stack.act, 0);
    stack.locals.forEach((local, v) => {
      if (local !== null) for (const slot of local.slots) s.write(slot, this.m.program.vars[v]!.init);
    });
  }

  // ------------------------------------------------------------------------------------------------------
  // Activations and their locals (docs/semantics.md 4.2a)

  /** The level of the activation running on top of `stack` (0 where the model has no locals). */
  activation(s: State, stack: StackSlots): Val {
    return stack.act === null ? 0 : s.read(stack.act);
  }

  /**
   * Local `v`'s slots on `stack` and the index of the one at the level of the activation on top of it (no slot
   * where the local's body cannot run at that level: it reads 0 and is not written).
   */
  localAt(s: State, v: number, stack: StackSlots): { slots: readonly Slot[]; index: Val } {
    const local = stack.locals[v] ?? null;
    if (local === null) return { slots: [], index: 0 };
    return { slots: local.slots, index: this.ops.sub(this.activation(s, stack), local.from) };
  }

  /**
   * A new activation (a call, an interrupt entry) begins on the stack: its locals are one level up, where they
   * hold their initial values. More activations than the stack has frames is an overflow.
   */
  enterActivation(s: State, ref: StackRef): void {
    for (const { when, stack } of ref) {
      const slot = stack.act;
      if (slot === null) continue;
      s.when(when, () => {
        const level = s.read(slot);
        s.fault('stack-integrity', this.ops.ule(stack.depth, level), ({ m }) => `stack overflow: ${m.stackName(stack)} holds more than ${stack.depth} activations`);
        s.write(slot, this.ops.add(level, 1));
      });
    }
  }

  /**
   * The activation of `unit` on top of the stack ends (`ret`, `iret`, `eret`, `restore_context`): its locals go
   * back to their initial values, so that states differing only in dead locals are one state. Level 0 (a thread
   * body) never ends.
   */
  leaveActivation(s: State, ref: StackRef, unit: number): void {
    const locals = this.localsOf[unit]!;
    for (const { when, stack } of ref) {
      const slot = stack.act;
      if (slot === null) continue;
      s.when(this.ops.and(when, this.ops.ne(s.read(slot), 0)), () => {
        for (const v of locals) {
          const { slots, index } = this.localAt(s, v, stack);
          s.writeAt(slots, index, this.m.program.vars[v]!.init);
        }
        s.write(slot, this.ops.sub(s.read(slot), 1));
      });
    }
  }
}
