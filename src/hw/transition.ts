// The transition relation, in any instantiation: when each action is enabled, and what it does. This is where
// the nondeterminism lives: in every state each CPU either takes its most urgent deliverable interrupt or
// executes its next instruction, and every external line that is not pending on a CPU may become pending there.
// The concrete model (build.ts) enumerates the enabled actions of a state with these rules; the SMT encoding
// (src/checker/smt/transition.ts) states them as conditions over a symbolic state.

import type { Instr } from '../ir/ir.js';
import { ActionKind, actionArg, actionCpu, actionKind, encodeAction, type Action } from '../ir/model.js';
import type { Access } from './access.js';
import type { Cond } from './domain.js';
import { execute } from './exec.js';
import { acquireAction, elementCases, indexedAcquireAction, maskWait, peek, peekIndex } from './locks.js';
import type { Machine } from './machine.js';
import type { ArchProfile } from './profile.js';
import type { State } from './state.js';
import { Step } from './step.js';

/**
 * Whether the instruction is ever a step: not a choice, whose steps are its alternatives (Machine.stepsAt), nor
 * the halted point after `hlt`, which only an interrupt leaves. (After `wfi` the wait may complete at any time.)
 */
export function canEverStep(instr: Instr): boolean {
  return instr.op !== 'choose' && !(instr.op === 'halted' && instr.by === 'hlt');
}

/**
 * Every action CPU `c` can take in some state: a step at each pc that can ever step, a masked wait at each
 * irqsave `acquire`, a delivery of each line, and the two arrivals of each line that can arrive on the CPU. The
 * engines that lay out actions before any state is known (the SMT relation, the printed Promela) take them here.
 */
export function possibleActions(m: Machine, c: number): Action[] {
  const out: Action[] = [];
  m.code.forEach((instr, pc) => {
    if (!canEverStep(instr)) return;
    out.push(encodeAction(ActionKind.step, c, pc));
    if (instr.op === 'acquire' && m.program.locks[instr.lock]!.kind === 'irqsave') out.push(encodeAction(ActionKind.maskWait, c, pc));
  });
  for (const line of m.program.lines) out.push(encodeAction(ActionKind.deliver, c, line.id));
  for (const line of m.arrivals[c]!) out.push(encodeAction(ActionKind.arrive, c, line), encodeAction(ActionKind.arriveTake, c, line));
  return out;
}

/**
 * The instruction actions the instruction at `pc` offers CPU `c` when it takes no interrupt: a `step`, or (a
 * contended irqsave `acquire` with interrupts on) a `maskWait`. Neither where it has stopped, is halted after
 * `hlt`, or spins on a held lock (busy-waiting is no step). At a `choose` the step is one of its alternatives
 * (Machine.stepsAt), each always enabled. It reads no deliverability, so `deliverable` can ask it.
 */
export function instructionActions(a: Access, s: State, c: number, pc: number): { step: Cond; maskWait: Cond } {
  const instr = a.m.code[pc];
  if (instr === undefined) return { step: false, maskWait: false }; // stopped
  switch (instr.op) {
    case 'halted':
      // Halted after hlt: only an interrupt moves it on. After wfi the wait may complete at any time (a pending
      // line wakes it even when masked, and the Arm ARM lets it complete spuriously), so the step is always there;
      // only a wake-up by a pending line is owed by fairness (liveness.ts).
      return { step: canEverStep(instr), maskWait: false };
    case 'acquire':
      return instr.index === undefined ? acquireAction(a, s, c, instr.lock) : indexedAcquireAction(a, s, c, instr.lock, instr.index);
    default:
      return { step: true, maskWait: false };
  }
}

/** CPU `c` has an instruction action to take at its pc (its step or a masked wait). */
export function canStep(a: Access, s: State, c: number): Cond {
  const o = a.ops;
  const pc = a.pc(s, c);
  if (typeof pc === 'number') {
    const can = instructionActions(a, s, c, pc);
    return o.or(can.step, can.maskWait);
  }
  const cannot: Cond[] = [a.stopped(s, c)];
  a.m.code.forEach((instr, p) => {
    if (instr.op !== 'halted' && instr.op !== 'acquire') return;
    const can = instructionActions(a, s, c, p);
    cannot.push(o.and(o.eq(pc, p), o.not(o.or(can.step, can.maskWait))));
  });
  return o.not(o.or(...cannot));
}

