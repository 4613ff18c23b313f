// The run's bounds as the JavaScript between two Z3 calls sees them. Z3's own work is stopped by the watchdog's
// interrupt (check.ts); building terms is JavaScript that no interrupt reaches (the symbolic system, an
// unrolling, the mined candidates and the reachable set grow with the state), so those loops ask the budget as
// they go and stop by throwing OutOfBudget, which the engine reports as the deadline or memory limit reached.

/** Thrown by `Budget.check` when the deadline has passed or the memory limit is reached. */
export class OutOfBudget extends Error {
  constructor() {
    super('out of budget');
  }
}

export class Budget {
  constructor(
    /** A Date.now() value, or null for none. */
    readonly deadline: number | null,
    /** True once the process is over its memory limit (check.ts reads the resident size at most every few ms). */
    private readonly overMemory: () => boolean = () => false,
    private readonly now: () => number = Date.now,
  ) {}

  /** No bound at all. */
  static readonly NONE = new Budget(null);

  /** Past the deadline or over the memory limit. */
  spent(): boolean {
    return (this.deadline !== null && this.now() >= this.deadline) || this.overMemory();
  }

  /** Throws OutOfBudget when spent. */
  check(): void {
    if (this.spent()) throw new OutOfBudget();
  }

  /** The same memory limit with a deadline no later than `deadline`. */
  until(deadline: number | null): Budget {
    const d = deadline === null ? this.deadline : this.deadline === null ? deadline : Math.min(deadline, this.deadline);
    return new Budget(d, this.overMemory, this.now);
  }
}
