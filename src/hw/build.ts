// IR + architecture profile → Model. This is where the nondeterminism lives: in every state each CPU either
// takes its most urgent deliverable interrupt or executes its next instruction, and every external line that
// is not pending on a CPU may become pending there.

import { GIC_BOOT_PMR, type Instr, type Program } from '../ir/ir.js';
import { computeLayout, type Layout } from '../ir/layout.js';
import {
  ActionKind,
  MAX_CPUS,
  MAX_PCS,
  NO_EVENTS,
  actionArg,
  actionCpu,
  actionKind,
  encodeAction,
  type Action,
  type ActionLabel,
  type Model,
  type ModelEvent,
  type Successor,
} from '../ir/model.js';
import { contextOf, lineName, lockName, pcLocation, threadName } from './describe.js';
import { lockIn } from './locks.js';
import type { Cond } from './domain.js';
import { evaluateIn } from './expr.js';
import { Fault } from './fault.js';
import { Machine } from './machine.js';
import type { ArchProfile } from './profile.js';
import { ConcreteState } from './state.js';
import { apply, enabledWith, recursiveAcquire, urgency } from './transition.js';
import { exprText } from '../ir/print.js';
import { instrText } from '../ir/print.js';
import { profileOf } from './profiles.js';

export class ModelTooLarge extends Error {}

/** The layout engines use: the program's own, with masked-step counters when a latency bound is declared. */
function layoutFor(program: Program): Layout {
  const wantsCounters = program.latencyBound !== null;
  const cpu0 = program.layout.cpus[0];
  const hasCounters = cpu0 !== undefined && cpu0.maskedSteps !== null;
  const hasSpinBit = cpu0 === undefined || cpu0.spinSavedIe !== undefined;
  const hasArrivalCounts = cpu0 === undefined || cpu0.arrived !== undefined;
  const hasTpr = cpu0 === undefined || cpu0.tpr !== undefined;
  const hasPmr = cpu0 === undefined || (cpu0.pmr !== undefined && cpu0.dropped !== undefined);
  if (wantsCounters === hasCounters && hasSpinBit && hasArrivalCounts && hasTpr && hasPmr) return program.layout;
  return computeLayout({ ...program, latencyBound: program.latencyBound });
}

export function buildModel(program: Program): Model {
  if (program.cpus > MAX_CPUS) throw new ModelTooLarge(`at most ${MAX_CPUS} CPUs are supported`);
  const layout = layoutFor(program);
  if (layout.stoppedPc >= MAX_PCS) throw new ModelTooLarge(`at most ${MAX_PCS} instructions are supported`);
  return new HwModel(program, layout);
}

class HwModel implements Model {
  readonly machine: Machine;
  private readonly profile: ArchProfile;

  constructor(
    readonly program: Program,
    readonly layout: Layout,
  ) {
    this.machine = new Machine(program, layout);
    machines.set(this, this.machine);
    this.profile = profileOf(program.arch);
  }

