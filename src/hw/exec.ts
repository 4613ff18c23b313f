// One instruction of one CPU, shared by both profiles. Architecture-specific instructions (returns, EOI,
// acknowledge, ELR handling) go to the profile first.

import { PREEMPT_MAX, type Instr } from '../ir/ir.js';
import { FRAME_KINDS } from '../ir/layout.js';
import { unreachable } from '../ir/unreachable.js';
import { KIND_CODE, type FrameVal } from './access.js';
import { num, type Val } from './domain.js';
import { assign, evaluate, locate, storeAt, truth } from './expr.js';
import { frameNoun } from './frames.js';
import { acquireAt, releaseAt, tryAcquire } from './locks.js';
import { executePrivileged } from './privilege.js';
import type { ArchProfile } from './profile.js';
import type { Step } from './step.js';
import { dequeue, enqueue, freeStack, loadSp, pickNext, pickWhere, restoreContext, saveSp, setCurrent, setState, spawn, switchTo, wake } from './threads.js';
import { finishWait, prepareToWait, sleep, wakeAll, wakeOne } from './waitqueues.js';

/** Pops a frame of `kind` that belongs to the current thread (`what`: the instruction, for messages). */
function popKind(x: Step, what: string, kind: 'call' | 'flags'): FrameVal {
  const { a, s, cpu } = x;
  const o = a.ops;
  const { empty, frame } = a.pop(s, a.currentStack(s, cpu));
  s.fault('stack-integrity', empty, () => `${what} with an empty stack`);
  s.fault('stack-integrity', o.ne(frame.kind, KIND_CODE[kind]), () => `${what} pops ${frameNoun(FRAME_KINDS[num(frame.kind)] ?? 'none')}, not ${frameNoun(kind)}`);
  s.fault('stack-integrity', o.ne(frame.owner, x.stackOwner), () => `${what} returns into ${x.name(frame.owner)}'s frame while running ${x.name(x.stackOwner)}`);
  return frame;
}

/**
 * `tpr := v`: the local APIC's task-priority register (Intel SDM vol. 3A 11.8.3.1). Only its class, bits 7:4, takes
 * part in interrupt acceptance, so only the class is kept: a line is held off while its class is not above it.
 */
function taskPriority(x: Step, value: Val): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  s.fault('assertions', o.or(o.slt(value, 0), o.slt(255, value)), () => `value out of range: tpr := ${num(value)} (0..255)`);
  a.setTpr(s, cpu, o.sdiv(value, 16));
}

