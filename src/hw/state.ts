// The machine state a rule reads and writes, and what a rule can make happen besides writing it: branch, fault
// (the machine is corrupted or a kernel BUG trips: the path ends), warn (a violation the machine survives) and
// the events properties observe. `State` is the interface every instantiation implements; `ConcreteState` is
// the reference interpreter's, over a packed Uint32Array. A rule branches with `when` where plain code would
// have an `if`, so that a symbolic instantiation can follow both sides.
//
// Messages are reports built on demand from the concrete machine: a fault or a warning names what went wrong
// the way a kernel developer reads it; an instantiation that has no concrete state never builds them.

import type { PropertyId } from '../ir/ir.js';
import { readSlot, writeSlot, type Slot } from '../ir/layout.js';
import type { ModelEvent } from '../ir/model.js';
import { concrete, num, type Cond, type Ops, type Val } from './domain.js';
import { Fault } from './fault.js';
import type { Machine } from './machine.js';

/** What a violation says: a message, and the locks it is about (lock-order and atomic-sleep name them). */
export type Report = string | { message: string; locks: number[] };

/** The concrete machine a report is built from: its tables and the state as the rule has left it so far. */
export interface Concrete {
  m: Machine;
  s: Uint32Array;
}

/** A report, built only where a violation really happens. */
export type Reporter = (d: Concrete) => Report;

/** An `acquire` event with values that may be symbolic; `held` is per lock. */
export interface AcquireEvent {
  cpu: number;
  lock: number;
  owner: Val;
  hardirq: Val;
  ie: Cond;
  held: Cond[];
  trylock: boolean;
}

export interface State {
  readonly ops: Ops;
  /** The branch the rule is in: true at the top of a rule, and always in the concrete instantiation. */
  readonly guard: Cond;
  read(slot: Slot): Val;
  write(slot: Slot, value: Val): void;
  /** Runs `then` where `c` holds and `otherwise` where it does not; a known `c` runs one of them. */
  when(c: Cond, then: () => void, otherwise?: () => void): void;
  /** The step is fatal where `c` holds: nothing after it in that branch is observable. */
  fault(property: PropertyId, c: Cond, report: Reporter): void;
  /** A violation the machine survives, where `c` holds. */
  warn(property: PropertyId, c: Cond, report: Reporter): void;
  acquired(event: AcquireEvent): void;
  eoi(cpu: number, line: number): void;
  /**
   * Where the stepping CPU continues, in the branch the rule is in: a register of the step rather than a value
   * the rule keeps, so that an instantiation that emits code with real branches sees it set on each branch.
   */
  setNext(pc: Val): void;
  next(): Val;
  /** `slots[index]`, or 0 where `index` names no slot (a family of slots addressed by a value: stack cells, threads). */
  readAt(slots: readonly Slot[], index: Val): Val;
  /** Writes `slots[index]`; nothing where `index` names no slot. */
  writeAt(slots: readonly Slot[], index: Val, value: Val): void;
  /** The value of the case whose condition holds (the cases exclude each other), else `otherwise`. */
  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val;
}

function parts(report: Report): { message: string; locks?: number[] } {
  return typeof report === 'string' ? { message: report } : report;
}

/**
 * The concrete instantiation: reads and writes a packed state in place, throws a Fault (with its message) where a
 * fault happens, and collects the events of the step in order.
 */
export class ConcreteState implements State {
  readonly ops = concrete;
  readonly guard = true;

  /** @param s the packed state; a reader of many states may point one view at each in turn */
  constructor(
    readonly m: Machine,
    public s: Uint32Array,
    readonly cpu: number | null,
    readonly events: ModelEvent[],
  ) {}

  read(slot: Slot): Val {
    return readSlot(this.s, slot);
  }

  write(slot: Slot, value: Val): void {
    writeSlot(this.s, slot, value as number);
  }

  when(c: Cond, then: () => void, otherwise?: () => void): void {
    if (c) then();
    else if (otherwise !== undefined) otherwise();
  }

  fault(property: PropertyId, c: Cond, report: Reporter): void {
    if (c) throw new Fault(property, parts(report(this)).message);
  }

  warn(property: PropertyId, c: Cond, report: Reporter): void {
    if (!c) return;
    const { message, locks } = parts(report(this));
    this.events.push({ kind: 'violation', property, message, fatal: false, cpu: this.cpu, ...(locks ? { locks } : {}) });
  }

  acquired(e: AcquireEvent): void {
    const held: number[] = [];
    e.held.forEach((h, l) => {
      if (h) held.push(l);
    });
    this.events.push({
      kind: 'acquire',
      cpu: e.cpu,
      lock: e.lock,
      owner: num(e.owner),
      hardirq: num(e.hardirq),
      ie: e.ie === true,
      held,
      trylock: e.trylock,
    });
  }

  eoi(cpu: number, line: number): void {
    this.events.push({ kind: 'eoi', cpu, line });
  }

  private nextPc: Val = 0;
  setNext(pc: Val): void {
    this.nextPc = pc;
  }
  next(): Val {
    return this.nextPc;
  }

  readAt(slots: readonly Slot[], index: Val): Val {
    const slot = slots[index as number];
    return slot === undefined ? 0 : readSlot(this.s, slot);
  }

  writeAt(slots: readonly Slot[], index: Val, value: Val): void {
    const slot = slots[index as number];
    if (slot !== undefined) writeSlot(this.s, slot, value as number);
  }

  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val {
    for (const c of cases) if (c.when) return c.then();
    return otherwise;
  }
}
