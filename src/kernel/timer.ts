// The per-CPU timer. In `periodic` mode it raises its line every `period` cycles plus a seeded jitter in
// [-jitter, +jitter], as a real timer's interrupts land at slightly different instructions on every boot. In
// `forced` mode it raises the line exactly when a CPU has retired a given number of instructions, so a
// counterexample's interrupt timing can be imposed on the kernel (replay).

import type { Prng } from './prng.js';

export type TimerMode =
  | { kind: 'periodic'; period: number; jitter: number }
  | { kind: 'forced'; at: { cpu: number; retired: number }[] }
  | { kind: 'off' };

export class Timer {
  private readonly deadline: number[];
  private readonly forced: { cpu: number; retired: number }[][];

  constructor(
    readonly mode: TimerMode,
    cpus: number,
    private readonly prng: Prng,
    /** The cycle the timer starts at. */
    start = 0,
  ) {
    // The first tick comes at a random phase: the timer was not started in step with the threads.
    this.deadline = Array.from({ length: cpus }, () => (mode.kind === 'periodic' ? start + 1 + prng.below(mode.period) : Infinity));
    this.forced = Array.from({ length: cpus }, (_, c) =>
      mode.kind === 'forced' ? mode.at.filter((a) => a.cpu === c).sort((a, b) => b.retired - a.retired) : [],
    );
  }

  private nextDelay(): number {
    if (this.mode.kind !== 'periodic') return Infinity;
    const { period, jitter } = this.mode;
    return Math.max(1, period - jitter + this.prng.below(2 * jitter + 1));
  }

  /** Whether the timer fires on `cpu` at this cycle, given the instructions it has retired so far. */
  fires(cpu: number, cycle: number, retired: number): boolean {
    if (this.mode.kind === 'periodic') {
      if (cycle < this.deadline[cpu]!) return false;
      this.deadline[cpu] = cycle + this.nextDelay();
      return true;
    }
    const queue = this.forced[cpu]!;
    const next = queue[queue.length - 1];
    if (next !== undefined && retired >= next.retired) {
      queue.pop();
      return true;
    }
    return false;
  }

  /** Forced events still to come, per CPU. */
  remaining(cpu: number): number {
    return this.forced[cpu]!.length;
  }
}