  initialStates(): Uint32Array[] {
    const m = this.machine;
    const a = m.access;
    const s = new Uint32Array(this.layout.words);
    const st = new ConcreteState(m, s, null, []);
    this.program.vars.forEach((v, id) => {
      for (const instance of this.layout.vars[id]!) for (const slot of instance) st.write(slot, v.init);
    });
    for (let c = 0; c < m.cpus; c++) {
      st.write(this.layout.cpus[c]!.pc, this.layout.stoppedPc);
      a.setCurrent(st, c, m.none);
      a.setStackOwner(st, c, m.none);
      // Boot code has enabled interrupts before the threads start, unless the model starts them masked, as a CPU
      // comes out of reset (`machine { boot masked }`): then the threads' own code enables them.
      a.setIe(st, c, this.program.bootMasked === true ? 0 : 1);
      if (this.layout.cpus[c]!.pmr) a.setPmr(st, c, GIC_BOOT_PMR); // and, with a GIC, set its priority mask
    }
    for (const t of this.program.threads) {
      const start = m.unitStart(t.unit);
      if (t.start.kind === 'running') {
        a.setCurrent(st, t.start.cpu, t.id);
        a.setStackOwner(st, t.start.cpu, t.id);
        a.setPc(st, t.start.cpu, start);
        a.setThreadState(st, t.id, 'running');
        continue;
      }
      // A thread that does not start running finds forged frames on its stack the first time it is resumed (Linux
      // copy_thread, xv6 allocproc): the top one is how it is resumed, each returns to its routine or to the body.
      const stack = this.layout.threads[t.id]!.stack;
      for (const f of [...t.forgedFrames].reverse().slice(0, stack.depth)) {
        const kind = f.kind === 'iret' ? 'irq' : f.kind === 'eret' ? 'exc' : f.kind;
        const pc = f.unit === null ? start : m.unitStart(f.unit);
        // No line was delivered for it: its return is no handler's (a `call` or `switch` frame's line is unread).
        const line = kind === 'irq' || kind === 'exc' ? this.program.lines.length : 0;
        a.push(st, [{ when: true, stack }], a.frame(kind, { pc, ie: 1, owner: t.id, hardirq: 0, line, stack: 0 }));
      }
      // The activations the frames stand for (docs/semantics.md 1.1): each procedure a frame returns to is one, above
      // those of the frames under it; a `call` frame is resumed by a `ret`, which ends one more, the activation of
      // the routine that returns through it.
      const forged = t.forgedFrames.slice(0, stack.depth);
      const levels = forged.filter((f) => f.unit !== null).length + (forged[0]?.kind === 'call' ? 1 : 0);
      if (stack.act !== null && levels > 0) st.write(stack.act, Math.min(levels, stack.depth));
      if (t.start.kind === 'ready') {
        a.setThreadState(st, t.id, 'ready');
        a.rqPush(st, t.id, a.defaultQueue(0));
      } else {
        a.setThreadState(st, t.id, 'dormant');
      }
    }
    return [s];
  }

  actions(s: Uint32Array): Action[] {
    const m = this.machine;
    const a = m.access;
    const st = new ConcreteState(m, s, null, []);
    const out: Action[] = [];
    const urgencies = Array.from({ length: m.cpus }, (_, c) => (m.stopped(s, c) ? null : urgency(a, st, c)));
    const offer = (u: { lines: Cond[]; none: Cond }, action: Action) => {
      if (enabledWith(a, st, action, u) === true) out.push(action);
    };
    for (let c = 0; c < m.cpus; c++) {
      const u = urgencies[c];
      if (u === null || u === undefined) continue;
      const line = u.lines.indexOf(true);
      if (line >= 0) {
        out.push(encodeAction(ActionKind.deliver, c, line));
        continue;
      }
      const pc = m.pc(s, c);
      for (const step of m.stepsAt[pc] ?? []) offer(u, encodeAction(ActionKind.step, c, step));
      offer(u, encodeAction(ActionKind.maskWait, c, pc));
    }
    for (let c = 0; c < m.cpus; c++) {
      const u = urgencies[c];
      if (u === null || u === undefined) continue;
      for (const line of m.arrivals[c]!) {
        offer(u, encodeAction(ActionKind.arrive, c, line));
        offer(u, encodeAction(ActionKind.arriveTake, c, line));
      }
    }
    return out;
  }

  successor(state: Uint32Array, action: Action): Successor {
    const m = this.machine;
    const s = state.slice();
    const events: ModelEvent[] = [];
    const c = actionCpu(action);
    if (actionKind(action) === ActionKind.step && m.pc(s, c) !== m.stepFrom[actionArg(action)]) {
      throw new Error(`internal: step action for pc ${actionArg(action)} but CPU ${c} is at ${m.pc(s, c)}`);
    }
    try {
      apply(m.access, this.profile, new ConcreteState(m, s, c, events), action);
    } catch (error) {
      if (!(error instanceof Fault)) throw error;
      events.push({ kind: 'violation', property: error.property, message: error.message, fatal: true, cpu: c });
      return { next: state.slice(), events };
    }
    return { next: s, events: events.length === 0 ? NO_EVENTS : events };
  }

