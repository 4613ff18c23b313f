// Threads, the run queue and the two styles of context switch, symbolically: src/hw/threads.ts rule for rule.

import type { Expr } from '../../ir/ir.js';
import { evaluate } from './expr.js';
import { KIND_CODE, STATE_CODE, type SymFrame } from './machine.js';
import type { SymStep } from './step.js';
import type { Val } from './sym.js';

function threadArg(x: SymStep, e: Expr): Val {
  const t = evaluate(x.m, x.s, x.cpu, e);
  x.s.fault('assertions', x.m.sym.eq(t, x.m.none));
  return t;
}

export function enqueue(x: SymStep, e: Expr): void {
  const { m, s } = x;
  const sym = m.sym;
  const t = threadArg(x, e);
  s.fault('assertions', m.queued(s, t));
  m.rqPush(s, t);
  const state = m.threadState(s, t);
  s.when(sym.or(sym.eq(state, STATE_CODE.blocked), sym.eq(state, STATE_CODE.dormant)), () => m.setThreadState(s, t, 'ready'));
}

export function pickNext(x: SymStep): Val {
  return x.m.rqShift(x.s);
}

export function wake(x: SymStep, e: Expr): void {
  const { m, s } = x;
  const t = threadArg(x, e);
  s.when(m.isState(s, t, 'blocked'), () => {
    m.setThreadState(s, t, 'ready');
    s.when(m.sym.not(m.queued(s, t)), () => m.rqPush(s, t));
  });
}

export function spawn(x: SymStep, e: Expr): void {
  const { m, s } = x;
  const t = threadArg(x, e);
  s.fault('assertions', m.sym.not(m.isState(s, t, 'dormant')));
  m.setThreadState(s, t, 'ready');
  m.rqPush(s, t);
}

/** Resuming `t` is possible only if it is not running elsewhere, has not exited and still has its stack. */
function checkResumable(x: SymStep, t: Val): void {
  const { m, s } = x;
  const sym = m.sym;
  const first = m.firstCpuRunning(s, t);
  s.fault('stack-integrity', sym.or(...first.filter((_, c) => c !== x.cpu)));
  s.fault('stack-integrity', m.freed(s, t));
  s.fault('stack-integrity', m.isState(s, t, 'exited'));
}

/** Scheduling is illegal in interrupt context and while holding a spinning lock that is not handed off. */
function checkMaySchedule(x: SymStep): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const inIrq = sym.ult(0, m.hardirq(s, cpu));
  const atomic = m.locksHeldBy(s, x.current).filter((_, l) => m.m.program.locks[l]!.kind !== 'mutex' && !m.m.program.locks[l]!.handoff);
  s.warn('atomic-sleep', sym.or(inIrq, ...atomic));
}

/** The thread being switched away from stops running: ready if it is queued, blocked otherwise. */
function leave(x: SymStep, old: Val): void {
  const { m, s } = x;
  s.when(m.isState(s, old, 'running'), () =>
    m.setThreadState(s, old, m.sym.ite(m.queued(s, old), STATE_CODE.ready, STATE_CODE.blocked)),
  );
}

/** Pops the top frame of `t`'s own stack, which must be a frame of `kind` belonging to `t`. */
function popResumeFrame(x: SymStep, t: Val, kind: 'switch' | 'irq' | 'exc'): SymFrame {
  const { m, s } = x;
  const sym = m.sym;
  const { empty, frame } = m.pop(s, m.threadStack(t));
  s.fault('stack-integrity', empty);
  s.fault('stack-integrity', sym.ne(frame.kind, KIND_CODE[kind]));
  s.fault('stack-integrity', sym.ne(frame.owner, t));
  return frame;
}

export function switchTo(x: SymStep, e: Expr): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const t = threadArg(x, e);
  const old = x.current;
  s.when(sym.ne(t, old), () => {
    checkResumable(x, t);
    checkMaySchedule(x);
    const continuation = m.m.resolve(x.pc + 1);
    m.push(s, m.threadStack(old), m.frame('switch', { pc: continuation, ie: 0, owner: old, hardirq: m.hardirq(s, cpu), line: 0, stack: 0 }));
    leave(x, old);
    s.write(m.layout.cpus[cpu]!.current, t);
    m.setThreadState(s, t, 'running');
    const frame = popResumeFrame(x, t, 'switch');
    m.setHardirq(s, cpu, frame.hardirq);
    x.nextPc = sym.ite(s.guard, frame.pc, x.nextPc);
  });
}

export function restoreContext(x: SymStep, e: Expr, resumeKind: 'irq' | 'exc'): SymFrame {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const t = threadArg(x, e);
  const old = x.current;
  s.when(sym.ne(t, old), () => {
    checkResumable(x, t);
    checkMaySchedule(x);
    leave(x, old);
    s.write(m.layout.cpus[cpu]!.current, t);
    m.setThreadState(s, t, 'running');
  });
  const frame = popResumeFrame(x, t, resumeKind);
  m.setIe(s, cpu, frame.ie);
  m.setHardirq(s, cpu, frame.hardirq);
  m.setStackSel(s, cpu, frame.stack);
  x.nextPc = frame.pc;
  return frame;
}

export function freeStack(x: SymStep, e: Expr): void {
  const { m, s } = x;
  const sym = m.sym;
  const t = threadArg(x, e);
  s.fault('stack-integrity', sym.or(...m.firstCpuRunning(s, t)));
  s.fault('stack-integrity', sym.not(m.isState(s, t, 'exited')));
  s.fault('assertions', m.freed(s, t));
  for (const { when, t: i } of m.threadCases(t)) {
    s.when(when, () => {
      s.write(m.layout.threads[i]!.freed, 1);
      m.clearStack(s, m.layout.threads[i]!.stack);
    });
  }
}
