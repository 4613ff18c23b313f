// The three lock kinds, single or in arrays (`lock rq_lock[cpu]`: one lock per element, the element an instruction
// names chosen by its index as the step runs). A lock's owner is a thread (code in a handler holds locks for the
// thread it interrupted, as lockdep keeps held locks per task) together with the interrupt-context depth it was
// taken at.

import type { Expr, LockIndex, LValue, PropertyId } from '../ir/ir.js';
import type { Slot } from '../ir/layout.js';
import type { Access } from './access.js';
import { lockName } from './describe.js';
import { Fault } from './fault.js';
import { num, type Cond, type Ops, type Val } from './domain.js';
import { assign, evaluate, evaluateIn } from './expr.js';
import type { Machine } from './machine.js';
import type { AcquireEvent, Reporter, State } from './state.js';
import type { Step } from './step.js';

/** The locks an index may select, each with the condition that it does (one, known, when the index is known). */
export function elementCases(a: Access, lock: number, count: number, i: Val): { when: Cond; lock: number }[] {
  if (typeof i === 'number') return i >= 0 && i < count ? [{ when: true, lock: lock + i }] : [];
  return Array.from({ length: count }, (_, k) => ({ when: a.ops.eq(i, k), lock: lock + k }));
}

/** The lock an instruction names in a concrete state (CPU `cpu` executing it), or null where its index is out of range. */
export function lockIn(m: Machine, s: Uint32Array, cpu: number, instr: { lock: number; index?: LockIndex }): number | null {
  if (instr.index === undefined) return instr.lock;
  let i: number;
  try {
    i = evaluateIn(m, s, cpu, instr.index.expr);
  } catch (e) {
    if (e instanceof Fault) return null; // a local read where it has no activation (peekIndex): the step faults
    throw e;
  }
  return i >= 0 && i < instr.index.count ? instr.lock + i : null;
}

/** An index that is not an element of an array of `count`. */
export function outOfRange(a: Access, i: Val, count: number): Cond {
  return a.ops.not(a.ops.and(a.ops.sle(0, i), a.ops.slt(i, count)));
}

/**
 * The lock an `acquire`, `release` or `try_acquire` names, in its step: its one lock, or the element of a lock
 * array its index selects; an index out of range is an assertions fault, as for a variable.
 */
export function lockOf(x: Step, lock: number, index: LockIndex | undefined): { when: Cond; lock: number }[] {
  if (index === undefined) return [{ when: true, lock }];
  const { a, s, cpu } = x;
  const i = evaluate(a, s, cpu, index.expr);
  const array = a.m.program.locks[lock]!.array?.name ?? lockName(a.m, lock);
  s.fault('assertions', outOfRange(a, i, index.count), () => `index out of bounds: ${array}[${num(i)}] (length ${index.count})`);
  return elementCases(a, lock, index.count, i);
}

/**
 * A lock index read in the enabled-action scan, where nothing is reported: its value, and where reading it
 * faults. The type checker admits as an index only what cannot fail as it is evaluated (E410), except a local
 * read where its body has no activation (docs/semantics.md 4.2a), which only the state decides: there the
 * acquire is enabled, and its step faults as it reads the index.
 */
export function peekIndex(a: Access, s: State, c: number, index: LockIndex): { value: Val; faults: Cond } {
  return peek(a, s, c, index.expr);
}

/** `e`'s value on CPU `c` (-1: none), and where evaluating it faults, which is only noted. */
export function peek(a: Access, s: State, c: number, e: Expr): { value: Val; faults: Cond } {
  const noted = new FaultsNoted(s);
  const value = evaluate(a, noted, c, e);
  return { value, faults: noted.faults };
}

