// The state layout flattened into typed arrays, for the compiled successor function (compile.ts): every slot
// gets an index into SW/SS/SM (word, shift, mask), and every family the semantics addresses by a value computed
// at run time (a thread's stack, a lock, a run-queue entry, a variable element) gets a base index. The helpers
// here are the operations on those families; generated code calls them with plain integers, so nothing on the
// hot path allocates.

import { FRAME_KINDS, type Layout, type Slot, type StackSlots } from '../../ir/layout.js';
import type { Expr, Instance, Program } from '../../ir/ir.js';

export const KIND_CALL = FRAME_KINDS.indexOf('call');
export const KIND_IRQ = FRAME_KINDS.indexOf('irq');
export const KIND_EXC = FRAME_KINDS.indexOf('exc');
export const KIND_FLAGS = FRAME_KINDS.indexOf('flags');
export const KIND_SWITCH = FRAME_KINDS.indexOf('switch');

/** Stored codes of the thread states (THREAD_STATES order). */
export const TS_DORMANT = 0;
export const TS_READY = 1;
export const TS_RUNNING = 2;
export const TS_BLOCKED = 3;
export const TS_EXITED = 4;

/** Locks whose holding makes a switch "scheduling while atomic": spinning locks that are not handed off. */
export function atomicLockMask(program: Program): number {
  let mask = 0;
  program.locks.forEach((l) => {
    if (l.kind !== 'mutex' && !l.handoff) mask |= 1 << l.id;
  });
  return mask;
}

export class Geometry {
  /** Slot tables: word, shift, mask (2^bits - 1 as an int32: -1 for a whole word), and ~(mask << shift). */
  readonly SW: Int32Array;
  readonly SS: Int32Array;
  readonly SM: Int32Array;
  readonly SC: Int32Array;
  private readonly index = new Map<Slot, number>();

  readonly threads: number;
  readonly cpus: number;
  /** Stack ids: thread t is t; handler stack k of CPU c is threads + c * handlerStacks + k. */
  readonly stackSp: Int32Array;
  readonly stackDepth: Int32Array;
  /** Slot index of cell i of stack id: stackCell[stackCellBase[id] + i]. */
  readonly stackCellBase: Int32Array;
  readonly stackCell: Int32Array;
  readonly threadState: Int32Array;
  readonly threadFreed: Int32Array;
  readonly lockOwner: Int32Array;
  readonly lockLevel: Int32Array;
  readonly rqLen: number;
  readonly rqEntry: Int32Array;
  readonly cpuPc: Int32Array;
  readonly cpuCurrent: Int32Array;
  /** Slot index of variable v, instance i, element e: varSlot[varBase[v] + i * varElems[v] + e]. */
  readonly varBase: Int32Array;
  readonly varElems: Int32Array;
  readonly varInstances: Int32Array;
  readonly varSlot: Int32Array;

  constructor(
    readonly program: Program,
    readonly layout: Layout,
  ) {
    const n = layout.slots.length;
    this.SW = new Int32Array(n);
    this.SS = new Int32Array(n);
    this.SM = new Int32Array(n);
    this.SC = new Int32Array(n);
    layout.slots.forEach((slot, i) => {
      this.index.set(slot, i);
      this.SW[i] = slot.word;
      this.SS[i] = slot.shift;
      this.SM[i] = (2 ** slot.bits - 1) | 0;
      this.SC[i] = ~((2 ** slot.bits - 1) * 2 ** slot.shift) | 0;
    });
    this.threads = program.threads.length;
    this.cpus = program.cpus;
    const stacks: StackSlots[] = [...layout.threads.map((t) => t.stack), ...layout.cpus.flatMap((c) => c.handlerStacks)];
    this.stackSp = Int32Array.from(stacks, (st) => this.of(st.sp));
    this.stackDepth = Int32Array.from(stacks, (st) => st.depth);
    this.stackCellBase = new Int32Array(stacks.length);
    const cells: number[] = [];
    stacks.forEach((st, id) => {
      this.stackCellBase[id] = cells.length;
      for (const cell of st.cells) cells.push(this.of(cell));
    });
    this.stackCell = Int32Array.from(cells);
    this.threadState = Int32Array.from(layout.threads, (t) => this.of(t.state));
    this.threadFreed = Int32Array.from(layout.threads, (t) => this.of(t.freed));
    this.lockOwner = Int32Array.from(layout.locks, (l) => this.of(l.owner));
    this.lockLevel = Int32Array.from(layout.locks, (l) => this.of(l.level));
    this.rqLen = this.of(layout.runQueue.len);
    this.rqEntry = Int32Array.from(layout.runQueue.entries, (e) => this.of(e));
    this.cpuPc = Int32Array.from(layout.cpus, (c) => this.of(c.pc));
    this.cpuCurrent = Int32Array.from(layout.cpus, (c) => this.of(c.current));
    this.varBase = new Int32Array(layout.vars.length);
    this.varElems = new Int32Array(layout.vars.length);
    this.varInstances = new Int32Array(layout.vars.length);
    const vs: number[] = [];
    layout.vars.forEach((instances, v) => {
      this.varBase[v] = vs.length;
      this.varInstances[v] = instances.length;
      this.varElems[v] = instances[0]?.length ?? 0;
      for (const elements of instances) for (const slot of elements) vs.push(this.of(slot));
    });
    this.varSlot = Int32Array.from(vs);
  }

  /** The index of a slot of this layout. */
  of(slot: Slot): number {
    const i = this.index.get(slot);
    if (i === undefined) throw new Error(`internal: slot ${slot.name} is not in the layout`);
    return i;
  }

  /** Handler stack k of CPU c as a stack id. */
  handlerStack(c: number, k: number): number {
    return this.threads + c * this.layout.handlerStackUnits.length + k;
  }
}

/** Reading and writing a slot by its index, over one Geometry (symmetry.ts renumbers states with them). */
export function runtime(g: Geometry) {
  const { SW, SS, SM, SC } = g;
  function rd(n: Uint32Array, i: number): number {
    return ((n[SW[i]!]! >>> SS[i]!) & SM[i]!) >>> 0;
  }
  function wr(n: Uint32Array, i: number, v: number): void {
    const w = SW[i]!;
    n[w] = (n[w]! & SC[i]!) | ((v & SM[i]!) << SS[i]!);
  }
  return { rd, wr };
}

/** A constant slot when a variable access names one element of one instance, else null. */
export function staticVarSlot(x: { g: Geometry; cpu: number }, varId: number, instance: Instance, index: Expr | null): Slot | null {
  if (index !== null && index.kind !== 'const') return null;
  const elem = index === null ? 0 : index.value;
  const decl = x.g.program.vars[varId]!;
  if (elem < 0 || elem >= (decl.length ?? 1)) return null;
  let inst: number;
  if (instance.kind === 'global') inst = 0;
  else if (instance.kind === 'this' && decl.scope === 'percpu' && x.cpu >= 0) inst = x.cpu;
  else if (instance.kind === 'of' && instance.which.kind === 'const') inst = instance.which.value;
  else return null;
  if (inst < 0 || inst >= x.g.varInstances[varId]!) return null;
  return x.g.layout.vars[varId]![inst]![elem]!;
}
