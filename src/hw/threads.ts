// Threads and the run queue, and the two styles of context switch. A suspended thread's continuation is the
// frame on top of its stack; resuming it pops that frame, and a frame of the wrong kind or of another thread
// is stack corruption: the thread is being resumed by a path that does not match how it was suspended.

import type { Expr } from '../ir/ir.js';
import type { ModelEvent } from '../checker/model.js';
import { contextOf, lockName, threadName } from './describe.js';
import type { Machine } from './machine.js';
import { evaluate } from './expr.js';
import { Fault } from './fault.js';
import { frameNoun, type Frame } from './frames.js';
import type { Step } from './step.js';

function threadArg(x: Step, e: Expr, what: string): number {
  const t = evaluate(x.m, x.s, x.cpu, e);
  if (t === x.m.none) throw new Fault('assertions', `${what} none: no thread to ${what}`);
  return t;
}

export function enqueue(x: Step, e: Expr): void {
  const { m, s } = x;
  const t = threadArg(x, e, 'enqueue');
  const queue = m.runQueue(s);
  if (queue.includes(t)) throw new Fault('assertions', `enqueue ${x.name(t)}: it is already in the run queue`);
  queue.push(t);
  m.setRunQueue(s, queue);
  const state = m.threadState(s, t);
  if (state === 'blocked' || state === 'dormant') m.setThreadState(s, t, 'ready');
}

export function pickNext(x: Step): number {
  const queue = x.m.runQueue(x.s);
  const head = queue.shift();
  x.m.setRunQueue(x.s, queue);
  return head ?? x.m.none;
}

export function wake(x: Step, e: Expr): void {
  const { m, s } = x;
  const t = threadArg(x, e, 'wake');
  if (m.threadState(s, t) !== 'blocked') return;
  m.setThreadState(s, t, 'ready');
  const queue = m.runQueue(s);
  if (!queue.includes(t)) m.setRunQueue(s, [...queue, t]);
}

export function spawn(x: Step, e: Expr): void {
  const { m, s } = x;
  const t = threadArg(x, e, 'spawn');
  const state = m.threadState(s, t);
  if (state !== 'dormant') throw new Fault('assertions', `spawn ${x.name(t)}: it is ${state}, not dormant`);
  m.setThreadState(s, t, 'ready');
  m.setRunQueue(s, [...m.runQueue(s), t]);
}

/** Resuming `t` is possible only if it is not running elsewhere, has not exited and still has its stack. */
function checkResumable(x: Step, t: number, how: string): void {
  const { m, s } = x;
  const elsewhere = m.cpuRunning(s, t);
  if (elsewhere >= 0 && elsewhere !== x.cpu) {
    throw new Fault('stack-integrity', `${how} ${x.name(t)}, which is running on CPU ${elsewhere}: one stack, two CPUs`);
  }
  if (m.freed(s, t)) throw new Fault('stack-integrity', `${how} ${x.name(t)}, whose stack has been freed`);
  if (m.threadState(s, t) === 'exited') throw new Fault('stack-integrity', `${how} ${x.name(t)}, which has exited`);
}

/** Scheduling is illegal in interrupt context and while holding a spinning lock that is not handed off. */
function checkMaySchedule(x: Step, how: string): void {
  const warning = scheduleWarning(x.m, x.s, x.cpu, how);
  if (warning !== null) x.events.push(warning);
}

/**
 * The atomic-sleep warning a switch on CPU `cpu` (`how`: `switch_to worker[1]`) gets in state `s`, before the
 * switch changes anything, or null. Exported for the compiled successor function, which makes such a switch
 * itself and asks here for the exact event.
 */
export function scheduleWarning(m: Machine, s: Uint32Array, cpu: number, how: string): ModelEvent | null {
  if (m.hardirq(s, cpu) > 0) {
    const message = `scheduling while in interrupt context: ${how} in ${contextOf(m, s, cpu)} on CPU ${cpu}`;
    return { kind: 'violation', property: 'atomic-sleep', message, fatal: false, cpu };
  }
  const current = m.current(s, cpu);
  const atomic = m.locksHeldBy(s, current).filter((l) => m.program.locks[l]!.kind !== 'mutex' && !m.program.locks[l]!.handoff);
  if (atomic.length === 0) return null;
  const names = atomic.map((l) => lockName(m, l)).join(', ');
  const message = `scheduling while atomic: ${how} while ${threadName(m, current)} holds ${names} (CPU ${cpu})`;
  return { kind: 'violation', property: 'atomic-sleep', message, fatal: false, cpu, locks: atomic };
}

