// The fixed state layout: every piece of state a model has, machine and software, as named slots of a given
// bit width packed into 32-bit words. A state is a Uint32Array of `Layout.words` words. No slot crosses a word
// boundary, so reading a slot is one shift and one mask.

import { PREEMPT_MAX, type Arch, type IrqLine, type LockDecl, type RunQueueDecl, type ThreadDecl, type Unit, type ValueType, type VarDecl, type WaitQueueDecl } from './ir.js';

export interface Slot {
  name: string;
  word: number;
  shift: number;
  bits: number;
  /** Largest stored code (the smallest is always 0). */
  max: number;
}

/** Kinds of frame a stack holds. `none` marks an empty stack cell. */
export const FRAME_KINDS = ['none', 'call', 'irq', 'exc', 'flags', 'switch'] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];

/** Bit fields of a frame word (a stack cell, and on aarch64 the ELR/SPSR pair). */
export interface FrameFormat {
  bits: number;
  kind: Field; // index into FRAME_KINDS
  pc: Field; // return point (global pc)
  ie: Field; // saved interrupt-enable bit
  owner: Field; // thread the frame belongs to
  hardirq: Field; // hardirq depth to restore
  line: Field; // line delivered (irq and exc frames)
  stack: Field; // stack the CPU was on before entry: 0 = thread stack, 1 + k = handler stack k
}

export interface Field {
  shift: number;
  bits: number;
}

/** State of the aarch64 ELR_EL1/SPSR_EL1 pair of a CPU. */
export const ELR_STATES = ['empty', 'live', 'saved'] as const;

export const MAX_HARDIRQ = 7;

export interface CpuSlots {
  pc: Slot; // global pc, or Layout.stoppedPc
  current: Slot; // thread id (threads = none)
  ie: Slot; // interrupts enabled: x86 IF, aarch64 !PSTATE.I
  shadow: Slot | null; // x86 sti interrupt shadow
  hardirq: Slot; // interrupt-context nesting depth
  pending: Slot; // bitmask of lines
  inService: Slot; // bitmask: x86 ISR, aarch64 GIC active
  stackSel: Slot; // 0 = current thread's stack, 1 + k = handler stack k
  elr: Slot | null; // aarch64: frame word written on exception entry
  elrState: Slot | null; // aarch64: index into ELR_STATES
  handlerStacks: StackSlots[]; // one per handler that declares its own stack, in `Layout.handlerStackUnits` order
  maskedSteps: Slot | null; // consecutive steps with interrupts masked (only when laid out for irq-latency)
  /**
   * An irqsave `acquire` that found its lock taken masks interrupts first and then spins (as
   * spin_lock_irqsave does); this bit keeps the interrupt-enable state it saved until the lock is taken and the
   * bit moves into the lock's savedIe. Null when the model has no irqsave lock.
   */
  spinSavedIe: Slot | null;
  /**
   * Per line, how many times it has arrived by itself on this CPU, for a line whose source fires a bounded
   * number of times (`once`, `at most N`: the count saturates at that bound); null for every other line.
   */
  arrived: (Slot | null)[];
  /** GIC with EOImode 1: the active lines whose priority has been dropped (EOIR written, DIR not yet); else null. */
  dropped?: Slot | null;
  /** GIC (`controller gic`): ICC_PMR_EL1 (0..255), when some code writes it (`pmr := e`); else null (it stays 0xf0). */
  pmr?: Slot | null;
  /** x86 local APIC (`controller lapic`): the task-priority class, TPR bits 7:4 (0..15); null without one. */
  tpr: Slot | null;
  /**
   * The thread whose stack the CPU's stack pointer is in while it runs on a thread stack (`stackSel` 0), when the
   * model switches stacks and `current` in separate steps (`save_sp`, `load_sp`, `current := t`); null otherwise,
   * where it is always `current`.
   */
  sp: Slot | null;
}

