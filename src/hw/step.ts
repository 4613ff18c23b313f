// One step of one CPU, in any instantiation: the state being built, the CPU, the instruction's pc (known: a
// step action names its pc) and where the CPU goes next.

import type { Access } from './access.js';
import { num, type Val } from './domain.js';
import { contextOf, threadName } from './describe.js';
import type { Concrete, State } from './state.js';

export class Step {
  /** The pc the CPU continues at (resolved through jumps when written back); an instruction may change it. */
  nextPc: Val;

  constructor(
    readonly a: Access,
    readonly s: State,
    readonly cpu: number,
    readonly pc: number,
  ) {
    this.nextPc = pc + 1;
  }

  get current(): Val {
    return this.a.current(this.s, this.cpu);
  }

  /** Continues at `pc` in the branch the rule is in. */
  goto(pc: Val): void {
    this.nextPc = this.a.ops.ite(this.s.guard, pc, this.nextPc);
  }

  // Report helpers: called only while building a message, where every value is known.

  /** `thread worker[0]`, `handler timer (on worker[0])`. */
  context(d: Concrete): string {
    return contextOf(d.m, d.s, this.cpu);
  }

  name(t: Val): string {
    return threadName(this.a.m, num(t));
  }
}