/**
 * Pending line `line` can be taken on CPU `c` now: interrupts enabled, not held off by an in-service line of
 * equal or higher priority, and not held off by the sti shadow. The shadow holds interrupts off until the CPU
 * has executed one more instruction, so it holds them off only while the CPU has an instruction action to take.
 * `sti; hlt` executes the hlt in the shadow, and the interrupt wakes the halted CPU after it. Spinning on a held
 * lock the model takes no step, but the hardware would end the shadow after one turn of the spin loop; holding
 * delivery off there would leave the CPU unable ever to take an interrupt.
 */
export function deliverable(a: Access, s: State, c: number, line: number): Cond {
  const o = a.ops;
  // An NMI ignores IF, the sti shadow and the task priority; only its own blocking (in service) holds it off.
  if (a.m.program.lines[line]!.nmi === true) return a.priorityAllows(s, c, line);
  const enabled = o.eq(a.ie(s, c), 1);
  if (enabled === false) return false;
  const shadow = o.eq(a.shadow(s, c), 1);
  // Whether the CPU can step is asked only under the shadow (staged code then computes it only there).
  let canRun: Cond = false;
  s.when(shadow, () => (canRun = canStep(a, s, c)));
  const heldOff = o.and(shadow, canRun);
  // A local APIC also holds off a line whose priority class is not above the task-priority class (SDM 11.8.3.1).
  const aboveTpr = a.layout.cpus[c]!.tpr === null ? true : o.ult(a.tpr(s, c), a.m.program.lines[line]!.priority);
  return o.and(enabled, o.not(heldOff), aboveTpr, a.pmrAllows(s, c, line), a.priorityAllows(s, c, line));
}

/** Per line, the condition that it is the line CPU `c` takes next (the most urgent pending deliverable one), and that it takes none. */
export function urgency(a: Access, s: State, c: number): { lines: Cond[]; none: Cond } {
  const o = a.ops;
  const pending = a.pending(s, c);
  const lines: Cond[] = a.m.program.lines.map(() => false);
  let taken: Cond = false;
  for (const line of a.m.linesByUrgency) {
    const isPending = o.bit(pending, line);
    const here = isPending === false ? false : o.and(isPending, deliverable(a, s, c, line));
    lines[line] = o.and(o.not(taken), here);
    taken = o.or(taken, here);
  }
  return { lines, none: o.not(taken) };
}

/**
 * Line `line`'s own source may still make it pending on CPU `c`, now or later: an external line that arrives on
 * `c` and, when its source fires a bounded number of times (`once`, `at most N`), has not used them all up there
 * (the 8259A and I/O APIC deliver what the device asserts; a device that is done asserts nothing). Whether the line
 * is pending now is not asked: an arrival also needs it not pending. An `ipi`/`none` line has no source: only
 * `raise` makes it pending.
 */
export function canStillArrive(a: Access, s: State, c: number, line: number): Cond {
  if (!a.m.arrivals[c]!.includes(line)) return false;
  const counter = a.layout.cpus[c]!.arrived[line] ?? null;
  return counter === null ? true : a.ops.ult(s.read(counter), counter.max);
}

/**
 * Line `line` may become pending on CPU `c` now, by itself: the CPU has not stopped, the line is not pending there,
 * and its source can still fire. It is then either left pending or taken at once (the two arrival actions).
 */
export function mayArrive(a: Access, s: State, c: number, line: number): Cond {
  const o = a.ops;
  return o.and(o.not(a.stopped(s, c)), canStillArrive(a, s, c, line), o.not(o.bit(a.pending(s, c), line)));
}