export interface StackSlots {
  depth: number;
  sp: Slot; // number of frames
  cells: Slot[]; // frame words, bottom first
  /**
   * When the model has procedure-local variables: the level of the activation running on top of this stack
   * (0..depth; a thread body is level 0, each call or interrupt entry on the stack one more), else null.
   */
  act: Slot | null;
  /** Per variable id: a local's slots on this stack, for levels `from` on; null for the other variables, and a local whose body never runs on it. */
  locals: (LocalSlots | null)[];
}

/** A local's instances on one stack: `slots[i]` is its instance at level `from + i`. */
export interface LocalSlots {
  from: number;
  slots: Slot[];
}

export interface ThreadSlots {
  state: Slot; // index into THREAD_STATES
  freed: Slot; // its stack has been freed
  preempt: Slot | null; // its preempt_count, when some code disables preemption
  softirq: Slot | null; // its softirq count, when some code disables bottom halves
  stack: StackSlots;
}

/** A run queue: its length and its entries (thread ids, in order; unused entries 0). */
export interface RunQueueSlots {
  len: Slot;
  entries: Slot[];
}

export interface LockSlots {
  owner: Slot; // 0 = free, 1 + thread id
  savedIe: Slot | null; // irqsave locks: interrupt-enable bit saved at acquire
  level: Slot; // hardirq depth of the acquiring context
  waiters: Slot | null; // mutexes: bitmask of threads sleeping on it
}

export interface Layout {
  words: number;
  slots: Slot[];
  /** Variable slots: vars[varId][instance][element] (instance: 1 for globals, cpus or threads otherwise). */
  vars: Slot[][][];
  locks: LockSlots[];
  /**
   * Per wait queue: the bitmask of threads waiting on it, and the same threads in the order they began to wait
   * (`len` entries; the unused ones 0), which wake_one follows (first to wait, first woken).
   */
  waitQueues: { waiters: Slot; len: Slot; entries: Slot[] }[];
  runQueue: RunQueueSlots;
  /** Per declared run queue (`runqueue rq[cpu]`), in RunQueueDecl id order; empty without any. */
  runQueues: RunQueueSlots[];
  threads: ThreadSlots[];
  cpus: CpuSlots[];
  frame: FrameFormat;
  /** Global pc of each unit's first instruction; a unit's pc range is [pcBase[u], pcBase[u] + code.length). */
  pcBase: number[];
  /** The pc of a CPU that has stopped (its thread ended). */
  stoppedPc: number;
  /** Units (handlers) that run on their own per-CPU stack, in the order of CpuSlots.handlerStacks. */
  handlerStackUnits: number[];
}

export interface LayoutInput {
  arch: Arch;
  cpus: number;
  lines: IrqLine[];
  locks: LockDecl[];
  /** Absent: none (layouts made without wait queues). */
  waitQueues?: WaitQueueDecl[];
  /** Declared run queues; absent: none. */
  runQueues?: RunQueueDecl[];
  vars: VarDecl[];
  threads: ThreadDecl[];
  units: Unit[];
  /** Add per-CPU counters of consecutive masked steps, saturating at bound + 1. */
  latencyBound?: number | null;
  /** `lapic`: every CPU has a task-priority register. */
  controller?: 'lapic' | 'i8259' | 'gic' | null;
  /** GIC EOImode 1: every CPU keeps the active lines whose priority has been dropped. */
  gicSplitEoi?: boolean;
}

export function bitsFor(max: number): number {
  let bits = 1;
  while (max >= 2 ** bits) bits++;
  return bits;
}

/** Number of stored codes of a value type (its largest code is this minus one). */
export function typeCardinality(type: ValueType, threads: number, cpus: number): number {
  switch (type.kind) {
    case 'bool':
      return 2;
    case 'int':
      return type.max - type.min + 1;
    case 'enum':
      return type.members.length;
    case 'thread':
      return threads + 1;
    case 'cpu':
      return cpus;
  }
}