/** A state that passes everything to `s` but faults, which it only notes (under the guard they are raised in). */
class FaultsNoted implements State {
  faults: Cond = false;
  constructor(private readonly s: State) {}
  get ops(): Ops {
    return this.s.ops;
  }
  get guard(): Cond {
    return this.s.guard;
  }
  read(slot: Slot): Val {
    return this.s.read(slot);
  }
  write(slot: Slot, value: Val): void {
    this.s.write(slot, value);
  }
  when(c: Cond, then: () => void, otherwise?: () => void): void {
    this.s.when(c, then, otherwise);
  }
  fault(_property: PropertyId, c: Cond): void {
    const o = this.s.ops;
    this.faults = o.or(this.faults, o.and(this.s.guard, c));
  }
  warn(property: PropertyId, c: Cond, report: Reporter): void {
    this.s.warn(property, c, report);
  }
  acquired(event: AcquireEvent): void {
    this.s.acquired(event);
  }
  eoi(cpu: number, line: number): void {
    this.s.eoi(cpu, line);
  }
  setNext(pc: Val): void {
    this.s.setNext(pc);
  }
  next(): Val {
    return this.s.next();
  }
  readAt(slots: readonly Slot[], index: Val): Val {
    return this.s.readAt(slots, index);
  }
  writeAt(slots: readonly Slot[], index: Val, value: Val): void {
    this.s.writeAt(slots, index, value);
  }
  select(cases: readonly { when: Cond; then: () => Val }[], otherwise: Val): Val {
    return this.s.select(cases, otherwise);
  }
}

/** `acquireAction` of an `acquire` of an element of a lock array: an index out of range steps (and faults). */
export function indexedAcquireAction(a: Access, s: State, c: number, lock: number, index: LockIndex): { step: Cond; maskWait: Cond } {
  const o = a.ops;
  const { value: i, faults } = peekIndex(a, s, c, index);
  const bad = o.or(faults, outOfRange(a, i, index.count));
  const cases = elementCases(a, lock, index.count, i).map(({ when, lock: l }) => ({ when, can: acquireAction(a, s, c, l) }));
  return {
    step: o.or(bad, ...cases.map(({ when, can }) => o.and(when, can.step))),
    maskWait: o.or(...cases.map(({ when, can }) => o.and(when, can.maskWait))),
  };
}

/**
 * What the `acquire` of `lock` at CPU `c`'s pc can do now: a `step` (take the lock, or for a contended mutex go
 * to sleep), a `maskWait` (an irqsave lock not free with interrupts enabled: mask them first, then spin), or
 * neither (spin: no step). A recursive acquire spins too: a self-deadlock, reported as a state event.
 */
export function acquireAction(a: Access, s: State, c: number, lock: number): { step: Cond; maskWait: Cond } {
  const o = a.ops;
  const owner = a.lockOwner(s, lock);
  const free = o.eq(owner, 0);
  const kind = a.m.program.locks[lock]!.kind;
  const maskWait = kind === 'irqsave' ? o.and(o.not(free), o.eq(a.ie(s, c), 1)) : false;
  const recursive = o.eq(owner, o.add(a.current(s, c), 1));
  const sleeps = kind === 'mutex' ? o.and(o.not(free), o.not(recursive)) : false;
  return { step: o.or(free, sleeps), maskWait };
}

/** The masking half of a contended irqsave acquire: remember the enabled bit, mask, and spin. */
export function maskWait(a: Access, s: State, c: number): void {
  const slot = a.layout.cpus[c]!.spinSavedIe;
  if (slot === null) throw new Error('internal: irqsave wait without a spin-saved bit in the layout');
  s.write(slot, a.ops.ite(inNmi(a, s, c), 2, 1));
  a.setIe(s, c, 0);
}

/**
 * Whether CPU `c` runs an NMI handler (an `nmi` line in service). An NMI can come while an irqsave acquire spins
 * with the flag it saved in the CPU's spin slot, and take an irqsave lock itself: each context reads only the
 * flag its own spin saved (on hardware both are locals of their own frames).
 */
function inNmi(a: Access, s: State, c: number): Cond {
  const nmis = a.m.nmiLines;
  return nmis === 0 ? false : a.ops.ne(a.ops.and32(a.inService(s, c), nmis), 0);
}

