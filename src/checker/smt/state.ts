// The symbolic instantiation of the machine state (src/hw/state.ts): a value per layout slot, the branch the
// rules are in, and what the action produced. A fault becomes a condition, after which nothing in that branch
// is observable (the concrete step stops at the throw); reports are never built, since nothing is concrete here.
// Its values are those of any symbolic instantiation of the domain (Z3 terms, or AIG bits).

import type { PropertyId } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import type { AcquireEvent, Reporter, State } from '../../hw/state.js';
import type { Cond, Ops, Val } from '../../hw/domain.js';

/** An acquire event and the condition under which the action produces it. */
export interface SymAcquire extends AcquireEvent {
  when: Cond;
}

export interface SymEoi {
  when: Cond;
  cpu: number;
  line: number;
}

export class SymState implements State {
  readonly vals: Val[];
  /** The branch the rule is in. */
  guard: Cond = true;
  /** No fault has happened so far. */
  alive: Cond = true;
  readonly faults = new Map<PropertyId, Cond>();
  readonly warnings = new Map<PropertyId, Cond>();
  readonly acquires: SymAcquire[] = [];
  readonly eois: SymEoi[] = [];

  constructor(
    readonly ops: Ops,
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
    this.vals[i] = this.ops.ite(this.guard, this.ops.truncate(value, slot.bits), this.vals[i]!);
  }

  when(c: Cond, then: () => void, otherwise?: () => void): void {
    const outer = this.guard;
    if (c !== false) {
      this.guard = this.ops.and(outer, c);
      if (this.guard !== false) then();
    }
    if (otherwise !== undefined && c !== true) {
      this.guard = this.ops.and(outer, this.ops.not(c));
      if (this.guard !== false) otherwise();
    }
    this.guard = outer;
  }

  /** The condition, in this branch, under which no fault has happened and `c` holds. */
  private live(c: Cond): Cond {
    return this.ops.and(this.guard, this.alive, c);
  }

  fault(property: PropertyId, c: Cond, _report?: Reporter): void {
    const thrown = this.live(c);
    if (thrown === false) return;
    this.faults.set(property, this.ops.or(this.faults.get(property) ?? false, thrown));
    this.alive = this.ops.and(this.alive, this.ops.not(this.ops.and(this.guard, c)));
  }

  warn(property: PropertyId, c: Cond, _report?: Reporter): void {
    const happens = this.live(c);
    if (happens === false) return;
    this.warnings.set(property, this.ops.or(this.warnings.get(property) ?? false, happens));
  }

  acquired(event: AcquireEvent): void {
    const when = this.live(true);
    if (when !== false) this.acquires.push({ ...event, when });
  }

  eoi(cpu: number, line: number): void {
    const when = this.live(true);
    if (when !== false) this.eois.push({ when, cpu, line });
  }

  private nextPc: Val = 0;
  setNext(pc: Val): void {
    this.nextPc = this.ops.ite(this.guard, pc, this.nextPc);
  }
  next(): Val {
    return this.nextPc;
  }

  readAt(slots: readonly Slot[], index: Val): Val {
    if (typeof index === 'number') return slots[index] === undefined ? 0 : this.read(slots[index]!);
    let out: Val = 0;
    slots.forEach((slot, i) => (out = this.ops.ite(this.ops.eq(index, i), this.read(slot), out)));
    return out;
  }

  writeAt(slots: readonly Slot[], index: Val, value: Val): void {
    if (typeof index === 'number') {
      if (slots[index] !== undefined) this.write(slots[index]!, value);
      return;
    }
    slots.forEach((slot, i) => this.when(this.ops.eq(index, i), () => this.write(slot, value)));
  }

  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val {
    let out = otherwise;
    for (const c of cases) out = this.ops.ite(c.when, c.then(), out);
    return out;
  }

  /** Some fault happened. */
  get faulted(): Cond {
    return this.ops.not(this.alive);
  }
}