class Packer {
  readonly slots: Slot[] = [];
  private word = 0;
  private used = 0;

  add(name: string, max: number): Slot {
    const bits = bitsFor(max);
    if (bits > 32) throw new RangeError(`slot ${name} needs ${bits} bits`);
    if (this.used + bits > 32) {
      this.word++;
      this.used = 0;
    }
    const slot: Slot = { name, word: this.word, shift: this.used, bits, max };
    this.used += bits;
    this.slots.push(slot);
    return slot;
  }

  get words(): number {
    return this.used === 0 ? this.word : this.word + 1;
  }
}

function frameFormat(pcMax: number, threads: number, lines: number, stacks: number, sync: boolean): FrameFormat {
  let shift = 0;
  const field = (max: number): Field => {
    const f = { shift, bits: bitsFor(max) };
    shift += f.bits;
    return f;
  };
  const kind = field(FRAME_KINDS.length - 1);
  const pc = field(pcMax);
  const ie = field(1);
  const owner = field(threads);
  const hardirq = field(MAX_HARDIRQ);
  // A synchronous entry (syscall, svc, int) and a forged frame record no line: `lines` itself, when the model has one.
  const line = field(sync ? lines : Math.max(lines - 1, 0));
  const stack = field(stacks);
  if (shift > 32) throw new RangeError(`a frame needs ${shift} bits; the model is too large`);
  return { bits: shift, kind, pc, ie, owner, hardirq, line, stack };
}

function frameMax(format: FrameFormat): number {
  return format.bits >= 32 ? 0xffffffff : 2 ** format.bits - 1;
}

