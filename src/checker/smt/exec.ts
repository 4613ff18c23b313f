// One instruction of one CPU, symbolically: src/hw/exec.ts rule for rule. The instruction is known (a step
// action names its pc); only the machine state is symbolic.

import type { Instr } from '../../ir/ir.js';
import { unreachable } from '../../lang/unreachable.js';
import { assign, evaluate, truth } from './expr.js';
import { acquire, release, tryAcquire } from './locks.js';
import { KIND_CODE } from './machine.js';
import type { SymProfile } from './profile.js';
import type { SymStep } from './step.js';
import { enqueue, freeStack, pickNext, restoreContext, spawn, switchTo, wake } from './threads.js';

function popKind(x: SymStep, kind: 'call' | 'flags') {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const { empty, frame } = m.pop(s, m.currentStack(s, cpu));
  s.fault('stack-integrity', empty);
  s.fault('stack-integrity', sym.ne(frame.kind, KIND_CODE[kind]));
  s.fault('stack-integrity', sym.ne(frame.owner, x.current));
  return frame;
}

export function execute(x: SymStep, profile: SymProfile, instr: Instr): void {
  if (profile.execute(x, instr)) return;
  const { m, s, cpu } = x;
  const sym = m.sym;
  switch (instr.op) {
    case 'work':
    case 'wfi':
    case 'jump':
      if (instr.op === 'jump') x.nextPc = x.pc;
      return;
    case 'assign':
      assign(m, s, cpu, instr.target, evaluate(m, s, cpu, instr.value));
      return;
    case 'branch': {
      const holds = truth(m, evaluate(m, s, cpu, instr.cond));
      x.nextPc = sym.ite(holds, x.nextPc, m.layout.pcBase[m.m.unitOf[x.pc]!]! + instr.ifFalse);
      return;
    }
    case 'call':
      m.push(s, m.currentStack(s, cpu), m.frame('call', { pc: m.m.resolve(x.pc + 1), ie: 0, owner: x.current, hardirq: 0, line: 0, stack: 0 }));
      x.nextPc = m.m.unitStart(instr.unit);
      return;
    case 'ret':
      x.nextPc = popKind(x, 'call').pc;
      return;
    case 'assert':
      s.fault('assertions', sym.not(truth(m, evaluate(m, s, cpu, instr.cond))));
      return;
    case 'cli':
      m.setIe(s, cpu, 0);
      return;
    case 'sti':
      s.when(sym.eq(m.ie(s, cpu), 0), () => m.setShadow(s, cpu, 1));
      m.setIe(s, cpu, 1);
      return;
    case 'irqsave':
      m.push(s, m.currentStack(s, cpu), m.frame('flags', { pc: 0, ie: m.ie(s, cpu), owner: x.current, hardirq: 0, line: 0, stack: 0 }));
      m.setIe(s, cpu, 0);
      return;
    case 'irqrestore':
      m.setIe(s, cpu, popKind(x, 'flags').ie);
      return;
    case 'hlt':
      throw new Error('internal: hlt never executes as a step');
    case 'raise': {
      const bit = 2 ** instr.line;
      if (instr.cpu === null) {
        for (let c = 0; c < m.cpus; c++) if (c !== cpu) m.setPending(s, c, sym.or32(m.pending(s, c), bit));
        return;
      }
      const target = evaluate(m, s, cpu, instr.cpu);
      s.fault('assertions', sym.not(sym.and(sym.sle(0, target), sym.slt(target, m.cpus))));
      for (let c = 0; c < m.cpus; c++) s.when(sym.eq(target, c), () => m.setPending(s, c, sym.or32(m.pending(s, c), bit)));
      return;
    }
    case 'irq_exit': {
      const depth = m.hardirq(s, cpu);
      s.fault('assertions', sym.eq(depth, 0));
      m.setHardirq(s, cpu, sym.sub(depth, 1));
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
      s.fault('assertions');
      return;
    default:
      unreachable(instr);
  }
}
