// IR + architecture profile → Model. This is where the nondeterminism lives: in every state each CPU either
// takes its most urgent deliverable interrupt or executes its next instruction, and every external line that
// is not pending on a CPU may become pending there.

import type { Program } from '../ir/ir.js';
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
} from '../checker/model.js';
import { aarch64 } from './aarch64.js';
import { contextOf, lineName, lockName, pcLocation, threadName } from './describe.js';
import { evaluate } from './expr.js';
import { execute } from './exec.js';
import { Fault } from './fault.js';
import { maskWait } from './locks.js';
import { Machine } from './machine.js';
import type { ArchProfile } from './profile.js';
import { Step } from './step.js';
import { exprText, instrText } from './text.js';
import { x86_64 } from './x86_64.js';

export class ModelTooLarge extends Error {}

/** The layout engines use: the program's own, with masked-step counters when a latency bound is declared. */
function layoutFor(program: Program): Layout {
  const wantsCounters = program.latencyBound !== null;
  const cpu0 = program.layout.cpus[0];
  const hasCounters = cpu0 !== undefined && cpu0.maskedSteps !== null;
  const hasSpinBit = cpu0 === undefined || cpu0.spinSavedIe !== undefined;
  if (wantsCounters === hasCounters && hasSpinBit) return program.layout;
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
    this.profile = program.arch === 'x86_64' ? x86_64 : aarch64;
  }

  initialStates(): Uint32Array[] {
    const m = this.machine;
    const s = new Uint32Array(this.layout.words);
    this.program.vars.forEach((v, id) => {
      for (const instance of this.layout.vars[id]!) for (const slot of instance) m.write(s, slot, v.init);
    });
    for (let c = 0; c < m.cpus; c++) {
      m.write(s, this.layout.cpus[c]!.pc, this.layout.stoppedPc);
      m.write(s, this.layout.cpus[c]!.current, m.none);
      m.setIe(s, c, 1); // boot code has enabled interrupts before the threads start
    }
    const queue: number[] = [];
    for (const t of this.program.threads) {
      const start = m.unitStart(t.unit);
      if (t.start.kind === 'running') {
        m.write(s, this.layout.cpus[t.start.cpu]!.current, t.id);
        m.setPc(s, t.start.cpu, start);
        m.setThreadState(s, t.id, 'running');
        continue;
      }
      // A thread that does not start running finds a forged frame on its stack the first time it is resumed.
      const kind = t.forged === 'iret' ? 'irq' : t.forged === 'eret' ? 'exc' : t.forged;
      const stack = this.layout.threads[t.id]!.stack;
      if (stack.depth > 0) m.push(s, stack, { kind, pc: start, ie: 1, owner: t.id, hardirq: 0, line: 0, stack: 0 });
      if (t.start.kind === 'ready') {
        m.setThreadState(s, t.id, 'ready');
        queue.push(t.id);
      } else {
        m.setThreadState(s, t.id, 'dormant');
      }
    }
    m.setRunQueue(s, queue);
    return [s];
  }

  /** The step CPU `c` can take at its pc when it has no deliverable interrupt, or -1. */
  private stepAction(s: Uint32Array, c: number, pc: number): Action {
    const kind = this.machine.stepKind(s, c);
    return kind === null ? -1 : encodeAction(kind, c, pc);
  }

  actions(s: Uint32Array): Action[] {
    const m = this.machine;
    const out: Action[] = [];
    for (let c = 0; c < m.cpus; c++) {
      const pc = m.pc(s, c);
      if (pc === this.layout.stoppedPc) continue;
      const line = m.urgentLine(s, c);
      if (line >= 0) {
        out.push(encodeAction(ActionKind.deliver, c, line));
        continue;
      }
      const step = this.stepAction(s, c, pc);
      if (step >= 0) out.push(step);
    }
    for (let c = 0; c < m.cpus; c++) {
      if (m.stopped(s, c)) continue;
      const pending = m.pending(s, c);
      const urgent = m.urgentLine(s, c);
      for (const line of m.arrivals[c]!) {
        if ((pending & (1 << line)) !== 0) continue;
        // Taken at once when deliverable and more urgent than anything already waiting to be taken.
        const takes = m.deliverable(s, c, line) && (urgent < 0 || this.moreUrgent(line, urgent));
        out.push(encodeAction(takes ? ActionKind.arriveTake : ActionKind.arrive, c, line));
      }
    }
    return out;
  }

  private moreUrgent(a: number, b: number): boolean {
    const m = this.machine;
    return m.linesByUrgency.indexOf(a) < m.linesByUrgency.indexOf(b);
  }

  successor(state: Uint32Array, action: Action): Successor {
    const m = this.machine;
    const s = state.slice();
    const events: ModelEvent[] = [];
    const kind = actionKind(action);
    const c = actionCpu(action);
    const arg = actionArg(action);
    try {
      switch (kind) {
        case ActionKind.step: {
          const pc = m.pc(s, c);
          if (pc !== arg) throw new Error(`internal: step action for pc ${arg} but CPU ${c} is at ${pc}`);
          m.setShadow(s, c, 0);
          const x = new Step(m, s, c, pc, events);
          execute(x, this.profile, m.code[pc]!);
          m.setPc(s, c, x.nextPc);
          break;
        }
        case ActionKind.maskWait:
          m.setShadow(s, c, 0);
          maskWait(m, s, c);
          break;
        case ActionKind.deliver:
          this.profile.enter(m, s, c, arg, events);
          break;
        case ActionKind.arrive:
          m.setPending(s, c, m.pending(s, c) | (1 << arg));
          break;
        case ActionKind.arriveTake:
          m.setPending(s, c, m.pending(s, c) | (1 << arg));
          this.profile.enter(m, s, c, arg, events);
          break;
        default:
          throw new Error(`internal: unknown action kind ${kind}`);
      }
    } catch (error) {
      if (!(error instanceof Fault)) throw error;
      events.push({ kind: 'violation', property: error.property, message: error.message, fatal: true, cpu: c });
      return { next: state.slice(), events };
    }
    if (kind !== ActionKind.arrive) this.countMasked(s, c);
    return { next: s, events: events.length === 0 ? NO_EVENTS : events };
  }

  /** irq-latency: consecutive steps of a CPU that leave interrupts masked, saturating just above the bound. */
  private countMasked(s: Uint32Array, c: number): void {
    const slot = this.layout.cpus[c]!.maskedSteps;
    if (slot === null) return;
    const m = this.machine;
    m.write(s, slot, m.ie(s, c) === 1 ? 0 : Math.min(m.read(s, slot) + 1, slot.max));
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
        if (evaluate(m, s, -1, inv.cond) === 0) {
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
    for (let c = 0; c < m.cpus; c++) {
      const pc = m.pc(s, c);
      const instr = m.code[pc];
      if (instr?.op !== 'acquire' || m.urgentLine(s, c) >= 0) continue;
      const current = m.current(s, c);
      if (m.lockOwner(s, instr.lock) !== current + 1) continue;
      events.push({
        kind: 'violation',
        property: 'lock-order',
        message: `recursive locking: ${contextOf(m, s, c)} acquires ${lockName(m, instr.lock)} at ${pcLocation(m, pc)} on CPU ${c}, which ${threadName(m, current)} already holds: it spins forever`,
        fatal: false,
        cpu: c,
        locks: [instr.lock],
      });
    }
    return events;
  }

  progress(action: Action): boolean {
    const kind = actionKind(action);
    if (kind === ActionKind.arrive) return false;
    if (kind !== ActionKind.step) return true;
    const op = this.machine.code[actionArg(action)]!.op;
    return op !== 'branch' && op !== 'wfi' && op !== 'jump';
  }

  allExited(s: Uint32Array): boolean {
    const m = this.machine;
    for (let t = 0; t < m.threads; t++) if (m.threadState(s, t) !== 'exited') return false;
    return true;
  }
}

/** The machine behind a model built here (views and deadlock reports read states through it). */
export function machineOf(model: Model): Machine {
  if (model instanceof HwModel) return model.machine;
  return new Machine(model.program, model.layout);
}
