// The symbolic counterpart of src/hw/machine.ts: the same accessors, over a SymState instead of a packed state,
// with thread, CPU and stack arguments that may be symbolic. The static tables (instructions by pc, jump
// resolution, line urgency, blockers, arrivals, handler stacks) are the explicit Machine's own.

import type { ThreadState } from '../../ir/ir.js';
import { ELR_STATES, FRAME_KINDS, type FrameKind, type Layout, type StackSlots } from '../../ir/layout.js';
import type { Machine } from '../../hw/machine.js';
import { acquireAction } from './locks.js';
import type { SymState } from './state.js';
import type { Cond, Sym, Val } from './sym.js';

export const STATE_CODE: Record<ThreadState, number> = { dormant: 0, ready: 1, running: 2, blocked: 3, exited: 4 };
export const ELR_CODE = { empty: ELR_STATES.indexOf('empty'), live: ELR_STATES.indexOf('live'), saved: ELR_STATES.indexOf('saved') };
export const KIND_CODE = Object.fromEntries(FRAME_KINDS.map((k, i) => [k, i])) as Record<FrameKind, number>;

/** A frame with symbolic fields; `kind` is the stored kind code. */
export interface SymFrame {
  kind: Val;
  pc: Val;
  ie: Val;
  owner: Val;
  hardirq: Val;
  line: Val;
  stack: Val;
}

/** A stack chosen by symbolic state: each alternative is taken where its condition holds. */
export type StackRef = { when: Cond; stack: StackSlots }[];

export class SymMachine {
  readonly layout: Layout;
  readonly cpus: number;
  readonly threads: number;
  readonly none: number;
  /** Pcs whose instruction is a `hlt` or `wfi`. */
  readonly haltLikePcs: number[];
  /** Pcs that resolve to a different pc (they hold a jump). */
  private readonly jumpPcs: number[];

  constructor(
    readonly m: Machine,
    readonly sym: Sym,
  ) {
    this.layout = m.layout;
    this.cpus = m.cpus;
    this.threads = m.threads;
    this.none = m.none;
    const pcs = m.code.map((_, pc) => pc);
    this.haltLikePcs = pcs.filter((pc) => m.code[pc]!.op === 'hlt' || m.code[pc]!.op === 'wfi');
    this.jumpPcs = pcs.filter((pc) => m.resolve(pc) !== pc);
  }

  /** Table lookup: `table(v)` for the values `v` may take among `domain`, else `v` itself. */
  lookup(v: Val, domain: number[], table: (x: number) => Val): Val {
    if (typeof v === 'number') return domain.includes(v) ? table(v) : v;
    let out: Val = v;
    for (const x of domain) out = this.sym.ite(this.sym.eq(v, x), table(x), out);
    return out;
  }

  /** `v` is one of `values`. */
  oneOf(v: Val, values: number[]): Cond {
    return this.sym.or(...values.map((x) => this.sym.eq(v, x)));
  }

  resolve(pc: Val): Val {
    return this.lookup(pc, this.jumpPcs, (p) => this.m.resolve(p));
  }

  // ------------------------------------------------------------------------------------------------------
  // CPU state

