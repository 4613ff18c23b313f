// Wait queues: Linux's wait_queue_head_t and xv6's sleep channels. A queue is the set of threads waiting on it.
// Waiting is two things done in one order (Linux prepare_to_wait, then schedule): the thread goes on the queue
// and marks itself blocked while it still runs, and only then calls the scheduler; a wake-up that comes in
// between finds it on the queue and makes it runnable again, so the wake-up is not lost. `sleep` does both in one
// step (xv6's sleep after it has taken the process-table lock). Waking follows try_to_wake_up: a sleeper that has
// not switched away yet (it is still current on a CPU) simply runs on; any other becomes ready and is enqueued.

import type { Access } from './access.js';
import type { Cond, Val } from './domain.js';
import { setBitAt } from './locks.js';
import type { State } from './state.js';
import type { Step } from './step.js';
import { checkMaySchedule, wakeBlocked } from './threads.js';

/** `mask & ~(1 << t)` for a thread id that may be unknown. */
function clearBitAt(a: Access, mask: Val, t: Val): Val {
  let out = mask;
  for (const { when, t: i } of a.threadCases(t)) out = a.ops.ite(when, a.ops.clearBit(mask, i), out);
  return out;
}

/** Appends `t` to the queue's order unless it is already waiting (Linux prepare_to_wait adds an entry only once). */
function append(a: Access, s: State, queue: number, t: Val): void {
  const o = a.ops;
  const q = a.layout.waitQueues[queue]!;
  s.when(o.not(bitAt(a, s.read(q.waiters), t)), () => {
    const len = s.read(q.len);
    q.entries.forEach((slot, i) => s.when(o.eq(len, i), () => s.write(slot, t)));
    s.write(q.len, o.add(len, 1));
  });
}

/** `(mask >> t) & 1` for a thread id that may be unknown. */
function bitAt(a: Access, mask: Val, t: Val): Cond {
  let out: Cond = false;
  for (const { when, t: i } of a.threadCases(t)) out = a.ops.or(out, a.ops.and(when, a.ops.bit(mask, i)));
  return out;
}

export function prepareToWait(x: Step, queue: number): void {
  const { a, s } = x;
  const slot = a.layout.waitQueues[queue]!.waiters;
  append(a, s, queue, x.current);
  s.write(slot, setBitAt(a, s.read(slot), x.current));
  a.setThreadState(s, x.current, 'blocked');
}

export function finishWait(x: Step, queue: number): void {
  const { a, s } = x;
  const slot = a.layout.waitQueues[queue]!.waiters;
  a.rqRemove(s, a.layout.waitQueues[queue]!, x.current); // out of the queue's order, the gap closed
  s.write(slot, clearBitAt(a, s.read(slot), x.current));
  a.setThreadState(s, x.current, 'running');
}

/**
 * prepare_to_wait and a call of the machine's scheduler procedure, in one step; the call returns to the next
 * instruction. Scheduling in interrupt context or with a spinning lock held (not handed off) is atomic-sleep.
 */
export function sleep(x: Step, queue: number): void {
  const { a, s, cpu } = x;
  const scheduler = a.m.program.scheduler;
  const name = a.m.program.waitQueues[queue]!.name;
  if (scheduler === null) {
    s.fault('assertions', true, () => `sleep on ${name} but the machine declares no scheduler`);
    return;
  }
  const atomic = checkMaySchedule(x, () => `sleep on ${name}`, 0);
  // wait_event() and wait_for_completion() begin with might_sleep(), which reports a sleep with interrupts disabled
  // ("sleeping function called from invalid context", __might_resched()), as mutex_lock() does.
  // xv6's sleep() holds ptable.lock, a lock the switch hands over, with interrupts off by design (sched() insists):
  // holding a handoff lock, the thread sleeps through the scheduler's own protocol.
  const o = a.ops;
  const handoff = a.locksHeldBy(s, x.current).filter((_, l) => a.m.program.locks[l]!.handoff);
  s.warn('atomic-sleep', o.and(o.not(atomic), o.not(o.or(...handoff)), o.eq(a.ie(s, cpu), 0)), (d) => `sleep on ${name} with interrupts masked (${x.context(d)} on CPU ${cpu})`);
  prepareToWait(x, queue);
  a.call(s, a.currentStack(s, cpu), a.frame('call', { pc: a.m.resolve(x.pc + 1), ie: 0, owner: x.stackOwner, hardirq: 0, line: 0, stack: 0 }));
  x.goto(a.m.unitStart(scheduler));
}

/** Wakes waiting thread `t` (known): off the queue, then woken as `wake` wakes (wakeBlocked), onto the waker's queue. */
function wakeThread(a: Access, s: State, cpu: number, queue: number, t: number): void {
  const o = a.ops;
  const slot = a.layout.waitQueues[queue]!.waiters;
  a.rqRemove(s, a.layout.waitQueues[queue]!, t);
  s.write(slot, o.clearBit(s.read(slot), t));
  wakeBlocked(a, s, t, () => a.rqPush(s, t, a.defaultQueue(cpu)));
}

/** Wakes every waiting thread. */
export function wakeAll(x: Step, queue: number): void {
  const { a, s } = x;
  const waiters = s.read(a.layout.waitQueues[queue]!.waiters);
  for (let t = 0; t < a.threads; t++) s.when(a.ops.bit(waiters, t), () => wakeThread(a, s, x.cpu, queue, t));
}

/**
 * Wakes one waiting thread: the first to have begun waiting, as Linux's __wake_up_common walks the wait-queue
 * list from its head and prepare_to_wait_exclusive adds at its tail (first come, first woken).
 */
export function wakeOne(x: Step, queue: number): void {
  const { a, s } = x;
  const o = a.ops;
  const q = a.layout.waitQueues[queue]!;
  const some = o.ult(0, s.read(q.len));
  const head = s.read(q.entries[0]!);
  for (let t = 0; t < a.threads; t++) s.when(o.and(some, o.eq(head, t)), () => wakeThread(a, s, x.cpu, queue, t));
}