function take(x: Step, lock: number, trylock: boolean): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const current = x.current;
  const hardirq = a.hardirq(s, cpu);
  const ie = a.ie(s, cpu);
  const held = a.locksHeldBy(s, current, hardirq);
  const slots = a.layout.locks[lock]!;
  s.write(slots.owner, o.add(current, 1));
  s.write(slots.level, hardirq);
  if (slots.savedIe !== null) {
    const spinSaved = a.layout.cpus[cpu]!.spinSavedIe;
    const spin: Val = spinSaved === null ? 0 : s.read(spinSaved);
    const mine = o.eq(spin, o.ite(inNmi(a, s, cpu), 2, 1));
    const saved = o.or32(ie, o.ite(mine, 1, 0));
    if (spinSaved !== null) s.when(mine, () => s.write(spinSaved, 0));
    s.write(slots.savedIe, saved);
    // Interrupts were on before the irqsave if its saved flag says so and no priority mask held them off.
    const letsIn = a.maskLetsIrqsIn(s, cpu);
    a.setIe(s, cpu, 0);
    s.acquired({ cpu, lock, owner: current, hardirq, ie: o.and(o.eq(saved, 1), letsIn), held, trylock });
  } else {
    s.acquired({ cpu, lock, owner: current, hardirq, ie: a.irqsOn(s, cpu), held, trylock });
  }
}

/** Sleeping is illegal in interrupt context, with a spinning lock held, or with interrupts masked. */
function checkMayBlock(x: Step, lock: number): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const name = lockName(a.m, lock);
  const program = a.m.program;
  const inIrq = o.ult(0, a.hardirq(s, cpu));
  const heldBy = a.locksHeldBy(s, x.current);
  const spinning = o.or(...heldBy.filter((_, l) => program.locks[l]!.kind !== 'mutex'));
  s.warn('atomic-sleep', inIrq, (d) => ({ message: `mutex ${name} acquired in interrupt context (${x.context(d)} on CPU ${cpu})`, locks: [lock] }));
  s.warn('atomic-sleep', o.and(o.not(inIrq), spinning), (d) => {
    const held = d.m.locksHeldBy(d.s, num(x.current)).filter((l) => program.locks[l]!.kind !== 'mutex');
    const names = held.map((l) => lockName(d.m, l)).join(', ');
    return { message: `mutex ${name} acquired while holding spinlock ${names} (${x.context(d)} on CPU ${cpu})`, locks: [lock, ...held] };
  });
  s.warn('atomic-sleep', o.and(o.not(inIrq), o.not(spinning), o.eq(a.ie(s, cpu), 0)), (d) => ({
    message: `mutex ${name} acquired with interrupts masked (${x.context(d)} on CPU ${cpu})`,
    locks: [lock],
  }));
  if (a.softirqSlots !== null) {
    const bh = a.softirqCount(s, x.current);
    s.warn('atomic-sleep', o.and(o.not(inIrq), o.not(spinning), o.eq(a.ie(s, cpu), 1), o.ult(0, bh)), (d) => ({
      message: `mutex ${name} acquired with bottom halves disabled (softirq count ${d.m.softirqCount(d.s, num(x.current))}; ${x.context(d)} on CPU ${cpu})`,
      locks: [lock],
    }));
  }
  if (a.preemptSlots === null) return;
  const preempt = a.preemptCount(s, x.current);
  s.warn('atomic-sleep', o.and(o.not(inIrq), o.not(spinning), o.eq(a.ie(s, cpu), 1), o.ult(0, preempt)), (d) => ({
    message: `mutex ${name} acquired with preemption disabled (preempt_count ${d.m.preemptCount(d.s, num(x.current))}; ${x.context(d)} on CPU ${cpu})`,
    locks: [lock],
  }));
}