  pc(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.pc);
  }
  setPc(s: SymState, c: number, pc: Val): void {
    s.write(this.layout.cpus[c]!.pc, this.resolve(pc));
  }
  stopped(s: SymState, c: number): Cond {
    return this.sym.eq(this.pc(s, c), this.layout.stoppedPc);
  }
  current(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.current);
  }
  ie(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.ie);
  }
  setIe(s: SymState, c: number, ie: Val): void {
    s.write(this.layout.cpus[c]!.ie, ie);
  }
  shadow(s: SymState, c: number): Val {
    const slot = this.layout.cpus[c]!.shadow;
    return slot === null ? 0 : s.read(slot);
  }
  setShadow(s: SymState, c: number, value: Val): void {
    const slot = this.layout.cpus[c]!.shadow;
    if (slot !== null) s.write(slot, value);
  }
  hardirq(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.hardirq);
  }
  setHardirq(s: SymState, c: number, depth: Val): void {
    s.write(this.layout.cpus[c]!.hardirq, depth);
  }
  pending(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.pending);
  }
  setPending(s: SymState, c: number, mask: Val): void {
    s.write(this.layout.cpus[c]!.pending, mask);
  }
  inService(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.inService);
  }
  setInService(s: SymState, c: number, mask: Val): void {
    s.write(this.layout.cpus[c]!.inService, mask);
  }
  stackSel(s: SymState, c: number): Val {
    return s.read(this.layout.cpus[c]!.stackSel);
  }
  setStackSel(s: SymState, c: number, sel: Val): void {
    s.write(this.layout.cpus[c]!.stackSel, sel);
  }
  /** The ELR_STATES code of CPU `c`'s ELR/SPSR pair (0 = empty on x86_64, which has none). */
  elrState(s: SymState, c: number): Val {
    const slot = this.layout.cpus[c]!.elrState;
    return slot === null ? ELR_CODE.empty : s.read(slot);
  }
  elr(s: SymState, c: number): SymFrame {
    const slot = this.layout.cpus[c]!.elr;
    return this.decodeFrame(slot === null ? 0 : s.read(slot));
  }
  /** As Machine.setElr: an empty pair is stored as 0. */
  setElr(s: SymState, c: number, state: keyof typeof ELR_CODE, frame: SymFrame | null): void {
    const cpu = this.layout.cpus[c]!;
    if (cpu.elr === null || cpu.elrState === null) return;
    s.write(cpu.elrState, ELR_CODE[state]);
    s.write(cpu.elr, state === 'empty' || frame === null ? 0 : this.encodeFrame(frame));
  }

  // ------------------------------------------------------------------------------------------------------
  // Frames

  encodeFrame(f: SymFrame): Val {
    const F = this.layout.frame;
    const parts: Val[] = [
      this.sym.place(f.kind, F.kind),
      this.sym.place(f.pc, F.pc),
      this.sym.place(f.ie, F.ie),
      this.sym.place(f.owner, F.owner),
      this.sym.place(f.hardirq, F.hardirq),
      this.sym.place(f.line, F.line),
      this.sym.place(f.stack, F.stack),
    ];
    return parts.reduce((a, b) => this.sym.or32(a, b));
  }

  decodeFrame(word: Val): SymFrame {
    const F = this.layout.frame;
    return {
      kind: this.sym.field(word, F.kind),
      pc: this.sym.field(word, F.pc),
      ie: this.sym.field(word, F.ie),
      owner: this.sym.field(word, F.owner),
      hardirq: this.sym.field(word, F.hardirq),
      line: this.sym.field(word, F.line),
      stack: this.sym.field(word, F.stack),
    };
  }

  /** A frame of a known kind built from (possibly symbolic) fields. */
  frame(kind: FrameKind, fields: Omit<SymFrame, 'kind'>): SymFrame {
    return { kind: KIND_CODE[kind], ...fields };
  }

  // ------------------------------------------------------------------------------------------------------
  // Threads, locks, run queue

  /** The alternatives of a symbolic thread id that name a thread (none and garbage name nothing). */
  threadCases(t: Val): { when: Cond; t: number }[] {
    if (typeof t === 'number') return t >= 0 && t < this.threads ? [{ when: true, t }] : [];
    return Array.from({ length: this.threads }, (_, i) => ({ when: this.sym.eq(t, i), t: i }));
  }

  threadState(s: SymState, t: Val): Val {
    let out: Val = 0;
    for (const { when, t: i } of this.threadCases(t).reverse()) {
      out = this.sym.ite(when, s.read(this.layout.threads[i]!.state), out);
    }
    return out;
  }
  isState(s: SymState, t: Val, state: ThreadState): Cond {
    return this.sym.eq(this.threadState(s, t), STATE_CODE[state]);
  }
  setThreadState(s: SymState, t: Val, state: ThreadState | Val): void {
    const code = typeof state === 'string' ? STATE_CODE[state] : state;
    for (const { when, t: i } of this.threadCases(t)) s.when(when, () => s.write(this.layout.threads[i]!.state, code));
  }
  freed(s: SymState, t: Val): Cond {
    return this.sym.or(...this.threadCases(t).map(({ when, t: i }) => this.sym.and(when, this.sym.eq(s.read(this.layout.threads[i]!.freed), 1))));
  }
  runs(s: SymState, c: number, t: Val): Cond {
    return this.sym.and(this.sym.eq(this.current(s, c), t), this.sym.not(this.stopped(s, c)));
  }
  /** As Machine.cpuRunning: for each CPU, the condition that it is the first CPU running `t`. */
  firstCpuRunning(s: SymState, t: Val): Cond[] {
    const out: Cond[] = [];
    let before: Cond = false;
    for (let c = 0; c < this.cpus; c++) {
      const runs = this.runs(s, c, t);
      out.push(this.sym.and(this.sym.not(before), runs));
      before = this.sym.or(before, runs);
    }
    return out;
  }

  lockOwner(s: SymState, lock: number): Val {
    return s.read(this.layout.locks[lock]!.owner);
  }
  lockLevel(s: SymState, lock: number): Val {
    return s.read(this.layout.locks[lock]!.level);
  }
  /** Per lock: held by thread `t` (at interrupt-context depth `level`, when given). */
  locksHeldBy(s: SymState, t: Val, level: Val | null = null): Cond[] {
    return this.layout.locks.map((_, l) =>
      this.sym.and(
        this.sym.eq(this.lockOwner(s, l), this.sym.add(t, 1)),
        level === null ? true : this.sym.eq(this.lockLevel(s, l), level),
      ),
    );
  }

  rqLen(s: SymState): Val {
    return s.read(this.layout.runQueue.len);
  }
  queued(s: SymState, t: Val): Cond {
    const len = this.rqLen(s);
    return this.sym.or(
      ...this.layout.runQueue.entries.map((slot, i) => this.sym.and(this.sym.ult(i, len), this.sym.eq(s.read(slot), t))),
    );
  }
  /** Appends `t` (Machine.setRunQueue([...queue, t])); a queue already full keeps its entries. */
  rqPush(s: SymState, t: Val): void {
    const len = this.rqLen(s);
    this.layout.runQueue.entries.forEach((slot, i) => s.when(this.sym.eq(len, i), () => s.write(slot, t)));
    s.write(this.layout.runQueue.len, this.sym.add(len, 1));
  }
  /** Removes and returns the head, or none (pickNext). */
  rqShift(s: SymState): Val {
    const len = this.rqLen(s);
    const entries = this.layout.runQueue.entries;
    const head = this.sym.ite(this.sym.eq(len, 0), this.none, s.read(entries[0]!));
    const old = entries.map((slot) => s.read(slot));
    entries.forEach((slot, i) => s.write(slot, i + 1 < entries.length ? this.sym.ite(this.sym.ult(i + 1, len), old[i + 1]!, 0) : 0));
    s.write(this.layout.runQueue.len, this.sym.ite(this.sym.eq(len, 0), 0, this.sym.sub(len, 1)));
    return head;
  }

  // ------------------------------------------------------------------------------------------------------
  // Stacks

  /** The stack CPU `c` runs on: its current thread's, or one of its handler stacks. */
  currentStack(s: SymState, c: number): StackRef {
    const sel = this.stackSel(s, c);
    const ref: StackRef = this.threadCases(this.current(s, c)).map(({ when, t }) => ({
      when: this.sym.and(this.sym.eq(sel, 0), when),
      stack: this.layout.threads[t]!.stack,
    }));
    this.layout.cpus[c]!.handlerStacks.forEach((stack, k) => ref.push({ when: this.sym.eq(sel, k + 1), stack }));
    return ref.filter((alt) => alt.when !== false);
  }

  threadStack(t: Val): StackRef {
    return this.threadCases(t).map(({ when, t: i }) => ({ when, stack: this.layout.threads[i]!.stack }));
  }

  sp(s: SymState, stack: StackSlots): Val {
    return s.read(stack.sp);
  }

  /** Pushes `frame`; overflow is a stack-integrity Fault. */
  push(s: SymState, ref: StackRef, frame: SymFrame): void {
    const word = this.encodeFrame(frame);
    for (const { when, stack } of ref) {
      s.when(when, () => {
        const sp = this.sp(s, stack);
        s.fault('stack-integrity', this.sym.ule(stack.depth, sp));
        stack.cells.forEach((cell, i) => s.when(this.sym.eq(sp, i), () => s.write(cell, word)));
        s.write(stack.sp, this.sym.add(sp, 1));
      });
    }
  }

  /** Pops the top frame, clearing its cell. `empty`: the stack had no frame (Machine.pop returns null). */
  pop(s: SymState, ref: StackRef): { empty: Cond; frame: SymFrame } {
    let empty: Cond = false;
    let word: Val = 0;
    for (const { when, stack } of ref) {
      const sp = this.sp(s, stack);
      let top: Val = 0;
      stack.cells.forEach((cell, i) => (top = this.sym.ite(this.sym.eq(sp, i + 1), s.read(cell), top)));
      empty = this.sym.or(empty, this.sym.and(when, this.sym.eq(sp, 0)));
      word = this.sym.ite(when, top, word);
      s.when(this.sym.and(when, this.sym.ne(sp, 0)), () => {
        stack.cells.forEach((cell, i) => s.when(this.sym.eq(sp, i + 1), () => s.write(cell, 0)));
        s.write(stack.sp, this.sym.sub(sp, 1));
      });
    }
    return { empty, frame: this.decodeFrame(word) };
  }

  clearStack(s: SymState, stack: StackSlots): void {
    s.write(stack.sp, 0);
    for (const cell of stack.cells) s.write(cell, 0);
  }

  // ------------------------------------------------------------------------------------------------------
  // Interrupt delivery

  /**
   * Machine.stepKind, as a condition: CPU `c` has an instruction step or a masked wait to take at its pc. Not
   * stopped, not at hlt, not at wfi with nothing pending, not spinning on a held lock.
   */
  canStep(s: SymState, c: number): Cond {
    const sym = this.sym;
    const pc = this.pc(s, c);
    const cannot: Cond[] = [this.stopped(s, c)];
    this.m.code.forEach((instr, p) => {
      if (instr.op === 'hlt') cannot.push(sym.eq(pc, p));
      else if (instr.op === 'wfi') cannot.push(sym.and(sym.eq(pc, p), sym.eq(this.pending(s, c), 0)));
      else if (instr.op === 'acquire') {
        const a = acquireAction(this, s, c, instr.lock);
        cannot.push(sym.and(sym.eq(pc, p), sym.not(sym.or(a.step, a.maskWait))));
      }
    });
    return sym.not(sym.or(...cannot));
  }

  /** Machine.deliverable: pending line `line` can be taken on CPU `c` now (the shadow holds it off while c can step). */
  deliverable(s: SymState, c: number, line: number): Cond {
    const shadow = this.sym.eq(this.shadow(s, c), 1);
    return this.sym.and(
      this.sym.eq(this.ie(s, c), 1),
      this.sym.not(shadow === false ? false : this.sym.and(shadow, this.canStep(s, c))),
      this.sym.eq(this.sym.and32(this.inService(s, c), this.m.blockers[line]!), 0),
    );
  }

  /** Machine.urgentLine, as one condition per line: it is the line CPU `c` takes next. */
  urgentLines(s: SymState, c: number): Cond[] {
    const pending = this.pending(s, c);
    const out: Cond[] = this.m.program.lines.map(() => false);
    let taken: Cond = false;
    for (const line of this.m.linesByUrgency) {
      const here = this.sym.and(this.sym.bit(pending, line), this.deliverable(s, c, line));
      out[line] = this.sym.and(this.sym.not(taken), here);
      taken = this.sym.or(taken, here);
    }
    return out;
  }
}
