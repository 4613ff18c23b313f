// Threads and the run queue, and the two styles of context switch. A suspended thread's continuation is the
// frame on top of its stack; resuming it pops that frame, and a frame of the wrong kind or of another thread
// is stack corruption: the thread is being resumed by a path that does not match how it was suspended.

import type { Expr, QueueRef } from '../ir/ir.js';
import { THREAD_STATES } from '../ir/ir.js';
import { KIND_CODE, STATE_CODE, type FrameVal } from './access.js';
import { contextOf, lockName, threadName } from './describe.js';
import { num, type Val } from './domain.js';
import { evaluate, queueOf } from './expr.js';
import { frameNoun } from './frames.js';
import type { Machine } from './machine.js';
import type { Report } from './state.js';
import type { Step } from './step.js';
import { FRAME_KINDS, type RunQueueSlots } from '../ir/layout.js';
import { checkReturnToUser } from './privilege.js';

function threadArg(x: Step, e: Expr, what: string): Val {
  const t = evaluate(x.a, x.s, x.cpu, e);
  x.s.fault('assertions', x.a.ops.eq(t, x.a.none), () => `${what} none: no thread to ${what}`);
  return t;
}

/** Appends `t` to the run queue `on` names (the default one of this CPU without it). */
function push(x: Step, t: Val, on: QueueRef | undefined): void {
  for (const { when, q } of queueOf(x.a, x.s, x.cpu, on)) x.s.when(when, () => x.a.rqPush(x.s, t, q));
}

export function enqueue(x: Step, e: Expr, on?: QueueRef): void {
  const { a, s } = x;
  const o = a.ops;
  const t = threadArg(x, e, 'enqueue');
  s.fault('assertions', a.queued(s, t), () => `enqueue ${x.name(t)}: it is already in the run queue`);
  push(x, t, on);
  const state = a.threadState(s, t);
  s.when(o.or(o.eq(state, STATE_CODE.blocked), o.eq(state, STATE_CODE.dormant)), () => a.setThreadState(s, t, 'ready'));
}

/** The head of the run queue `from` names (the default one of this CPU without it), removed; none if it is empty. */
export function pickNext(x: Step, from?: QueueRef): Val {
  let head: Val = x.a.none;
  for (const { when, q } of queueOf(x.a, x.s, x.cpu, from)) {
    let h: Val = x.a.none;
    x.s.when(when, () => (h = x.a.rqShift(x.s, q)));
    head = x.a.ops.ite(when, h, head);
  }
  return head;
}

/**
 * Takes `t` off the run queue `from` names (the default one of this CPU without it), as deactivate_task() does
 * before a migration; its state is unchanged. `t` not in that queue is a fatal assertions violation.
 */
export function dequeue(x: Step, e: Expr, from?: QueueRef): void {
  const { a, s } = x;
  const t = threadArg(x, e, 'dequeue');
  for (const { when, q } of queueOf(a, s, x.cpu, from)) {
    s.when(when, () => {
      s.fault('assertions', a.ops.not(a.queuedIn(s, q, t)), ({ m }) => `dequeue ${x.name(t)}: it is not in ${queueName(m, q)}`);
      a.rqRemove(s, q, t);
    });
  }
}

function queueName(m: Machine, q: RunQueueSlots): string {
  const i = m.layout.runQueues.indexOf(q);
  return i < 0 ? 'the run queue' : `run queue ${m.program.runQueues![i]!.name}`;
}

export function wake(x: Step, e: Expr, on?: QueueRef): void {
  const { a, s } = x;
  const t = threadArg(x, e, 'wake');
  s.when(a.isState(s, t, 'blocked'), () => {
    a.setThreadState(s, t, 'ready');
    s.when(a.ops.not(a.queued(s, t)), () => push(x, t, on));
  });
}

export function spawn(x: Step, e: Expr, on?: QueueRef): void {
  const { a, s } = x;
  const t = threadArg(x, e, 'spawn');
  s.fault('assertions', a.ops.not(a.isState(s, t, 'dormant')), ({ m, s: w }) => `spawn ${x.name(t)}: it is ${m.threadState(w, num(t))}, not dormant`);
  a.setThreadState(s, t, 'ready');
  push(x, t, on);
}

