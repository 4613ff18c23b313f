// One instruction of one CPU, shared by both profiles. Architecture-specific instructions (returns, EOI,
// acknowledge, ELR handling) go to the profile first.

import type { Instr } from '../ir/ir.js';
import { unreachable } from '../lang/unreachable.js';
import { assign, evaluate } from './expr.js';
import { Fault } from './fault.js';
import { frameNoun } from './frames.js';
import { acquire, release, tryAcquire } from './locks.js';
import type { ArchProfile } from './profile.js';
import type { Step } from './step.js';
import { enqueue, freeStack, pickNext, restoreContext, spawn, switchTo, wake } from './threads.js';

function popKind(x: Step, what: string, kind: 'call' | 'flags') {
  const { m, s, cpu } = x;
  const frame = m.pop(s, m.currentStack(s, cpu));
  if (frame === null) throw new Fault('stack-integrity', `${what} with an empty stack`);
  if (frame.kind !== kind) throw new Fault('stack-integrity', `${what} pops ${frameNoun(frame.kind)}, not ${frameNoun(kind)}`);
  if (frame.owner !== x.current) {
    throw new Fault('stack-integrity', `${what} returns into ${x.name(frame.owner)}'s frame while running ${x.name(x.current)}`);
  }
  return frame;
}

export function execute(x: Step, profile: ArchProfile, instr: Instr): void {
  if (profile.execute(x, instr)) return;
  const { m, s, cpu } = x;
  switch (instr.op) {
    case 'work':
    case 'wfi':
    case 'jump': // only a jump cycle (an empty loop) is ever executed: it stays where it is
      if (instr.op === 'jump') x.nextPc = x.pc;
      return;
    case 'assign':
      assign(m, s, cpu, instr.target, evaluate(m, s, cpu, instr.value));
      return;
    case 'branch':
      if (evaluate(m, s, cpu, instr.cond) === 0) x.nextPc = m.layout.pcBase[m.unitOf[x.pc]!]! + instr.ifFalse;
      return;
    case 'call':
      m.push(s, m.currentStack(s, cpu), { kind: 'call', pc: m.resolve(x.pc + 1), ie: 0, owner: x.current, hardirq: 0, line: 0, stack: 0 });
      x.nextPc = m.unitStart(instr.unit);
      return;
    case 'ret':
      x.nextPc = popKind(x, 'ret', 'call').pc;
      return;
    case 'assert':
      if (evaluate(m, s, cpu, instr.cond) === 0) throw new Fault('assertions', `assertion failed: ${instr.message}`);
      return;
    case 'cli':
      m.setIe(s, cpu, 0);
      return;
    case 'sti':
      // STI with IF = 0 holds interrupts off until after the next instruction (the shadow); with IF = 1 it does nothing.
      if (m.ie(s, cpu) === 0) m.setShadow(s, cpu, 1);
      m.setIe(s, cpu, 1);
      return;
    case 'irqsave':
      m.push(s, m.currentStack(s, cpu), { kind: 'flags', pc: 0, ie: m.ie(s, cpu), owner: x.current, hardirq: 0, line: 0, stack: 0 });
      m.setIe(s, cpu, 0);
      return;
    case 'irqrestore':
      m.setIe(s, cpu, popKind(x, 'irqrestore', 'flags').ie);
      return;
    case 'hlt':
      throw new Error('internal: hlt never executes as a step');
    case 'raise': {
      const bit = 1 << instr.line;
      if (instr.cpu === null) {
        for (let c = 0; c < m.cpus; c++) if (c !== cpu) m.setPending(s, c, m.pending(s, c) | bit);
        return;
      }
      const target = evaluate(m, s, cpu, instr.cpu);
      if (target < 0 || target >= m.cpus) throw new Fault('assertions', `raise to CPU ${target}: no such CPU`);
      m.setPending(s, target, m.pending(s, target) | bit);
      return;
    }
    case 'irq_exit': {
      const depth = m.hardirq(s, cpu);
      if (depth === 0) throw new Fault('assertions', 'irq_exit outside interrupt context');
      m.setHardirq(s, cpu, depth - 1);
      return;
    }
    case 'acquire':
      acquire(x, instr.lock);
      return;
    case 'release':
      release(x, instr.lock);
      return;
    case 'try_acquire':
      tryAcquire(x, instr.lock, instr.target);
      return;
    case 'enqueue':
      enqueue(x, instr.thread);
      return;
    case 'pick':
      assign(m, s, cpu, instr.target, pickNext(x));
      return;
    case 'wake':
      wake(x, instr.thread);
      return;
    case 'spawn':
      spawn(x, instr.thread);
      return;
    case 'switch_to':
      switchTo(x, instr.thread);
      return;
    case 'restore_context': {
      const frame = restoreContext(x, instr.thread, profile.resumeKind);
      profile.afterRestore(m, s, cpu, frame);
      return;
    }
    case 'exit':
      m.setThreadState(s, x.current, 'exited');
      return;
    case 'end':
      m.setThreadState(s, x.current, 'exited');
      x.nextPc = m.layout.stoppedPc;
      return;
    case 'free_stack':
      freeStack(x, instr.thread);
      return;
    case 'eoi':
    case 'ack':
    case 'iret':
    case 'eret':
    case 'save_elr':
    case 'restore_elr':
      throw new Fault('assertions', `${instr.op} is not an instruction of ${profile.arch}`);
    default:
      unreachable(instr);
  }
}
