// The three lock kinds, symbolically: src/hw/locks.ts rule for rule.

import type { LValue } from '../../ir/ir.js';
import { assign } from './expr.js';
import type { SymMachine } from './machine.js';
import type { SymState } from './state.js';
import type { SymStep } from './step.js';
import type { Cond, Val } from './sym.js';

/** acquireAction: the condition under which the `acquire` at CPU `c`'s pc is a step, a maskWait, or nothing. */
export function acquireAction(m: SymMachine, s: SymState, c: number, lock: number): Record<'step' | 'maskWait', Cond> {
  const sym = m.sym;
  const owner = m.lockOwner(s, lock);
  const free = sym.eq(owner, 0);
  const decl = m.m.program.locks[lock]!;
  const maskWait = decl.kind === 'irqsave' ? sym.and(sym.not(free), sym.eq(m.ie(s, c), 1)) : false;
  const recursive = sym.eq(owner, sym.add(m.current(s, c), 1));
  const sleeps = decl.kind === 'mutex' ? sym.and(sym.not(free), sym.not(maskWait), sym.not(recursive)) : false;
  return { step: sym.or(free, sleeps), maskWait };
}

/** The masking half of a contended irqsave acquire. */
export function maskWait(m: SymMachine, s: SymState, c: number): void {
  const slot = m.layout.cpus[c]!.spinSavedIe;
  if (slot === null) throw new Error('internal: irqsave wait without a spin-saved bit in the layout');
  s.write(slot, 1);
  m.setIe(s, c, 0);
}

function take(x: SymStep, lock: number, trylock: boolean): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const current = x.current;
  const hardirq = m.hardirq(s, cpu);
  const ie = m.ie(s, cpu);
  const held = m.locksHeldBy(s, current, hardirq);
  const slots = m.layout.locks[lock]!;
  s.write(slots.owner, sym.add(current, 1));
  s.write(slots.level, hardirq);
  if (slots.savedIe !== null) {
    const spinSaved = m.layout.cpus[cpu]!.spinSavedIe;
    const saved = sym.or32(ie, spinSaved === null ? 0 : s.read(spinSaved));
    if (spinSaved !== null) s.write(spinSaved, 0);
    s.write(slots.savedIe, saved);
    m.setIe(s, cpu, 0);
    s.acquired({ cpu, lock, owner: current, hardirq, ie: sym.eq(saved, 1), held, trylock });
  } else {
    s.acquired({ cpu, lock, owner: current, hardirq, ie: sym.eq(ie, 1), held, trylock });
  }
}

/** Sleeping is illegal in interrupt context, with a spinning lock held, or with interrupts masked. */
function checkMayBlock(x: SymStep): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const inIrq = sym.ult(0, m.hardirq(s, cpu));
  const spinning = sym.or(...m.locksHeldBy(s, x.current).filter((_, l) => m.m.program.locks[l]!.kind !== 'mutex'));
  const masked = sym.eq(m.ie(s, cpu), 0);
  s.warn('atomic-sleep', sym.or(inIrq, spinning, masked));
}

export function acquire(x: SymStep, lock: number): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const decl = m.m.program.locks[lock]!;
  if (decl.kind === 'mutex') checkMayBlock(x);
  const free = sym.eq(m.lockOwner(s, lock), 0);
  s.when(
    free,
    () => take(x, lock, false),
    () => {
      // A held spinning lock never gets here: the action is not enabled (acquireAction).
      if (decl.kind !== 'mutex') return;
      const current = x.current;
      if (m.m.program.scheduler === null) {
        s.fault('assertions');
        return;
      }
      m.setThreadState(s, current, 'blocked');
      const waiters = m.layout.locks[lock]!.waiters!;
      s.write(waiters, setBitAt(x, s.read(waiters), current));
      m.push(s, m.currentStack(s, cpu), m.frame('call', { pc: m.m.resolve(x.pc), ie: 0, owner: current, hardirq: 0, line: 0, stack: 0 }));
      x.nextPc = sym.ite(s.guard, m.m.unitStart(m.m.program.scheduler), x.nextPc);
    },
  );
}

/** `mask | (1 << t)` for a symbolic thread id. */
function setBitAt(x: SymStep, mask: Val, t: Val): Val {
  const { m } = x;
  let out = mask;
  for (const { when, t: i } of m.threadCases(t)) out = m.sym.ite(when, m.sym.or32(mask, 2 ** i), out);
  return out;
}

export function tryAcquire(x: SymStep, lock: number, target: LValue): void {
  const { m, s, cpu } = x;
  const free = m.sym.eq(m.lockOwner(s, lock), 0);
  s.when(free, () => take(x, lock, true));
  assign(m, s, cpu, target, m.sym.ite(free, 1, 0));
}

export function release(x: SymStep, lock: number): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const decl = m.m.program.locks[lock]!;
  const owner = m.lockOwner(s, lock);
  const current = x.current;
  const free = sym.eq(owner, 0);
  s.warn('lock-order', free);
  s.when(sym.not(free), () => {
    if (!decl.handoff) s.warn('lock-order', sym.ne(owner, sym.add(current, 1)));
    const slots = m.layout.locks[lock]!;
    s.write(slots.owner, 0);
    s.write(slots.level, 0);
    if (slots.savedIe !== null) {
      m.setIe(s, cpu, s.read(slots.savedIe));
      s.write(slots.savedIe, 0);
    }
    if (slots.waiters !== null) {
      const waiters = s.read(slots.waiters);
      s.write(slots.waiters, 0);
      for (let t = 0; t < m.threads; t++) {
        s.when(sym.and(sym.bit(waiters, t), m.isState(s, t, 'blocked')), () => {
          m.setThreadState(s, t, 'ready');
          s.when(sym.not(m.queued(s, t)), () => m.rqPush(s, t));
        });
      }
    }
  });
}