/** Resuming `t` is possible only if it is not running elsewhere, has not exited and still has its stack. */
function checkResumable(x: Step, t: Val, how: string): void {
  const { a, s } = x;
  const o = a.ops;
  const first = a.firstCpuRunning(s, t);
  s.fault(
    'stack-integrity',
    o.or(...first.filter((_, c) => c !== x.cpu)),
    ({ m, s: w }) => `${how} ${x.name(t)}, which is running on CPU ${m.cpuRunning(w, num(t))}: one stack, two CPUs`,
  );
  s.fault('stack-integrity', a.freed(s, t), () => `${how} ${x.name(t)}, whose stack has been freed`);
  s.fault('stack-integrity', a.isState(s, t, 'exited'), () => `${how} ${x.name(t)}, which has exited`);
}

/**
 * The atomic-sleep report for a switch on CPU `cpu` (`how`: `switch_to worker[1]`) in state `s`, before the
 * switch changes anything, or null when the switch is allowed: scheduling is illegal in interrupt context, while
 * holding a spinning lock that is not handed off, and with a preempt_count above `offset` (the count the
 * scheduler itself switches with).
 */
function scheduleReport(m: Machine, s: Uint32Array, cpu: number, how: string, offset: number): Report | null {
  if (m.hardirq(s, cpu) > 0) return `scheduling while in interrupt context: ${how} in ${contextOf(m, s, cpu)} on CPU ${cpu}`;
  const current = m.current(s, cpu);
  const atomic = m.locksHeldBy(s, current).filter((l) => m.program.locks[l]!.kind !== 'mutex' && !m.program.locks[l]!.handoff);
  const preempt = m.preemptCount(s, current);
  const bh = m.softirqCount(s, current);
  if (atomic.length === 0 && bh > 0) {
    return `scheduling while atomic: ${how} while ${threadName(m, current)} has bottom halves disabled (softirq count ${bh}, CPU ${cpu})`;
  }
  if (atomic.length === 0 && preempt > offset) {
    const expected = offset === 0 ? '' : `, where the scheduler switches with ${offset}`;
    return `scheduling while atomic: ${how} while ${threadName(m, current)} has preemption disabled (preempt_count ${preempt}${expected}, CPU ${cpu})`;
  }
  if (atomic.length === 0) return null;
  const names = atomic.map((l) => lockName(m, l)).join(', ');
  return { message: `scheduling while atomic: ${how} while ${threadName(m, current)} holds ${names} (CPU ${cpu})`, locks: atomic };
}

/**
 * A switch may happen here: not in interrupt context, no spinning lock held (but a hand-off one), and a
 * preempt_count of at most `offset`: the scheduler's own (`machine { preempt_offset N }`) for a switch_to or
 * restore_context, which the scheduler makes, and 0 for a thread that goes to sleep and calls it.
 */
export function checkMaySchedule(x: Step, how: () => string, offset: number): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const program = a.m.program;
  const inIrq = o.ult(0, a.hardirq(s, cpu));
  const atomic = a.locksHeldBy(s, x.current).filter((_, l) => program.locks[l]!.kind !== 'mutex' && !program.locks[l]!.handoff);
  const preempted = o.ult(offset, a.preemptCount(s, x.current));
  const bh = o.ult(0, a.softirqCount(s, x.current));
  s.warn('atomic-sleep', o.or(inIrq, preempted, bh, ...atomic), ({ m, s: w }) => scheduleReport(m, w, cpu, how(), offset)!);
}

/** The thread being switched away from stops running: ready if it is queued, blocked otherwise. */
function leave(x: Step, old: Val): void {
  const { a, s } = x;
  s.when(a.isState(s, old, 'running'), () => a.setThreadState(s, old, a.ops.ite(a.queued(s, old), STATE_CODE.ready, STATE_CODE.blocked)));
}