export function acquire(x: Step, lock: number): void {
  const { a, s, cpu } = x;
  const decl = a.m.program.locks[lock]!;
  if (decl.kind === 'mutex') checkMayBlock(x, lock);
  s.when(
    a.ops.eq(a.lockOwner(s, lock), 0),
    () => take(x, lock, false),
    () => {
      // A held spinning lock: the action is not enabled (acquireAction); a symbolic encoding of every action
      // still gets here, and nothing happens.
      if (decl.kind !== 'mutex') return;
      // Contended mutex: sleep in the scheduler and retry the acquire when resumed.
      const scheduler = a.m.program.scheduler;
      if (scheduler === null) {
        s.fault('assertions', true, () => `mutex ${decl.name} is contended but the machine declares no scheduler`);
        return;
      }
      const current = x.current;
      a.setThreadState(s, current, 'blocked');
      const waiters = a.layout.locks[lock]!.waiters!;
      s.write(waiters, setBitAt(a, s.read(waiters), current));
      a.call(s, a.currentStack(s, cpu), a.frame('call', { pc: a.m.resolve(x.pc), ie: 0, owner: x.stackOwner, hardirq: 0, line: 0, stack: 0 }));
      x.goto(a.m.unitStart(scheduler));
    },
  );
}

/** `mask | (1 << t)` for a thread id that may be unknown. */
export function setBitAt(a: Access, mask: Val, t: Val): Val {
  let out = mask;
  for (const { when, t: i } of a.threadCases(t)) out = a.ops.ite(when, a.ops.or32(mask, 2 ** i), out);
  return out;
}

export function tryAcquire(x: Step, lock: number, target: LValue, index?: LockIndex): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const cases = lockOf(x, lock, index).map(({ when, lock: l }) => ({ l, free: o.and(when, o.eq(a.lockOwner(s, l), 0)) }));
  for (const { l, free } of cases) s.when(free, () => take(x, l, true));
  assign(a, s, cpu, target, o.ite(o.or(...cases.map((c) => c.free)), 1, 0));
}

/** `acquire` of a lock or of the element of a lock array its index selects. */
export function acquireAt(x: Step, lock: number, index?: LockIndex): void {
  for (const { when, lock: l } of lockOf(x, lock, index)) x.s.when(when, () => acquire(x, l));
}

/** `release` of a lock or of the element of a lock array its index selects. */
export function releaseAt(x: Step, lock: number, index?: LockIndex): void {
  for (const { when, lock: l } of lockOf(x, lock, index)) x.s.when(when, () => release(x, l));
}

export function release(x: Step, lock: number): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const decl = a.m.program.locks[lock]!;
  const owner = a.lockOwner(s, lock);
  const free = o.eq(owner, 0);
  s.warn('lock-order', free, (d) => ({ message: `release of ${decl.name}, which is not held (${x.context(d)} on CPU ${cpu})`, locks: [lock] }));
  s.when(o.not(free), () => {
    if (!decl.handoff) {
      s.warn('lock-order', o.ne(owner, o.add(x.current, 1)), (d) => ({
        message: `release of ${decl.name}, held by ${x.name(num(owner) - 1)}, by ${x.context(d)} on CPU ${cpu} (bad unlock balance)`,
        locks: [lock],
      }));
    }
    const slots = a.layout.locks[lock]!;
    s.write(slots.owner, 0);
    s.write(slots.level, 0);
    if (slots.savedIe !== null) {
      a.setIe(s, cpu, s.read(slots.savedIe));
      s.write(slots.savedIe, 0);
    }
    if (slots.waiters !== null) {
      const waiters = s.read(slots.waiters);
      s.write(slots.waiters, 0);
      for (let t = 0; t < a.threads; t++) {
        s.when(o.and(o.bit(waiters, t), a.isState(s, t, 'blocked')), () => {
          a.setThreadState(s, t, 'ready');
          s.when(o.not(a.queued(s, t)), () => a.rqPush(s, t, a.defaultQueue(cpu)));
        });
      }
    }
  });
}
