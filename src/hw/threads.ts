// Threads and the run queue, and the two styles of context switch. A suspended thread's continuation is the
// frame on top of its stack; resuming it pops that frame, and a frame of the wrong kind or of another thread
// is stack corruption: the thread is being resumed by a path that does not match how it was suspended.

import type { Expr, LValue, QueueRef } from '../ir/ir.js';
import { THREAD_STATES } from '../ir/ir.js';
import { KIND_CODE, STATE_CODE, type Access, type FrameVal } from './access.js';
import { contextOf, lockName, threadName } from './describe.js';
import { num, type Cond, type Val } from './domain.js';
import { assign, evaluate, queueOf, truth } from './expr.js';
import { frameNoun } from './frames.js';
import type { Machine } from './machine.js';
import type { Report, State } from './state.js';
import type { Step } from './step.js';
import { FRAME_KINDS, type RunQueueSlots } from '../ir/layout.js';
import { checkReturnToUser } from './privilege.js';

function threadArg(x: Step, e: Expr, what: string, none = `${what} none: no thread to ${what}`): Val {
  const t = evaluate(x.a, x.s, x.cpu, e);
  x.s.fault('assertions', x.a.ops.eq(t, x.a.none), () => none);
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
  wakeBlocked(a, s, t, () => push(x, t, on));
}

/**
 * try_to_wake_up() of thread `t`, if blocked: a thread still current on a CPU (not yet switched away) runs on, as
 * Linux's ttwu_runnable() only sets it running; any other becomes ready and `enqueue` queues it, unless queued.
 * `wake` and the wait-queue wake-ups (waitqueues.ts) both.
 */
export function wakeBlocked(a: Access, s: State, t: Val, enqueue: () => void): void {
  s.when(a.isState(s, t, 'blocked'), () => {
    s.when(
      a.ops.or(...a.firstCpuRunning(s, t)),
      () => a.setThreadState(s, t, 'running'),
      () => {
        a.setThreadState(s, t, 'ready');
        s.when(a.ops.not(a.queued(s, t)), enqueue);
      },
    );
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
  checkStackFree(x, t, how);
}

/** Where the switch is split, `t`'s stack must not be the one another CPU's stack pointer is in. */
function checkStackFree(x: Step, t: Val, how: string): void {
  const { a, s } = x;
  const on = a.firstCpuOnStack(s, t);
  s.fault(
    'stack-integrity',
    a.ops.or(...on.filter((_, c) => c !== x.cpu)),
    ({ m, s: w }) => `${how} ${x.name(t)}, whose stack CPU ${cpuOnStack(m, w, num(t))} runs on: one stack, two CPUs`,
  );
}

function cpuOnStack(m: Machine, s: Uint32Array, t: number): number {
  for (let c = 0; c < m.cpus; c++) if (m.stackOwner(s, c) === t && !m.stopped(s, c)) return c;
  return -1;
}

/**
 * Where the switch is split, saving the current thread's context (a switch frame, its stack pointer) needs the CPU
 * to be on that thread's own stack: on another thread's stack (a tick between `load_sp next` and `current := next`
 * that schedules) the context saved is the other thread's, and the current thread would resume on a stack that is
 * not its own. On a handler stack nothing of the thread's can be saved.
 */
function checkOnOwnStack(x: Step, t: Val, how: () => string): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  if (a.layout.cpus[cpu]!.sp === null) return;
  s.fault('stack-integrity', o.ne(a.stackSel(s, cpu), 0), () => `${how()} on CPU ${cpu}, which runs on a handler stack: no thread's stack pointer to save`);
  s.fault(
    'stack-integrity',
    o.ne(a.stackOwner(s, cpu), t),
    ({ m, s: w }) =>
      `${how()} on CPU ${cpu}, which runs on ${threadName(m, m.stackOwner(w, cpu))}'s stack: ${x.name(t)}'s context would be saved from a stack that is not its own`,
  );
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
export function checkMaySchedule(x: Step, how: () => string, offset: number): Cond {
  const { a, s, cpu } = x;
  const o = a.ops;
  const program = a.m.program;
  const inIrq = o.ult(0, a.hardirq(s, cpu));
  const atomic = a.locksHeldBy(s, x.current).filter((_, l) => program.locks[l]!.kind !== 'mutex' && !program.locks[l]!.handoff);
  const preempted = o.ult(offset, a.preemptCount(s, x.current));
  const bh = o.ult(0, a.softirqCount(s, x.current));
  const atomicNow = o.or(inIrq, preempted, bh, ...atomic);
  s.warn('atomic-sleep', atomicNow, ({ m, s: w }) => scheduleReport(m, w, cpu, how(), offset)!);
  return atomicNow;
}

/** The thread being switched away from stops running: ready if it is queued, blocked otherwise. */
function leave(x: Step, old: Val): void {
  const { a, s } = x;
  s.when(a.isState(s, old, 'running'), () => a.setThreadState(s, old, a.ops.ite(a.queued(s, old), STATE_CODE.ready, STATE_CODE.blocked)));
}

/**
 * The `handoff` locks the thread switched away from holds pass to the thread switched to, which releases them
 * (Linux's prepare_lock_switch() releases rq->lock's lockdep map in prev's context and finish_lock_switch()
 * acquires it in next's; xv6's holding() asks whether this CPU holds ptable.lock): what the new thread does
 * before it releases one, with interrupts enabled or taking another lock, it does holding it.
 */
function handOver(x: Step, old: Val, t: Val): void {
  const { a, s } = x;
  const o = a.ops;
  a.m.program.locks.forEach((decl, l) => {
    if (!decl.handoff) return;
    s.when(o.eq(a.lockOwner(s, l), o.add(old, 1)), () => s.write(a.layout.locks[l]!.owner, o.add(t, 1)));
  });
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
    checkOnOwnStack(x, old, () => `switch_to ${x.name(t)} from ${x.name(old)}`);
    const continuation = a.m.resolve(x.pc + 1);
    a.push(s, a.threadStack(old), a.frame('switch', { pc: continuation, ie: 0, owner: old, hardirq: a.hardirq(s, cpu), line: 0, stack: 0 }));
    leave(x, old);
    handOver(x, old, t);
    a.setCurrent(s, cpu, t);
    a.setStackOwner(s, cpu, t);
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
    handOver(x, old, t);
    a.setCurrent(s, cpu, t);
    a.setThreadState(s, t, 'running');
  });
  a.setStackOwner(s, cpu, t);
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
  s.fault('stack-integrity', o.or(...a.firstCpuOnStack(s, t)), ({ m, s: w }) => `stack of ${x.name(t)} freed while CPU ${cpuOnStack(m, w, num(t))} runs on it`);
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

/**
 * `save_sp t` (Linux `movq %rsp, TASK_threadsp(%rdi)`, xv6 swtch's store of sp into `old`): the stack pointer of
 * the stack the CPU is on is saved into `t`. Stacks are per thread here, so the value saved is implicit; what can go
 * wrong is saving it into the wrong thread, or from a handler stack.
 */
export function saveSp(x: Step, e: Expr): void {
  const t = threadArg(x, e, 'save_sp');
  checkOnOwnStack(x, t, () => `save_sp ${x.name(t)}`);
}

/**
 * `load_sp t` (`movq TASK_threadsp(%rsi), %rsp`): the CPU's stack pointer moves into `t`'s stack; `current` is not
 * changed (Linux writes current_task later, in __switch_to). A stack another CPU runs on, freed, or of an exited
 * thread is stack corruption; so is loading from a handler stack, which would be abandoned with frames on it.
 */
export function loadSp(x: Step, e: Expr): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const t = threadArg(x, e, 'load_sp');
  s.fault('stack-integrity', o.ne(a.stackSel(s, cpu), 0), () => `load_sp ${x.name(t)} on CPU ${cpu}, which runs on a handler stack`);
  s.when(o.ne(t, a.stackOwner(s, cpu)), () => {
    s.fault('stack-integrity', a.freed(s, t), () => `load_sp ${x.name(t)}, whose stack has been freed`);
    s.fault('stack-integrity', a.isState(s, t, 'exited'), () => `load_sp ${x.name(t)}, which has exited`);
    checkStackFree(x, t, 'load_sp');
    a.setStackOwner(s, cpu, t);
  });
}

