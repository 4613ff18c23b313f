// The three lock kinds. A lock's owner is a thread (code in a handler holds locks for the thread it
// interrupted, as lockdep keeps held locks per task) together with the interrupt-context depth it was taken at.

import type { LValue } from '../ir/ir.js';
import { ActionKind } from '../checker/model.js';
import { lockName } from './describe.js';
import { assign } from './expr.js';
import { Fault } from './fault.js';
import type { Machine } from './machine.js';
import type { Step } from './step.js';

/**
 * What the `acquire` at CPU `c`'s pc can do now: `step` (take the lock, or for a contended mutex go to sleep),
 * `maskWait` (irqsave lock not free and interrupts enabled: mask them first, then spin), or null (spin: no step).
 */
export function acquireAction(m: Machine, s: Uint32Array, c: number, lock: number): ActionKind | null {
  const owner = m.lockOwner(s, lock);
  if (owner === 0) return ActionKind.step;
  const decl = m.program.locks[lock]!;
  if (decl.kind === 'irqsave' && m.ie(s, c) === 1) return ActionKind.maskWait;
  if (owner === m.current(s, c) + 1) return null; // recursive: a self-deadlock (reported as a state event)
  return decl.kind === 'mutex' ? ActionKind.step : null;
}

/** The masking half of a contended irqsave acquire: remember the enabled bit, mask, and spin. */
export function maskWait(m: Machine, s: Uint32Array, c: number): void {
  const slot = m.layout.cpus[c]!.spinSavedIe;
  if (slot === null) throw new Error('internal: irqsave wait without a spin-saved bit in the layout');
  m.write(s, slot, 1);
  m.setIe(s, c, 0);
}

function take(x: Step, lock: number, trylock: boolean): void {
  const { m, s, cpu } = x;
  const current = x.current;
  const hardirq = m.hardirq(s, cpu);
  const ie = m.ie(s, cpu);
  const held = m.locksHeldBy(s, current, hardirq);
  const slots = m.layout.locks[lock]!;
  m.write(s, slots.owner, current + 1);
  m.write(s, slots.level, hardirq);
  if (slots.savedIe !== null) {
    const spinSaved = m.layout.cpus[cpu]!.spinSavedIe;
    const saved = ie | (spinSaved === null ? 0 : m.read(s, spinSaved));
    if (spinSaved !== null) m.write(s, spinSaved, 0);
    m.write(s, slots.savedIe, saved);
    m.setIe(s, cpu, 0);
    x.events.push({ kind: 'acquire', cpu, lock, owner: current, hardirq, ie: saved === 1, held, trylock });
  } else {
    x.events.push({ kind: 'acquire', cpu, lock, owner: current, hardirq, ie: ie === 1, held, trylock });
  }
}

/** Sleeping is illegal in interrupt context, with a spinning lock held, or with interrupts masked. */
function checkMayBlock(x: Step, lock: number): void {
  const { m, s, cpu } = x;
  const name = lockName(m, lock);
  if (m.hardirq(s, cpu) > 0) {
    x.warn('atomic-sleep', `mutex ${name} acquired in interrupt context (${x.context()} on CPU ${cpu})`, [lock]);
    return;
  }
  const spinning = m.locksHeldBy(s, x.current).filter((l) => m.program.locks[l]!.kind !== 'mutex');
  if (spinning.length > 0) {
    const names = spinning.map((l) => lockName(m, l)).join(', ');
    x.warn('atomic-sleep', `mutex ${name} acquired while holding spinlock ${names} (${x.context()} on CPU ${cpu})`, [lock, ...spinning]);
    return;
  }
  if (m.ie(s, cpu) === 0) {
    x.warn('atomic-sleep', `mutex ${name} acquired with interrupts masked (${x.context()} on CPU ${cpu})`, [lock]);
  }
}

export function acquire(x: Step, lock: number): void {
  const { m, s, cpu } = x;
  const decl = m.program.locks[lock]!;
  if (decl.kind === 'mutex') checkMayBlock(x, lock);
  const owner = m.lockOwner(s, lock);
  if (owner === 0) {
    take(x, lock, false);
    return;
  }
  if (decl.kind !== 'mutex') throw new Error('internal: acquire of a held spinning lock executed');
  // Contended mutex: sleep in the scheduler and retry the acquire when resumed.
  const current = x.current;
  if (m.program.scheduler === null) {
    throw new Fault('assertions', `mutex ${decl.name} is contended but the machine declares no scheduler`);
  }
  m.setThreadState(s, current, 'blocked');
  const waiters = m.layout.locks[lock]!.waiters!;
  m.write(s, waiters, m.read(s, waiters) | (1 << current));
  m.push(s, m.currentStack(s, cpu), { kind: 'call', pc: m.resolve(x.pc), ie: 0, owner: current, hardirq: 0, line: 0, stack: 0 });
  x.nextPc = m.unitStart(m.program.scheduler);
}

export function tryAcquire(x: Step, lock: number, target: LValue): void {
  const free = x.m.lockOwner(x.s, lock) === 0;
  if (free) take(x, lock, true);
  assign(x.m, x.s, x.cpu, target, free ? 1 : 0);
}

export function release(x: Step, lock: number): void {
  const { m, s, cpu } = x;
  const decl = m.program.locks[lock]!;
  const owner = m.lockOwner(s, lock);
  const current = x.current;
  if (owner === 0) {
    x.warn('lock-order', `release of ${decl.name}, which is not held (${x.context()} on CPU ${cpu})`, [lock]);
    return;
  }
  if (owner !== current + 1 && !decl.handoff) {
    x.warn(
      'lock-order',
      `release of ${decl.name}, held by ${x.name(owner - 1)}, by ${x.context()} on CPU ${cpu} (bad unlock balance)`,
      [lock],
    );
  }
  const slots = m.layout.locks[lock]!;
  m.write(s, slots.owner, 0);
  m.write(s, slots.level, 0);
  if (slots.savedIe !== null) {
    m.setIe(s, cpu, m.read(s, slots.savedIe));
    m.write(s, slots.savedIe, 0);
  }
  if (slots.waiters !== null) {
    const waiters = m.read(s, slots.waiters);
    m.write(s, slots.waiters, 0);
    const queue = m.runQueue(s);
    for (let t = 0; t < m.threads; t++) {
      if ((waiters & (1 << t)) === 0 || m.threadState(s, t) !== 'blocked') continue;
      m.setThreadState(s, t, 'ready');
      if (!queue.includes(t)) queue.push(t);
    }
    m.setRunQueue(s, queue);
  }
}