export function execute(x: Step, profile: ArchProfile, instr: Instr): void {
  if (profile.execute(x, instr)) return;
  if (executePrivileged(x, instr)) return;
  const { a, s, cpu } = x;
  const o = a.ops;
  switch (instr.op) {
    case 'work':
    case 'hlt': // the CPU halts: its pc moves to the halted point after the instruction
    case 'wfi':
    case 'halted': // a wfi wait completes (nothing is taken: a pending line stays pending)
      return;
    case 'jump': // only a jump cycle (an empty loop) is ever executed: it stays where it is
      x.goto(x.pc);
      return;
    case 'assign':
      assign(a, s, cpu, instr.target, evaluate(a, s, cpu, instr.value));
      return;
    case 'branch': {
      const holds = truth(a, evaluate(a, s, cpu, instr.cond));
      x.goto(o.ite(holds, x.pc + 1, a.layout.pcBase[a.m.unitOf[x.pc]!]! + instr.ifFalse));
      return;
    }
    case 'call':
      a.call(s, a.currentStack(s, cpu), a.frame('call', { pc: a.m.resolve(x.pc + 1), ie: 0, owner: x.stackOwner, hardirq: 0, line: 0, stack: 0 }));
      x.goto(a.m.unitStart(instr.unit));
      return;
    case 'ret': {
      const ref = a.currentStack(s, cpu);
      x.goto(popKind(x, 'ret', 'call').pc);
      a.leaveActivation(s, ref, a.m.unitOf[x.pc]!);
      return;
    }
    case 'rmw': {
      // Every operand, and where the target is, is read before either write, as the one instruction does.
      const old = evaluate(a, s, cpu, instr.read);
      const [first, second] = instr.operands.map((e) => evaluate(a, s, cpu, e));
      const next = instr.kind === 'xchg' ? first! : instr.kind === 'cmpxchg' ? o.ite(o.eq(old, first!), second!, old) : o.add(old, first!);
      const target = locate(a, s, cpu, instr.target);
      assign(a, s, cpu, instr.cell, next);
      storeAt(a, s, cpu, instr.target, old, () => target);
      return;
    }
    case 'assert':
      if (instr.warnOn === true) s.warn('assertions', truth(a, evaluate(a, s, cpu, instr.cond)), () => `WARN_ON: ${instr.message}`);
      else s.fault('assertions', o.not(truth(a, evaluate(a, s, cpu, instr.cond))), () => `assertion failed: ${instr.message}`);
      return;
    case 'cli':
      a.setIe(s, cpu, 0);
      return;
    case 'sti':
      // STI with IF = 0 holds interrupts off until after the next instruction (the shadow); with IF = 1 it does nothing.
      s.when(o.eq(a.ie(s, cpu), 0), () => a.setShadow(s, cpu, 1));
      a.setIe(s, cpu, 1);
      return;
    case 'irqsave':
      a.push(s, a.currentStack(s, cpu), a.frame('flags', { pc: 0, ie: a.ie(s, cpu), owner: x.stackOwner, hardirq: 0, line: 0, stack: 0 }));
      a.setIe(s, cpu, 0);
      return;
    case 'irqrestore':
      a.setIe(s, cpu, popKind(x, 'irqrestore', 'flags').ie);
      return;
    case 'raise': {
      const bit = 2 ** instr.line;
      if (instr.cpu === null) {
        for (let c = 0; c < a.cpus; c++) if (c !== cpu) a.setPending(s, c, o.or32(a.pending(s, c), bit));
        return;
      }
      const target = evaluate(a, s, cpu, instr.cpu);
      s.fault('assertions', o.not(o.and(o.sle(0, target), o.slt(target, a.cpus))), () => `raise to CPU ${num(target)}: no such CPU`);
      for (let c = 0; c < a.cpus; c++) s.when(o.eq(target, c), () => a.setPending(s, c, o.or32(a.pending(s, c), bit)));
      return;
    }
    case 'irq_exit': {
      const depth = a.hardirq(s, cpu);
      s.fault('assertions', o.eq(depth, 0), () => 'irq_exit outside interrupt context');
      a.setHardirq(s, cpu, o.sub(depth, 1));
      return;
    }
    case 'acquire':
      acquireAt(x, instr.lock, instr.index);
      return;
    case 'release':
      releaseAt(x, instr.lock, instr.index);
      return;
    case 'try_acquire':
      tryAcquire(x, instr.lock, instr.target, instr.index);
      return;
    case 'enqueue':
      enqueue(x, instr.thread, instr.on);
      return;
    case 'pick':
      assign(a, s, cpu, instr.target, pickNext(x, instr.from));
      return;
    case 'wake':
      wake(x, instr.thread, instr.on);
      return;
    case 'spawn':
      spawn(x, instr.thread, instr.on);
      return;
    case 'dequeue':
      dequeue(x, instr.thread, instr.from);
      return;
    case 'switch_to':
      switchTo(x, instr.thread);
      return;
    case 'restore_context': {
      const frame = restoreContext(x, instr.thread, profile.resumeKind);
      profile.afterRestore(a, s, cpu, frame);
      return;
    }
    case 'exit':
      a.setThreadState(s, x.current, 'exited');
      return;
    case 'end':
      a.setThreadState(s, x.current, 'exited');
      x.goto(a.layout.stoppedPc);
      return;
    case 'free_stack':
      freeStack(x, instr.thread);
      return;
    case 'pick_where':
      pickWhere(x, instr.target, instr.cond);
      return;
    case 'set_state':
      setState(x, instr.thread, instr.value);
      return;
    case 'save_sp':
      saveSp(x, instr.thread);
      return;
    case 'load_sp':
      loadSp(x, instr.thread);
      return;
    case 'set_current':
      setCurrent(x, instr.thread);
      return;
    case 'tpr':
      taskPriority(x, evaluate(a, s, cpu, instr.value));
      return;
    case 'local_bh_disable': {
      const count = a.softirqCount(s, x.current);
      s.fault('assertions', o.eq(count, PREEMPT_MAX), (d) => `local_bh_disable beyond softirq count ${PREEMPT_MAX} in ${x.context(d)}`);
      a.setSoftirqCount(s, x.current, o.add(count, 1));
      return;
    }
    case 'local_bh_enable': {
      const count = a.softirqCount(s, x.current);
      s.fault('assertions', o.eq(count, 0), (d) => `local_bh_enable with bottom halves enabled (softirq count 0) in ${x.context(d)}`);
      a.setSoftirqCount(s, x.current, o.sub(count, 1));
      return;
    }
    case 'preempt_disable': {
      const count = a.preemptCount(s, x.current);
      s.fault('assertions', o.eq(count, PREEMPT_MAX), (d) => `preempt_disable beyond preempt_count ${PREEMPT_MAX} in ${x.context(d)}`);
      a.setPreemptCount(s, x.current, o.add(count, 1));
      return;
    }
    case 'preempt_enable': {
      const count = a.preemptCount(s, x.current);
      s.fault('assertions', o.eq(count, 0), (d) => `preempt_enable with preemption enabled (preempt_count 0) in ${x.context(d)}`);
      a.setPreemptCount(s, x.current, o.sub(count, 1));
      return;
    }
    case 'sleep':
      sleep(x, instr.queue);
      return;
    case 'prepare_to_wait':
      prepareToWait(x, instr.queue);
      return;
    case 'finish_wait':
      finishWait(x, instr.queue);
      return;
    case 'wake_one':
      wakeOne(x, instr.queue);
      return;
    case 'wake_all':
      wakeAll(x, instr.queue);
      return;
    case 'choose':
      throw new Error('internal: a choice executes as one of its alternatives');
    case 'alternative':
      if (instr.assign !== null) assign(a, s, cpu, instr.assign.target, evaluate(a, s, cpu, instr.assign.value));
      x.goto(a.layout.pcBase[a.m.unitOf[x.pc]!]! + instr.target);
      return;
    case 'eoi':
    case 'eoi_highest':
    case 'ack':
    case 'unpend':
    case 'ack_read':
    case 'eoi_id':
    case 'pmr':
    case 'deactivate':
    case 'iret':
    case 'eret':
    case 'save_elr':
    case 'restore_elr':
      s.fault('assertions', true, () => `${instr.op} is not an instruction of ${profile.arch}`);
      return;
    case 'to_user':
    case 'syscall':
    case 'svc':
    case 'sysret':
    case 'int':
      throw new Error('internal: a privilege instruction executes in privilege.ts');
    default:
      unreachable(instr);
  }
}
