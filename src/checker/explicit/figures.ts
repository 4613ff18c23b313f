// Figures kernel developers size their kernels by, gathered over every reachable state of a complete search:
// the worst depth of every thread stack and handler stack, and the longest masked window when the model
// counts masked steps (a declared latency bound).

import type { Figures } from '../verdict.js';
import { readSlot, type Layout, type Slot } from '../../ir/layout.js';
import type { Program } from '../../ir/ir.js';

export class FigureCollector {
  private readonly stacks: { name: string; sp: Slot; declared: number; worst: number }[] = [];
  private readonly masked: { cpu: number; slot: Slot; worst: number }[] = [];

  constructor(
    program: Program,
    layout: Layout,
    private readonly latencyBound: number | null,
  ) {
    program.threads.forEach((t, i) => {
      const stack = layout.threads[i]!.stack;
      this.stacks.push({ name: t.name, sp: stack.sp, declared: stack.depth, worst: 0 });
    });
    layout.cpus.forEach((cpu, c) => {
      cpu.handlerStacks.forEach((stack, k) => {
        const unit = program.units[layout.handlerStackUnits[k]!]!;
        this.stacks.push({ name: `cpu${c}.hstack.${unit.name}`, sp: stack.sp, declared: stack.depth, worst: 0 });
      });
      if (cpu.maskedSteps !== null) this.masked.push({ cpu: c, slot: cpu.maskedSteps, worst: 0 });
    });
  }

  observe(state: Uint32Array): void {
    for (const s of this.stacks) {
      const sp = readSlot(state, s.sp);
      if (sp > s.worst) s.worst = sp;
    }
    for (const m of this.masked) {
      const n = readSlot(state, m.slot);
      if (n > m.worst) m.worst = n;
    }
  }

  figures(): Figures {
    const stackDepth: Figures['stackDepth'] = {};
    for (const s of this.stacks) stackDepth[s.name] = { worst: s.worst, declared: s.declared };
    let maskedWindow: Figures['maskedWindow'] = null;
    if (this.masked.length > 0 && this.latencyBound !== null) {
      const worst = this.masked.reduce((a, b) => (b.worst > a.worst ? b : a));
      // A counter saturates one above the bound: past it the window is only known to exceed the bound.
      maskedWindow = { steps: worst.worst > this.latencyBound ? null : worst.worst, cpu: worst.cpu };
    }
    return { stackDepth, maskedWindow };
  }
}