/** Pops the top frame of `t`'s own stack, which must be a frame of `kind` belonging to `t`. */
function popResumeFrame(x: Step, t: Val, kind: 'switch' | 'irq' | 'exc', how: string): FrameVal {
  const { a, s } = x;
  const o = a.ops;
  const { empty, frame } = a.pop(s, a.threadStack(t));
  s.fault('stack-integrity', empty, () => `${how} ${x.name(t)}, whose stack is empty: nothing to resume`);
  s.fault(
    'stack-integrity',
    o.ne(frame.kind, KIND_CODE[kind]),
    () => `${how} resumes ${x.name(t)} through ${frameNoun(FRAME_KINDS[num(frame.kind)] ?? 'none')}, not ${frameNoun(kind)}`,
  );
  s.fault('stack-integrity', o.ne(frame.owner, t), () => `${how} resumes ${x.name(t)} through ${x.name(frame.owner)}'s frame`);
  return frame;
}

/**
 * Linux style: save this thread's continuation as a switch frame on its own stack and resume `t` from the
 * switch frame on top of its stack. The interrupt flag carries over (a switch frame does not restore it, as
 * on real hardware); the interrupt-context depth is part of the continuation, as preempt_count is in Linux. The
 * CPU stays on the stack it runs on when that is a handler stack: the interrupted thread's frame stays there.
 */
export function switchTo(x: Step, e: Expr): void {
  const { a, s, cpu } = x;
  const t = threadArg(x, e, 'switch_to');
  const old = x.current;
  s.when(a.ops.ne(t, old), () => {
    checkResumable(x, t, 'switch_to');
    checkMaySchedule(x, () => `switch_to ${x.name(t)}`, a.m.program.preemptOffset);
    const continuation = a.m.resolve(x.pc + 1);
    a.push(s, a.threadStack(old), a.frame('switch', { pc: continuation, ie: 0, owner: old, hardirq: a.hardirq(s, cpu), line: 0, stack: 0 }));
    leave(x, old);
    a.setCurrent(s, cpu, t);
    a.setThreadState(s, t, 'running');
    const frame = popResumeFrame(x, t, 'switch', 'switch_to');
    a.setHardirq(s, cpu, frame.hardirq);
    x.goto(frame.pc);
  });
}

/**
 * The frame-restoring style: make `t` current and return through the interrupt (x86_64) or exception (aarch64)
 * frame on top of its stack. Nothing is saved for the thread switched away from.
 */
export function restoreContext(x: Step, e: Expr, resumeKind: 'irq' | 'exc'): FrameVal {
  const { a, s, cpu } = x;
  const t = threadArg(x, e, 'restore_context');
  const old = x.current;
  // The activation that switches ends here: nothing returns to it (its thread resumes, if ever, through the
  // frame below it).
  a.leaveActivation(s, a.currentStack(s, cpu), a.m.unitOf[x.pc]!);
  s.when(a.ops.ne(t, old), () => {
    checkResumable(x, t, 'restore_context');
    checkMaySchedule(x, () => `restore_context ${x.name(t)}`, a.m.program.preemptOffset);
    leave(x, old);
    a.setCurrent(s, cpu, t);
    a.setThreadState(s, t, 'running');
  });
  const frame = popResumeFrame(x, t, resumeKind, 'restore_context');
  a.setIe(s, cpu, frame.ie);
  a.setHardirq(s, cpu, frame.hardirq);
  a.setStackSel(s, cpu, frame.stack);
  x.goto(frame.pc);
  checkReturnToUser(x, frame.pc, 'restore_context');
  return frame;
}

export function freeStack(x: Step, e: Expr): void {
  const { a, s } = x;
  const o = a.ops;
  const t = threadArg(x, e, 'free_stack');
  s.fault('stack-integrity', o.or(...a.firstCpuRunning(s, t)), ({ m, s: w }) => `stack of ${x.name(t)} freed while CPU ${m.cpuRunning(w, num(t))} runs on it`);
  s.fault(
    'stack-integrity',
    o.not(a.isState(s, t, 'exited')),
    () => `stack of ${x.name(t)} freed while it is ${THREAD_STATES[num(a.threadState(s, t))]}: it will still be resumed from it`,
  );
  s.fault('assertions', a.freed(s, t), () => `stack of ${x.name(t)} freed twice`);
  for (const { when, t: i } of a.threadCases(t)) {
    s.when(when, () => {
      s.write(a.layout.threads[i]!.freed, 1);
      a.clearStack(s, a.layout.threads[i]!.stack);
    });
  }
}
