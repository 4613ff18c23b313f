// Figures kernel developers size their kernels by, gathered over every reachable state of a complete search:
// the worst depth of every thread stack and handler stack, and the longest masked window when the model
// counts masked steps (a declared latency bound). Under symmetry reduction a stored state stands for every
// renumbering of its interchangeable threads, so a worst depth is shared by every thread of the group.

import type { Figures } from '../verdict.js';
import type { Layout, Slot } from '../../ir/layout.js';
import type { Program } from '../../ir/ir.js';

interface Counter {
  word: number;
  shift: number;
  mask: number;
  worst: number;
}

function counter(slot: Slot): Counter {
  return { word: slot.word, shift: slot.shift, mask: 2 ** slot.bits - 1, worst: 0 };
}

function observe(c: Counter, state: Uint32Array): void {
  const v = (state[c.word]! >>> c.shift) & c.mask;
  if (v > c.worst) c.worst = v;
}

/**
 * The slots whose worst value the figures are made of, in the collector's order: every thread stack's and
 * handler stack's depth, then each CPU's masked-step counter (the WebAssembly search core keeps the same worsts).
 */
export function figureSlots(layout: Layout): Slot[] {
  const slots = layout.threads.map((t) => t.stack.sp);
  for (const cpu of layout.cpus) {
    for (const stack of cpu.handlerStacks) slots.push(stack.sp);
    if (cpu.maskedSteps !== null) slots.push(cpu.maskedSteps);
  }
  return slots;
}

export class FigureCollector {
  private readonly stacks: (Counter & { name: string; declared: number; thread: number })[] = [];
  private readonly masked: (Counter & { cpu: number })[] = [];
  /** Every counter in figureSlots' order. */
  private readonly ordered: Counter[] = [];

  constructor(
    program: Program,
    layout: Layout,
    private readonly latencyBound: number | null,
    private readonly symmetry: { readonly representative: Int32Array } | null = null,
  ) {
    program.threads.forEach((t, i) => {
      const stack = layout.threads[i]!.stack;
      this.stacks.push({ ...counter(stack.sp), name: t.name, declared: stack.depth, thread: i });
      this.ordered.push(this.stacks[this.stacks.length - 1]!);
    });
    layout.cpus.forEach((cpu, c) => {
      cpu.handlerStacks.forEach((stack, k) => {
        const unit = program.units[layout.handlerStackUnits[k]!]!;
        this.stacks.push({ ...counter(stack.sp), name: `cpu${c}.hstack.${unit.name}`, declared: stack.depth, thread: -1 });
        this.ordered.push(this.stacks[this.stacks.length - 1]!);
      });
      if (cpu.maskedSteps !== null) {
        this.masked.push({ ...counter(cpu.maskedSteps), cpu: c });
        this.ordered.push(this.masked[this.masked.length - 1]!);
      }
    });
  }

  observe(state: Uint32Array): void {
    for (let i = 0; i < this.stacks.length; i++) observe(this.stacks[i]!, state);
    for (let i = 0; i < this.masked.length; i++) observe(this.masked[i]!, state);
  }

  /** Worst values observed elsewhere, in figureSlots' order (the WebAssembly search core's). */
  absorb(worst: ArrayLike<number>): void {
    this.ordered.forEach((c, i) => (c.worst = Math.max(c.worst, worst[i]!)));
  }

  /** The worst values, in figureSlots' order. */
  worsts(): number[] {
    return this.ordered.map((c) => c.worst);
  }

  figures(): Figures {
    const stackDepth: Figures['stackDepth'] = {};
    const groupWorst = new Map<number, number>();
    const rep = this.symmetry?.representative;
    if (rep !== undefined) {
      for (const s of this.stacks) if (s.thread >= 0) groupWorst.set(rep[s.thread]!, Math.max(groupWorst.get(rep[s.thread]!) ?? 0, s.worst));
    }
    for (const s of this.stacks) {
      const worst = rep !== undefined && s.thread >= 0 ? groupWorst.get(rep[s.thread]!)! : s.worst;
      stackDepth[s.name] = { worst, declared: s.declared };
    }
    let maskedWindow: Figures['maskedWindow'] = null;
    if (this.masked.length > 0 && this.latencyBound !== null) {
      const worst = this.masked.reduce((a, b) => (b.worst > a.worst ? b : a));
      // A counter saturates one above the bound: past it the window is only known to exceed the bound.
      maskedWindow = { steps: worst.worst > this.latencyBound ? null : worst.worst, cpu: worst.cpu };
    }
    return { stackDepth, maskedWindow };
  }
}
