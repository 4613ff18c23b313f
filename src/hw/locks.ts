// The three lock kinds. A lock's owner is a thread (code in a handler holds locks for the thread it
// interrupted, as lockdep keeps held locks per task) together with the interrupt-context depth it was taken at.

import type { LValue } from '../ir/ir.js';
import type { Access } from './access.js';
import { lockName } from './describe.js';
import { num, type Cond, type Val } from './domain.js';
import { assign } from './expr.js';
import type { State } from './state.js';
import type { Step } from './step.js';

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
  s.write(slot, 1);
  a.setIe(s, c, 0);
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
    const saved = o.or32(ie, spinSaved === null ? 0 : s.read(spinSaved));
    if (spinSaved !== null) s.write(spinSaved, 0);
    s.write(slots.savedIe, saved);
    a.setIe(s, cpu, 0);
    s.acquired({ cpu, lock, owner: current, hardirq, ie: o.eq(saved, 1), held, trylock });
  } else {
    s.acquired({ cpu, lock, owner: current, hardirq, ie: o.eq(ie, 1), held, trylock });
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
      a.push(s, a.currentStack(s, cpu), a.frame('call', { pc: a.m.resolve(x.pc), ie: 0, owner: x.stackOwner, hardirq: 0, line: 0, stack: 0 }));
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

export function tryAcquire(x: Step, lock: number, target: LValue): void {
  const { a, s, cpu } = x;
  const free = a.ops.eq(a.lockOwner(s, lock), 0);
  s.when(free, () => take(x, lock, true));
  assign(a, s, cpu, target, a.ops.ite(free, 1, 0));
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
          s.when(o.not(a.queued(s, t)), () => a.rqPush(s, t));
        });
      }
    }
  });
}
