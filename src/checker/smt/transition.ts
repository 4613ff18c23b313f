// The Model's transition relation in symbolic form: src/hw/build.ts action for action. Every action the
// explicit model can ever take (a CPU's step at each pc, a masked wait at each irqsave acquire, a delivery of
// each line, each arrival) is encoded once over a symbolic pre-state: when it is enabled, the state it leads
// to, and the events on the way. Action identities are the explicit model's own numbers, so a path Z3 finds
// names the very actions the explicit model replays.

import type { PropertyId } from '../../ir/ir.js';
import type { Slot } from '../../ir/layout.js';
import { Machine } from '../../hw/machine.js';
import { ActionKind, actionArg, actionCpu, actionKind, encodeAction, type Action, type Model } from '../../ir/model.js';
import { evaluate, truth } from './expr.js';
import { execute } from './exec.js';
import { acquireAction, maskWait } from './locks.js';
import { SymMachine } from './machine.js';
import { profileOf, type SymProfile } from './profile.js';
import { SymState, type SymAcquire, type SymEoi } from './state.js';
import { SymStep } from './step.js';
import type { Cond, Sym, Val } from './sym.js';

export interface ActionEncoding {
  action: Action;
  /** The action is among model.actions(pre). */
  enabled: Cond;
  /** The successor's slots (meaningful when no Fault was thrown). */
  next: Val[];
  /** A Fault was thrown: the step is fatal and the path ends. */
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
  readonly machine: SymMachine;
  readonly profile: SymProfile;
  /** Every action the model can take in some state, in a fixed order. */
  readonly actions: Action[];
  private readonly slotIndex: Map<Slot, number>;

  constructor(
    readonly model: Model,
    readonly sym: Sym,
  ) {
    const m = new Machine(model.program, model.layout);
    this.slotIndex = new Map(model.layout.slots.map((slot, i) => [slot, i]));
    this.machine = new SymMachine(m, sym);
    this.profile = profileOf(model.program.arch);
    this.actions = [];
    for (let c = 0; c < m.cpus; c++) {
      m.code.forEach((instr, pc) => {
        if (instr.op === 'hlt') return;
        this.actions.push(encodeAction(ActionKind.step, c, pc));
        if (instr.op === 'acquire' && model.program.locks[instr.lock]!.kind === 'irqsave') {
          this.actions.push(encodeAction(ActionKind.maskWait, c, pc));
        }
      });
      model.program.lines.forEach((line) => this.actions.push(encodeAction(ActionKind.deliver, c, line.id)));
      for (const line of m.arrivals[c]!) {
        this.actions.push(encodeAction(ActionKind.arrive, c, line), encodeAction(ActionKind.arriveTake, c, line));
      }
    }
  }

  state(pre: readonly Val[]): SymState {
    return new SymState(this.sym, this.slotIndex, pre);
  }

  /** Condition per line that CPU `c` takes it next (Machine.urgentLine), and that it takes none. */
  private urgency(pre: readonly Val[], c: number): { lines: Cond[]; none: Cond } {
    const lines = this.machine.urgentLines(this.state(pre), c);
    return { lines, none: this.sym.not(this.sym.or(...lines)) };
  }

  /** Whether `action` is among model.actions(pre) (HwModel.actions, one action at a time). */
  enabledIn(pre: readonly Val[], action: Action): Cond {
    const m = this.machine;
    const sym = this.sym;
    const { kind, c, arg } = decode(action);
    const s = this.state(pre);
    const urgency = this.urgency(pre, c);
    switch (kind) {
      case ActionKind.step:
      case ActionKind.maskWait: {
        const instr = m.m.code[arg]!;
        let can: Cond = instr.op !== 'hlt';
        if (instr.op === 'wfi') can = sym.ne(m.pending(s, c), 0);
        if (instr.op === 'acquire') {
          const a = acquireAction(m, s, c, instr.lock);
          can = kind === ActionKind.step ? a.step : a.maskWait;
        }
        return sym.and(sym.eq(m.pc(s, c), arg), urgency.none, can);
      }
      case ActionKind.deliver:
        return sym.and(sym.not(m.stopped(s, c)), urgency.lines[arg]!);
      case ActionKind.arrive:
      case ActionKind.arriveTake: {
        const rank = m.m.linesByUrgency.indexOf(arg);
        const moreUrgentWaiting = m.m.linesByUrgency.slice(0, rank).map((u) => urgency.lines[u]!);
        const takes = sym.and(m.deliverable(s, c, arg), sym.not(sym.or(...moreUrgentWaiting)));
        const free = sym.not(sym.bit(m.pending(s, c), arg));
        return sym.and(sym.not(m.stopped(s, c)), free, kind === ActionKind.arriveTake ? takes : sym.not(takes));
      }
      default:
        throw new Error(`internal: unknown action kind ${kind}`);
    }
  }

