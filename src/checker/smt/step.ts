// One step of one CPU, symbolically (src/hw/step.ts): the machine, the state being built, the CPU and the
// instruction's pc (known: a step action names its pc), and where the CPU goes next.

import type { SymMachine } from './machine.js';
import type { SymState } from './state.js';
import type { Val } from './sym.js';

export class SymStep {
  nextPc: Val;

  constructor(
    readonly m: SymMachine,
    readonly s: SymState,
    readonly cpu: number,
    readonly pc: number,
  ) {
    this.nextPc = pc + 1;
  }

  get current(): Val {
    return this.m.current(this.s, this.cpu);
  }
}
