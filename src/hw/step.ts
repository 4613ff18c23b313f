// One step of one CPU, in any instantiation: the state being built, the CPU, the instruction's pc (known: a
// step action names its pc) and where the CPU goes next.

import type { Access } from './access.js';
import { num, type Val } from './domain.js';
import { contextOf, threadName } from './describe.js';
import type { Concrete, State } from './state.js';

export class Step {
  constructor(
    readonly a: Access,
    readonly s: State,
    readonly cpu: number,
    readonly pc: number,
  ) {
    s.setNext(pc + 1);
  }

  get current(): Val {
    return this.a.current(this.s, this.cpu);
  }

  /** The thread whose stack the CPU runs on (`current`, unless the model splits the switch): frames pushed are its. */
  get stackOwner(): Val {
    return this.a.stackOwner(this.s, this.cpu);
  }

  /** Continues at `pc` (resolved through jumps when written back) in the branch the rule is in. */
  goto(pc: Val): void {
    this.s.setNext(pc);
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