/** Whether `action` is enabled, given its CPU's urgency (`urgency(a, s, actionCpu(action))`). */
export function enabledWith(a: Access, s: State, action: Action, u: { lines: Cond[]; none: Cond }): Cond {
  const o = a.ops;
  const kind = actionKind(action);
  const c = actionCpu(action);
  const arg = actionArg(action);
  switch (kind) {
    case ActionKind.step:
    case ActionKind.maskWait: {
      const instr = a.m.code[arg];
      if (instr !== undefined && !canEverStep(instr)) return false;
      const can = instructionActions(a, s, c, arg);
      return o.and(o.eq(a.pc(s, c), a.m.stepFrom[arg]!), u.none, kind === ActionKind.step ? can.step : can.maskWait);
    }
    case ActionKind.deliver:
      return o.and(o.not(a.stopped(s, c)), u.lines[arg]!);
    case ActionKind.arrive:
    case ActionKind.arriveTake: {
      // Taken at once when deliverable and more urgent than anything already waiting to be taken.
      const rank = a.m.linesByUrgency.indexOf(arg);
      const moreUrgentWaiting = a.m.linesByUrgency.slice(0, rank).map((l) => u.lines[l]!);
      const takes = o.and(deliverable(a, s, c, arg), o.not(o.or(...moreUrgentWaiting)));
      return o.and(mayArrive(a, s, c, arg), kind === ActionKind.arriveTake ? takes : o.not(takes));
    }
    default:
      throw new Error(`internal: unknown action kind ${kind}`);
  }
}

export function enabled(a: Access, s: State, action: Action): Cond {
  return enabledWith(a, s, action, urgency(a, s, actionCpu(action)));
}

/** Applies an enabled action to `s`. Faults and events go to the state (see State). */
export function apply(a: Access, profile: ArchProfile, s: State, action: Action): void {
  const kind = actionKind(action);
  const c = actionCpu(action);
  const arg = actionArg(action);
  switch (kind) {
    case ActionKind.step: {
      a.setShadow(s, c, 0);
      const x = new Step(a, s, c, arg);
      execute(x, profile, a.m.code[arg]!);
      a.setPc(s, c, s.next());
      break;
    }
    case ActionKind.maskWait:
      a.setShadow(s, c, 0);
      maskWait(a, s, c);
      break;
    case ActionKind.deliver:
      profile.enter(a, s, c, arg);
      break;
    case ActionKind.arrive:
      arrive(a, s, c, arg);
      break;
    case ActionKind.arriveTake:
      arrive(a, s, c, arg);
      profile.enter(a, s, c, arg);
      break;
    default:
      throw new Error(`internal: unknown action kind ${kind}`);
  }
  if (kind !== ActionKind.arrive) countMasked(a, s, c);
}

/** Line `line` becomes pending on CPU `c` by itself; a source that fires a bounded number of times counts it. */
function arrive(a: Access, s: State, c: number, line: number): void {
  const o = a.ops;
  a.setPending(s, c, o.or32(a.pending(s, c), 2 ** line));
  const counter = a.layout.cpus[c]!.arrived[line] ?? null;
  if (counter !== null) s.write(counter, o.add(s.read(counter), 1));
}

/** irq-latency: consecutive steps of a CPU that leave interrupts masked, saturating just above the bound. */
function countMasked(a: Access, s: State, c: number): void {
  const slot = a.layout.cpus[c]!.maskedSteps;
  if (slot === null) return;
  const o = a.ops;
  const count = s.read(slot);
  const more = o.ite(o.ult(count, slot.max), o.add(count, 1), slot.max);
  s.write(slot, o.ite(a.irqsOn(s, c), 0, more));
}

/**
 * CPU `c` is about to acquire a lock its current thread already holds, with no interrupt to take first:
 * lockdep's recursive locking (a state event). The lock, where `pc` is known.
 */