  label(action: Action): ActionLabel {
    const m = this.machine;
    const kind = actionKind(action);
    const c = actionCpu(action);
    const arg = actionArg(action);
    switch (kind) {
      case ActionKind.step:
      case ActionKind.maskWait: {
        const instr = m.code[arg]!;
        const text = instrText(this.program, instr);
        return {
          text: kind === ActionKind.maskWait ? `${text} (masks interrupts, then spins)` : text,
          span: instr.span,
          cpu: c,
          kind: 'instruction',
        };
      }
      case ActionKind.deliver:
        return { text: `interrupt ${lineName(m, arg)} taken`, span: null, cpu: c, kind: 'interrupt' };
      case ActionKind.arrive:
        return { text: `${lineName(m, arg)} becomes pending`, span: null, cpu: c, kind: 'pending' };
      case ActionKind.arriveTake:
        return { text: `interrupt ${lineName(m, arg)} arrives and is taken`, span: null, cpu: c, kind: 'interrupt' };
      default:
        throw new Error(`internal: unknown action kind ${kind}`);
    }
  }

  stateEvents(s: Uint32Array): ModelEvent[] {
    const m = this.machine;
    const events: ModelEvent[] = [];
    for (const inv of this.program.invariants) {
      try {
        if (evaluateIn(m, s, -1, inv.cond) === 0) {
          events.push({
            kind: 'violation',
            property: 'assertions',
            message: `invariant ${inv.name} fails: ${exprText(this.program, inv.cond)}`,
            fatal: false,
            cpu: null,
          });
        }
      } catch (error) {
        if (!(error instanceof Fault)) throw error;
        events.push({ kind: 'violation', property: 'assertions', message: `invariant ${inv.name}: ${error.message}`, fatal: false, cpu: null });
      }
    }
    // A CPU about to acquire a lock its current thread already holds: lockdep's recursive locking.
    const st = new ConcreteState(m, s, null, []);
    for (let c = 0; c < m.cpus; c++) {
      if (m.stopped(s, c) || recursiveAcquire(m.access, st, c, urgency(m.access, st, c)) !== true) continue;
      const pc = m.pc(s, c);
      const lock = lockIn(m, s, c, m.code[pc] as Extract<Instr, { op: 'acquire' }>)!;
      events.push({
        kind: 'violation',
        property: 'lock-order',
        message: `recursive locking: ${contextOf(m, s, c)} acquires ${lockName(m, lock)} at ${pcLocation(m, pc)} on CPU ${c}, which ${threadName(m, m.current(s, c))} already holds: it spins forever`,
        fatal: false,
        cpu: c,
        locks: [lock],
      });
    }
    return events;
  }

  progress(action: Action): boolean {
    const kind = actionKind(action);
    if (kind === ActionKind.arrive) return false;
    if (kind !== ActionKind.step) return true;
    const instr = this.machine.code[actionArg(action)]!;
    // An `either` decides like a branch; `x := any LO..HI` assigns.
    if (instr.op === 'alternative') return instr.assign !== null;
    return instr.op !== 'branch' && instr.op !== 'hlt' && instr.op !== 'wfi' && instr.op !== 'halted' && instr.op !== 'jump';
  }

  allExited(s: Uint32Array): boolean {
    const m = this.machine;
    for (let t = 0; t < m.threads; t++) if (m.threadState(s, t) !== 'exited') return false;
    return true;
  }
}

/**
 * The read-only view of a model's states (views, properties and reports read states through it): its tables and
 * accessors, from the program and layout alone.
 */
export function machineOf(model: Model): Machine {
  let m = machines.get(model);
  if (m === undefined) {
    m = new Machine(model.program, model.layout);
    machines.set(model, m);
  }
  return m;
}

/** The read-only machine of each model: built from its program and layout alone, never from its implementation. */
const machines = new WeakMap<Model, Machine>();