export function computeLayout(input: LayoutInput): Layout {
  const { cpus, threads } = { cpus: input.cpus, threads: input.threads.length };
  const packer = new Packer();

  const pcBase: number[] = [];
  let pc = 0;
  for (const unit of input.units) {
    pcBase.push(pc);
    pc += unit.code.length;
  }
  const stoppedPc = pc;
  const handlerStackUnits = input.units.filter((u) => u.kind === 'handler' && u.stack !== null).map((u) => u.id);
  // A forged interrupt or exception frame was pushed by no entry either: it records no line as well.
  const sync =
    input.units.some((u) => u.code.some((i) => i.op === 'syscall' || i.op === 'svc' || i.op === 'int')) ||
    input.threads.some((t) => t.forgedFrames.some((f) => f.kind === 'iret' || f.kind === 'eret'));
  const frame = frameFormat(stoppedPc, threads, input.lines.length, handlerStackUnits.length, sync);
  const cellMax = frameMax(frame);
  // Locals: each local has one instance per level of each stack its body can run on: a thread body's at level 0
  // of its own threads' stacks; a procedure's at levels 1..depth of every stack; a handler's at levels 1..depth
  // of its own stack on each CPU, or of every stack when it runs on the one it interrupts. Stacks are numbered
  // thread stacks first, then each CPU's handler stacks.
  const hasLocals = input.vars.some((v) => v.scope === 'local');
  const stackNames = [
    ...input.threads.map((t) => ({ name: t.name, depth: t.stackDepth, thread: t.id as number | null, unit: null as number | null })),
    ...Array.from({ length: cpus }, (_, c) =>
      handlerStackUnits.map((u) => ({ name: `cpu${c}.${input.units[u]!.name}`, depth: input.units[u]!.stack!.depth, thread: null, unit: u })),
    ).flat(),
  ];
  const levelsOf = (v: VarDecl, k: number): [number, number] | null => {
    const unit = input.units[v.unit!]!;
    const st = stackNames[k]!;
    if (unit.kind === 'thread') return st.thread !== null && input.threads[st.thread]!.unit === unit.id ? [0, 0] : null;
    if (unit.kind === 'handler' && unit.stack !== null && st.unit !== unit.id) return null;
    return [1, st.depth];
  };
  const localsOfStack: (LocalSlots | null)[][] = stackNames.map(() => input.vars.map(() => null));

  const vars = input.vars.map((v) => {
    const max = typeCardinality(v.type, threads, cpus) - 1;
    if (v.scope === 'local') {
      const out: Slot[][] = [];
      stackNames.forEach((st, k) => {
        const range = levelsOf(v, k);
        if (range === null) return;
        const slots: Slot[] = [];
        for (let level = range[0]; level <= range[1]; level++) slots.push(packer.add(`${input.units[v.unit!]!.name}.${v.name}@${st.name}#${level}`, max));
        localsOfStack[k]![v.id] = { from: range[0], slots };
        for (const slot of slots) out.push([slot]);
      });
      return out;
    }
    const instances = v.scope === 'global' ? 1 : v.scope === 'percpu' ? cpus : threads;
    return Array.from({ length: instances }, (_, i) => {
      const owner = v.scope === 'global' ? '' : v.scope === 'percpu' ? `@cpu${i}` : `@${input.threads[i]!.name}`;
      const elements = v.length ?? 1;
      return Array.from({ length: elements }, (_, e) => packer.add(`${v.name}${v.length === null ? '' : `[${e}]`}${owner}`, max));
    });
  });

  const stack = (name: string, depth: number, k: number): StackSlots => ({
    depth,
    sp: packer.add(`${name}.sp`, depth),
    cells: Array.from({ length: depth }, (_, i) => packer.add(`${name}[${i}]`, cellMax)),
    act: hasLocals ? packer.add(`${name}.act`, depth) : null,
    locals: localsOfStack[k]!,
  });

  const locks = input.locks.map((l) => ({
    owner: packer.add(`lock.${l.name}.owner`, threads),
    savedIe: l.kind === 'irqsave' ? packer.add(`lock.${l.name}.saved_ie`, 1) : null,
    level: packer.add(`lock.${l.name}.level`, MAX_HARDIRQ),
    waiters: l.kind === 'mutex' ? packer.add(`lock.${l.name}.waiters`, 2 ** threads - 1) : null,
  }));

  const waitQueues = (input.waitQueues ?? []).map((q) => ({
    waiters: packer.add(`wq.${q.name}.waiters`, 2 ** threads - 1),
    len: packer.add(`wq.${q.name}.len`, threads),
    entries: Array.from({ length: threads }, (_, i) => packer.add(`wq.${q.name}[${i}]`, threads)),
  }));

  const runQueue = {
    len: packer.add('rq.len', threads),
    entries: Array.from({ length: threads }, (_, i) => packer.add(`rq[${i}]`, threads)),
  };
  const runQueues = (input.runQueues ?? []).map((q) => ({
    len: packer.add(`runqueue.${q.name}.len`, threads),
    entries: Array.from({ length: threads }, (_, i) => packer.add(`runqueue.${q.name}.entry${i}`, threads)),
  }));

  const preemptible = input.units.some((u) => u.code.some((i) => i.op === 'preempt_disable' || i.op === 'preempt_enable'));
  const bh = input.units.some((u) => u.code.some((i) => i.op === 'local_bh_disable' || i.op === 'local_bh_enable'));
  const writesPmr = input.units.some((u) => u.code.some((i) => i.op === 'pmr'));
  const threadSlots = input.threads.map((t, i) => ({
    state: packer.add(`thread.${t.name}.state`, 4),
    freed: packer.add(`thread.${t.name}.freed`, 1),
    preempt: preemptible ? packer.add(`thread.${t.name}.preempt_count`, PREEMPT_MAX) : null,
    softirq: bh ? packer.add(`thread.${t.name}.softirq_count`, PREEMPT_MAX) : null,
    stack: stack(`thread.${t.name}.stack`, t.stackDepth, i),
  }));

  const splitSwitch = input.units.some((u) => u.code.some((i) => i.op === 'save_sp' || i.op === 'load_sp' || i.op === 'set_current'));
  const lineMask = 2 ** input.lines.length - 1;
  const aarch64 = input.arch === 'aarch64';
  const cpuSlots = Array.from({ length: cpus }, (_, c) => {
    const name = `cpu${c}`;
    return {
      pc: packer.add(`${name}.pc`, stoppedPc),
      current: packer.add(`${name}.current`, threads),
      ie: packer.add(`${name}.ie`, 1),
      shadow: aarch64 ? null : packer.add(`${name}.shadow`, 1),
      hardirq: packer.add(`${name}.hardirq`, MAX_HARDIRQ),
      pending: packer.add(`${name}.pending`, lineMask),
      inService: packer.add(`${name}.${aarch64 ? 'active' : 'in_service'}`, lineMask),
      stackSel: packer.add(`${name}.stack_sel`, handlerStackUnits.length),
      elr: aarch64 ? packer.add(`${name}.elr`, cellMax) : null,
      elrState: aarch64 ? packer.add(`${name}.elr_state`, ELR_STATES.length - 1) : null,
      handlerStacks: handlerStackUnits.map((u, k) =>
        stack(`${name}.hstack.${input.units[u]!.name}`, input.units[u]!.stack!.depth, threads + c * handlerStackUnits.length + k),
      ),
      maskedSteps:
        input.latencyBound === undefined || input.latencyBound === null
          ? null
          : packer.add(`${name}.masked_steps`, input.latencyBound + 1),
      // 1: saved by a spin outside an NMI; 2 (only where there are NMIs): by a spin in an NMI handler.
      spinSavedIe: input.locks.some((l) => l.kind === 'irqsave') ? packer.add(`${name}.spin_saved_ie`, input.lines.some((l) => l.nmi === true) ? 2 : 1) : null,
      arrived: input.lines.map((l) =>
        l.source === 'external' && l.limit !== null && (l.cpus.length === 0 || l.cpus.includes(c))
          ? packer.add(`${name}.arrived.${l.name}`, l.limit)
          : null,
      ),
      tpr: input.controller === 'lapic' ? packer.add(`${name}.tpr`, 15) : null,
      pmr: writesPmr ? packer.add(`${name}.pmr`, 255) : null,
      dropped: input.gicSplitEoi === true ? packer.add(`${name}.dropped`, lineMask) : null,
      sp: splitSwitch ? packer.add(`${name}.sp`, threads) : null,
    };
  });

  return {
    words: packer.words,
    slots: packer.slots,
    vars,
    locks,
    waitQueues,
    runQueue,
    runQueues,
    threads: threadSlots,
    cpus: cpuSlots,
    frame,
    pcBase,
    stoppedPc,
    handlerStackUnits,
  };
}

export function readSlot(state: Uint32Array, slot: Slot): number {
  // (1 << bits) - 1 is the mask as an int32 for every width up to 31 (31 wraps to 0x7fffffff under `&`).
  return slot.bits === 32 ? state[slot.word]! : (state[slot.word]! >>> slot.shift) & ((1 << slot.bits) - 1);
}

export function writeSlot(state: Uint32Array, slot: Slot, value: number): void {
  if (slot.bits === 32) {
    state[slot.word] = value >>> 0;
    return;
  }
  const mask = ((1 << slot.bits) - 1) << slot.shift;
  state[slot.word] = ((state[slot.word]! & ~mask) | ((value << slot.shift) & mask)) >>> 0;
}

export function readField(word: number, field: Field): number {
  return (word >>> field.shift) & ((1 << field.bits) - 1);
}

export function writeField(word: number, field: Field, value: number): number {
  const mask = ((1 << field.bits) - 1) << field.shift;
  return ((word & ~mask) | ((value << field.shift) & mask)) >>> 0;
}