/** The thread being switched away from stops running: ready if it is queued, blocked otherwise. */
function leave(x: Step, old: number): void {
  if (x.m.threadState(x.s, old) === 'running') x.m.setThreadState(x.s, old, x.m.queued(x.s, old) ? 'ready' : 'blocked');
}

/** Pops the top frame of `t`'s own stack, which must be a frame of `kind` belonging to `t`. */
function popResumeFrame(x: Step, t: number, kind: Frame['kind'], how: string): Frame {
  const { m, s } = x;
  const frame = m.pop(s, m.layout.threads[t]!.stack);
  if (frame === null) throw new Fault('stack-integrity', `${how} ${x.name(t)}, whose stack is empty: nothing to resume`);
  if (frame.kind !== kind) {
    throw new Fault('stack-integrity', `${how} resumes ${x.name(t)} through ${frameNoun(frame.kind)}, not ${frameNoun(kind)}`);
  }
  if (frame.owner !== t) {
    throw new Fault('stack-integrity', `${how} resumes ${x.name(t)} through ${threadName(m, frame.owner)}'s frame`);
  }
  return frame;
}

/**
 * Linux style: save this thread's continuation as a switch frame on its own stack and resume `t` from the
 * switch frame on top of its stack. The interrupt flag carries over (a switch frame does not restore it, as
 * on real hardware); the interrupt-context depth is part of the continuation, as preempt_count is in Linux. The
 * CPU stays on the stack it runs on when that is a handler stack: the interrupted thread's frame stays there.
 */
export function switchTo(x: Step, e: Expr): void {
  const { m, s, cpu } = x;
  const t = threadArg(x, e, 'switch_to');
  const old = x.current;
  if (t === old) return;
  checkResumable(x, t, 'switch_to');
  checkMaySchedule(x, `switch_to ${x.name(t)}`);
  const continuation = m.resolve(x.pc + 1);
  m.push(s, m.layout.threads[old]!.stack, {
    kind: 'switch',
    pc: continuation,
    ie: 0,
    owner: old,
    hardirq: m.hardirq(s, cpu),
    line: 0,
    stack: 0,
  });
  leave(x, old);
  m.write(s, m.layout.cpus[cpu]!.current, t);
  m.setThreadState(s, t, 'running');
  const frame = popResumeFrame(x, t, 'switch', 'switch_to');
  m.setHardirq(s, cpu, frame.hardirq);
  x.nextPc = frame.pc;
}

/**
 * The frame-restoring style: make `t` current and return through the interrupt (x86_64) or exception (aarch64)
 * frame on top of its stack. Nothing is saved for the thread switched away from.
 */
export function restoreContext(x: Step, e: Expr, resumeKind: 'irq' | 'exc'): Frame {
  const { m, s, cpu } = x;
  const t = threadArg(x, e, 'restore_context');
  const old = x.current;
  if (t !== old) {
    checkResumable(x, t, 'restore_context');
    checkMaySchedule(x, `restore_context ${x.name(t)}`);
    leave(x, old);
    m.write(s, m.layout.cpus[cpu]!.current, t);
    m.setThreadState(s, t, 'running');
  }
  const frame = popResumeFrame(x, t, resumeKind, 'restore_context');
  m.setIe(s, cpu, frame.ie);
  m.setHardirq(s, cpu, frame.hardirq);
  m.setStackSel(s, cpu, frame.stack);
  x.nextPc = frame.pc;
  return frame;
}

export function freeStack(x: Step, e: Expr): void {
  const { m, s } = x;
  const t = threadArg(x, e, 'free_stack');
  const on = m.cpuRunning(s, t);
  if (on >= 0) throw new Fault('stack-integrity', `stack of ${x.name(t)} freed while CPU ${on} runs on it`);
  const state = m.threadState(s, t);
  if (state !== 'exited') {
    throw new Fault('stack-integrity', `stack of ${x.name(t)} freed while it is ${state}: it will still be resumed from it`);
  }
  if (m.freed(s, t)) throw new Fault('assertions', `stack of ${x.name(t)} freed twice`);
  m.write(s, m.layout.threads[t]!.freed, 1);
  m.clearStack(s, m.layout.threads[t]!.stack);
}