export function recursiveAcquire(a: Access, s: State, c: number, u: { none: Cond }): Cond {
  const o = a.ops;
  const pc = a.pc(s, c);
  const holds = (lock: number): Cond => o.eq(a.lockOwner(s, lock), o.add(a.current(s, c), 1));
  const owns = (p: number, instr: Extract<Instr, { op: 'acquire' }>): Cond => {
    if (instr.index === undefined) return o.and(o.eq(pc, p), holds(instr.lock));
    const { value: i, faults } = peekIndex(a, s, c, instr.index);
    return o.and(o.eq(pc, p), o.not(faults), o.or(...elementCases(a, instr.lock, instr.index.count, i).map(({ when, lock }) => o.and(when, holds(lock)))));
  };
  if (typeof pc === 'number') {
    const instr = a.m.code[pc];
    return instr?.op === 'acquire' ? o.and(u.none, owns(pc, instr)) : false;
  }
  const cases: Cond[] = [];
  a.m.code.forEach((instr, p) => {
    if (instr.op === 'acquire') cases.push(owns(p, instr));
  });
  return o.and(u.none, o.or(...cases));
}

/**
 * What waits in a state, for no-deadlock (docs/semantics.md 5): whether some thread is `ready` (it waits for a
 * CPU) or `blocked` (for a wake-up or a mutex); and per CPU that has not stopped, whether it is `busy` (its pc is
 * not a `hlt`, a `wfi` or a halted point: it spins on a lock or tests a flag) and whether a line is `pending` on
 * it (a raised interrupt waits to be taken). A CPU halted with nothing pending waits for nothing: it is idle.
 */
export function waiting(a: Access, s: State): { threads: Cond; busy: Cond[]; pending: Cond[] } {
  const o = a.ops;
  const threads: Cond[] = [];
  for (let t = 0; t < a.threads; t++) threads.push(a.isState(s, t, 'ready'), o.and(a.isState(s, t, 'blocked'), awaits(a, s, t)));
  const busy: Cond[] = [];
  const pending: Cond[] = [];
  for (let c = 0; c < a.cpus; c++) {
    const running = o.not(a.stopped(s, c));
    busy.push(o.and(running, o.not(a.pcIn(a.pc(s, c), a.haltingPcs))));
    pending.push(o.and(running, o.ne(a.pending(s, c), 0)));
  }
  return { threads: o.or(...threads), busy, pending };
}

/**
 * Thread `t`, if blocked, waits for something: it says nothing of what it waits for, it is asleep on a mutex (it
 * waits for the mutex, whatever its condition says), or its `waits for` condition holds (or cannot be evaluated).
 * One whose condition is false has nothing to do: it is idle, as a worker asleep once its work is done, and no
 * wake-up it misses is lost (docs/language.md, `thread`).
 */
export function awaits(a: Access, s: State, t: number): Cond {
  const cond = a.m.program.threads[t]!.waitsFor;
  if (cond === undefined) return true;
  const o = a.ops;
  const onMutex = a.m.program.locks.flatMap((decl, l) => {
    const waiters = a.layout.locks[l]!.waiters;
    return decl.kind === 'mutex' && waiters !== null ? [o.bit(s.read(waiters), t)] : [];
  });
  const { value, faults } = peek(a, s, -1, cond);
  return o.or(...onMutex, faults, o.ne(value, 0));
}

/**
 * CPU `c` is halted in `wfi` with nothing pending: its step would be the wait completing spuriously, which the
 * Arm ARM allows at any time and never requires. Such a step is explored (what follows it is reachable), but no
 * verdict relies on it being taken: no-deadlock does not count it as a way out, fairness does not owe it. With a
 * GIC, a pending line wakes the CPU only if the CPU interface signals it, above the running priority and below
 * the priority mask (IHI 0069, 4.8; PSTATE.I still plays no part): one it holds back is no wake-up event.
 */
export function spuriousWakeUp(a: Access, s: State, c: number): Cond {
  if (a.wfiHaltedPcs.length === 0) return false;
  const o = a.ops;
  const atWfi = a.pcIn(a.pc(s, c), a.wfiHaltedPcs);
  const pending = a.pending(s, c);
  if (a.m.program.controller !== 'gic') return o.and(atWfi, o.eq(pending, 0));
  const signalled = a.m.program.lines.map((l) => o.and(o.bit(pending, l.id), a.priorityAllows(s, c, l.id), a.pmrAllows(s, c, l.id)));
  return o.and(atWfi, o.not(o.or(...signalled)));
}
