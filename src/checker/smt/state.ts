// One action executed symbolically: the state being built (a value per layout slot), the branch the rules are
// in, and what the action produced. It plays the part of the packed state, the `Step` and the event list of
// the explicit semantics at once. A rule branches with `when` where the explicit code has an `if`; a Fault
// becomes `fault`, after which nothing in that branch is observable (the explicit step stops at the throw).

import type { PropertyId } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import type { Cond, Sym, Val } from './sym.js';

/** The symbolic counterpart of a ModelEvent of kind 'acquire'. */
export interface SymAcquire {
  when: Cond;
  cpu: number;
  lock: number;
  owner: Val;
  hardirq: Val;
  ie: Cond;
  /** Per lock: held by the owner at the same hardirq level when this one was taken. */
  held: Cond[];
  trylock: boolean;
}

export interface SymEoi {
  when: Cond;
  cpu: number;
  line: number;
}

export class SymState {
  readonly vals: Val[];
  /** The branch the rule is in. */
  guard: Cond = true;
  /** No Fault has been thrown so far. */
  alive: Cond = true;
  readonly faults = new Map<PropertyId, Cond>();
  readonly warnings = new Map<PropertyId, Cond>();
  readonly acquires: SymAcquire[] = [];
  readonly eois: SymEoi[] = [];

  constructor(
    readonly sym: Sym,
    private readonly slotIndex: Map<Slot, number>,
    pre: readonly Val[],
  ) {
    this.vals = pre.slice();
  }

  index(slot: Slot): number {
    const i = this.slotIndex.get(slot);
    if (i === undefined) throw new Error(`internal: slot ${slot.name} is not in the layout`);
    return i;
  }

  read(slot: Slot): Val {
    return this.vals[this.index(slot)]!;
  }

  write(slot: Slot, value: Val): void {
    const i = this.index(slot);
    this.vals[i] = this.sym.ite(this.guard, this.sym.truncate(value, slot.bits), this.vals[i]!);
  }

  /** Runs `then` in the branch where `c` holds and `otherwise` in the other; a known `c` runs one of them. */
  when(c: Cond, then: () => void, otherwise?: () => void): void {
    const outer = this.guard;
    if (c !== false) {
      this.guard = this.sym.and(outer, c);
      if (this.guard !== false) then();
    }
    if (otherwise !== undefined && c !== true) {
      this.guard = this.sym.and(outer, this.sym.not(c));
      if (this.guard !== false) otherwise();
    }
    this.guard = outer;
  }

  /** The condition, in this branch, under which the action has not thrown: events need it. */
  private live(c: Cond): Cond {
    return this.sym.and(this.guard, this.alive, c);
  }

  /** A Fault thrown when `c` holds: a fatal violation, and the rest of the rule no longer happens there. */
  fault(property: PropertyId, c: Cond = true): void {
    const thrown = this.live(c);
    if (thrown === false) return;
    this.faults.set(property, this.sym.or(this.faults.get(property) ?? false, thrown));
    this.alive = this.sym.and(this.alive, this.sym.not(this.sym.and(this.guard, c)));
  }

  /** A violation the machine survives, when `c` holds. */
  warn(property: PropertyId, c: Cond = true): void {
    const happens = this.live(c);
    if (happens === false) return;
    this.warnings.set(property, this.sym.or(this.warnings.get(property) ?? false, happens));
  }

  acquired(event: Omit<SymAcquire, 'when'>): void {
    const when = this.live(true);
    if (when !== false) this.acquires.push({ ...event, when });
  }

  eoi(cpu: number, line: number): void {
    const when = this.live(true);
    if (when !== false) this.eois.push({ when, cpu, line });
  }

  /** Some Fault was thrown. */
  get faulted(): Cond {
    return this.sym.not(this.alive);
  }
}
