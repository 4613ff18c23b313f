// The Model's transition relation in symbolic form: the rules of src/hw/transition.ts, instantiated with Z3
// terms. Every action the explicit model can ever take (a CPU's step at each pc, a masked wait at each irqsave
// acquire, a delivery of each line, each arrival) is encoded once over a symbolic pre-state: when it is
// enabled, the state it leads to, and the events on the way. Action identities are the explicit model's own
// numbers, so a path Z3 finds names the very actions the explicit model replays. The encoder takes any symbolic
// instantiation of the domain: Z3 terms (sym.ts), or AIG bits for the bit-level system (aig/bits.ts).

import type { PropertyId } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import { Access } from '../../hw/access.js';
import { evaluate, truth } from '../../hw/expr.js';
import { Machine } from '../../hw/machine.js';
import type { ArchProfile } from '../../hw/profile.js';
import { profileOf } from '../../hw/profiles.js';
import { apply, enabled, possibleActions, recursiveAcquire, spuriousWakeUp, urgency, waiting } from '../../hw/transition.js';
import { ActionKind, actionCpu, actionKind, type Action, type Model } from '../../ir/model.js';
import { SymState, type SymAcquire, type SymEoi } from './state.js';
import type { Cond, Ops, Val } from '../../hw/domain.js';

export interface ActionEncoding {
  action: Action;
  /** The action is among model.actions(pre). */
  enabled: Cond;
  /** The successor's slots (meaningful when no fault happened). */
  next: Val[];
  /** A fault happened: the step is fatal and the path ends. */
  fatal: Cond;
  faults: Map<PropertyId, Cond>;
  warnings: Map<PropertyId, Cond>;
  acquires: SymAcquire[];
  eois: SymEoi[];
}

/** Violations visible in a state alone (Model.stateEvents), by property. */
export interface StateEncoding {
  /** Some invariant fails, or cannot be evaluated. */
  invariants: Cond;
  /** Per CPU: about to acquire a lock its current thread holds (lockdep's recursive locking). */
  recursive: Cond[];
}

export class TransitionEncoder {
  readonly machine: Access;
  readonly profile: ArchProfile;
  /** Every action the model can take in some state, in a fixed order. */
  readonly actions: Action[];
  private readonly slotIndex: Map<Slot, number>;

  constructor(
    readonly model: Model,
    readonly sym: Ops,
  ) {
    const m = new Machine(model.program, model.layout);
    this.slotIndex = new Map(model.layout.slots.map((slot, i) => [slot, i]));
    this.machine = new Access(m, sym);
    this.profile = profileOf(model.program.arch);
    this.actions = Array.from({ length: m.cpus }, (_, c) => possibleActions(m, c)).flat();
  }

  state(pre: readonly Val[]): SymState {
    return new SymState(this.sym, this.slotIndex, pre);
  }

  /** Whether `action` is among model.actions(pre). */
  enabledIn(pre: readonly Val[], action: Action): Cond {
    return enabled(this.machine, this.state(pre), action);
  }

  /** The successor of `action` from `pre`, with the condition that it is enabled there. */
  encode(pre: readonly Val[], action: Action): ActionEncoding {
    const s = this.state(pre);
    apply(this.machine, this.profile, s, action);
    return {
      action,
      enabled: this.enabledIn(pre, action),
      next: s.vals,
      fatal: s.faulted,
      faults: s.faults,
      warnings: s.warnings,
      acquires: s.acquires,
      eois: s.eois,
    };
  }

  /** Model.stateEvents, symbolically. */
  stateEvents(pre: readonly Val[]): StateEncoding {
    const m = this.machine;
    const sym = this.sym;
    let invariants: Cond = false;
    for (const inv of m.m.program.invariants) {
      const s = this.state(pre);
      const holds = truth(m, evaluate(m, s, -1, inv.cond));
      invariants = sym.or(invariants, s.faulted, sym.and(s.alive, sym.not(holds)));
    }
    const recursive: Cond[] = [];
    for (let c = 0; c < m.cpus; c++) {
      const s = this.state(pre);
      recursive.push(recursiveAcquire(m, s, c, urgency(m, s, c)));
    }
    return { invariants, recursive };
  }

  /**
   * The no-deadlock monitor's state check: every enabled action only lets a line become pending, something
   * waits (a ready or blocked thread, a CPU spinning, a pending line: `waiting`), and no such arrival lets any
   * CPU do anything. `encodings` are this encoder's actions
   * encoded from `pre` (computed when not given).
   */
  stuck(pre: readonly Val[], encodings?: ActionEncoding[]): Cond {
    const sym = this.sym;
    const all = encodings ?? this.actions.map((a) => this.encode(pre, a));
    const nonArrivals = this.actions.filter((a) => actionKind(a) !== ActionKind.arrive);
    // A wfi completing spuriously is no way out: it may happen, but never has to.
    const canAct = (vals: readonly Val[]): Cond => {
      const s = this.state(vals);
      const spurious = Array.from({ length: this.machine.cpus }, (_, c) => spuriousWakeUp(this.machine, s, c));
      return sym.or(
        ...nonArrivals.map((a) =>
          actionKind(a) === ActionKind.step ? sym.and(this.enabledIn(vals, a), sym.not(spurious[actionCpu(a)]!)) : this.enabledIn(vals, a),
        ),
      );
    };
    const wakes: Cond[] = [];
    this.actions.forEach((a, i) => {
      if (actionKind(a) !== ActionKind.arrive) return;
      const e = all[i]!;
      wakes.push(sym.and(e.enabled, canAct(e.next)));
    });
    const w = waiting(this.machine, this.state(pre));
    return sym.and(sym.not(canAct(pre)), sym.or(w.threads, ...w.busy, ...w.pending), sym.not(sym.or(...wakes)));
  }

  /** Model.allExited, symbolically. */
  allExited(pre: readonly Val[]): Cond {
    const s = this.state(pre);
    return this.sym.and(...Array.from({ length: this.machine.threads }, (_, t) => this.machine.isState(s, t, 'exited')));
  }
}