  /** HwModel.successor of `action` from `pre`, with the condition that it is enabled there. */
  encode(pre: readonly Val[], action: Action): ActionEncoding {
    const m = this.machine;
    const sym = this.sym;
    const { kind, c, arg } = decode(action);
    const enabled = this.enabledIn(pre, action);
    const s = this.state(pre);
    switch (kind) {
      case ActionKind.step:
        m.setShadow(s, c, 0);
        {
          const x = new SymStep(m, s, c, arg);
          execute(x, this.profile, m.m.code[arg]!);
          m.setPc(s, c, x.nextPc);
        }
        break;
      case ActionKind.maskWait:
        m.setShadow(s, c, 0);
        maskWait(m, s, c);
        break;
      case ActionKind.deliver:
        this.profile.enter(m, s, c, arg);
        break;
      case ActionKind.arrive:
        m.setPending(s, c, sym.or32(m.pending(s, c), 2 ** arg));
        break;
      case ActionKind.arriveTake:
        m.setPending(s, c, sym.or32(m.pending(s, c), 2 ** arg));
        this.profile.enter(m, s, c, arg);
        break;
      default:
        throw new Error(`internal: unknown action kind ${kind}`);
    }
    if (kind !== ActionKind.arrive) this.countMasked(s, c);
    return {
      action,
      enabled,
      next: s.vals,
      fatal: s.faulted,
      faults: s.faults,
      warnings: s.warnings,
      acquires: s.acquires,
      eois: s.eois,
    };
  }

  private countMasked(s: SymState, c: number): void {
    const slot = this.machine.layout.cpus[c]!.maskedSteps;
    if (slot === null) return;
    const sym = this.sym;
    const count = s.read(slot);
    const more = sym.ite(sym.ult(count, slot.max), sym.add(count, 1), slot.max);
    s.write(slot, sym.ite(sym.eq(this.machine.ie(s, c), 1), 0, more));
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
      const urgency = this.urgency(pre, c);
      const pc = m.pc(s, c);
      const cases: Cond[] = [];
      m.m.code.forEach((instr, p) => {
        if (instr.op !== 'acquire') return;
        cases.push(sym.and(sym.eq(pc, p), sym.eq(m.lockOwner(s, instr.lock), sym.add(m.current(s, c), 1))));
      });
      recursive.push(sym.and(urgency.none, sym.or(...cases)));
    }
    return { invariants, recursive };
  }

  /**
   * The no-deadlock monitor's state check: every enabled action only lets a line become pending, not every
   * thread has exited, and no such arrival lets any CPU do anything. `encodings` are this encoder's actions
   * encoded from `pre` (computed when not given).
   */
  stuck(pre: readonly Val[], encodings?: ActionEncoding[]): Cond {
    const sym = this.sym;
    const all = encodings ?? this.actions.map((a) => this.encode(pre, a));
    const nonArrivals = this.actions.filter((a) => actionKind(a) !== ActionKind.arrive);
    const canAct = (vals: readonly Val[]): Cond => sym.or(...nonArrivals.map((a) => this.enabledIn(vals, a)));
    const wakes: Cond[] = [];
    this.actions.forEach((a, i) => {
      if (actionKind(a) !== ActionKind.arrive) return;
      const e = all[i]!;
      wakes.push(sym.and(e.enabled, canAct(e.next)));
    });
    return sym.and(sym.not(canAct(pre)), sym.not(this.allExited(pre)), sym.not(sym.or(...wakes)));
  }

  /** Model.allExited, symbolically. */
  allExited(pre: readonly Val[]): Cond {
    const s = this.state(pre);
    return this.sym.and(...Array.from({ length: this.machine.threads }, (_, t) => this.machine.isState(s, t, 'exited')));
  }
}

function decode(action: Action): { kind: ActionKind; c: number; arg: number } {
  return { kind: actionKind(action), c: actionCpu(action), arg: actionArg(action) };
}
