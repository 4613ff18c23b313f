// One step of one CPU: the state being built, the events it produces, and where the CPU goes next.

import type { PropertyId } from '../ir/ir.js';
import type { ModelEvent } from '../checker/model.js';
import { contextOf, threadName } from './describe.js';
import type { Machine } from './machine.js';

export class Step {
  /** The pc the CPU continues at (resolved through jumps when written back); an instruction may change it. */
  nextPc: number;

  constructor(
    readonly m: Machine,
    readonly s: Uint32Array,
    readonly cpu: number,
    readonly pc: number,
    readonly events: ModelEvent[],
  ) {
    this.nextPc = pc + 1;
  }

  get current(): number {
    return this.m.current(this.s, this.cpu);
  }

  /** A violation the machine survives (Linux would print a warning and go on). */
  warn(property: PropertyId, message: string, locks?: number[]): void {
    this.events.push({ kind: 'violation', property, message, fatal: false, cpu: this.cpu, ...(locks ? { locks } : {}) });
  }

  context(): string {
    return contextOf(this.m, this.s, this.cpu);
  }

  name(t: number): string {
    return threadName(this.m, t);
  }
}