/**
 * `current := t` (Linux `this_cpu_write(current_task, next)` in __switch_to, xv6 `c->proc = p`): the software
 * `current` changes on its own, whatever stack the CPU is on. It is the switch as the scheduler's bookkeeping sees
 * it: the thread left stops running (ready if queued, else blocked), `t` runs; scheduling from interrupt context or
 * while atomic is atomic-sleep, and a thread current on another CPU or gone is stack corruption.
 */
export function setCurrent(x: Step, e: Expr): void {
  const { a, s, cpu } = x;
  const t = threadArg(x, e, 'current :=', 'current := none: no thread to make current');
  const old = x.current;
  s.when(a.ops.ne(t, old), () => {
    s.fault(
      'stack-integrity',
      a.ops.or(...a.firstCpuRunning(s, t).filter((_, c) => c !== cpu)),
      ({ m, s: w }) => `current := ${x.name(t)}, which is current on CPU ${m.cpuRunning(w, num(t))}: one thread, two CPUs`,
    );
    s.fault('stack-integrity', a.freed(s, t), () => `current := ${x.name(t)}, whose stack has been freed`);
    s.fault('stack-integrity', a.isState(s, t, 'exited'), () => `current := ${x.name(t)}, which has exited`);
    checkMaySchedule(x, () => `current := ${x.name(t)}`, a.m.program.preemptOffset);
    leave(x, old);
    handOver(x, old, t);
    a.setCurrent(s, cpu, t);
    a.setThreadState(s, t, 'running');
  });
}

/**
 * `pick x where c`: a scan of the process table (xv6 scheduler(): `for(p = proc; p < &proc[NPROC]; p++) if(p->state
 * == RUNNABLE)`), in one step: `x` names each thread in declaration order while `c` is evaluated, and ends naming the
 * first for which it holds, or `none`. The run queue is untouched.
 */
export function pickWhere(x: Step, target: LValue, cond: Expr): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  let found: Cond = false;
  let first: Val = a.none;
  for (let t = 0; t < a.threads; t++) {
    assign(a, s, cpu, target, t);
    const holds = truth(a, evaluate(a, s, cpu, cond));
    first = o.ite(o.and(o.not(found), holds), t, first);
    found = o.or(found, holds);
  }
  assign(a, s, cpu, target, first);
}

/**
 * `state(t) := v`: the design keeps a thread's state itself (xv6's `p->state = RUNNABLE`), where no-deadlock and
 * no-starvation read it: a thread the design marks `ready` waits for a CPU whether or not it is in the run queue.
 */
export function setState(x: Step, thread: Expr, value: Expr): void {
  const { a, s, cpu } = x;
  const t = threadArg(x, thread, 'state', 'state(none) := ...: no thread to set the state of');
  a.setThreadState(s, t, evaluate(a, s, cpu, value));
}
