// x86_64: interrupt gates push an interrupt frame (on the current stack or the handler's IST stack), clear IF
// (interrupt gates) and set the line's in-service bit; `iret` pops exactly an interrupt frame of the current
// thread; EOI clears the in-service bit.

import type { Instr } from '../ir/ir.js';
import { lineName } from './describe.js';
import { Fault } from './fault.js';
import { frameNoun } from './frames.js';
import { checkNesting, entryStack, returnPoint, type ArchProfile } from './profile.js';
import type { Step } from './step.js';

function iret(x: Step): void {
  const { m, s, cpu } = x;
  const frame = m.pop(s, m.currentStack(s, cpu));
  if (frame === null) throw new Fault('stack-integrity', 'iret with no interrupt frame: the stack is empty');
  if (frame.kind !== 'irq') throw new Fault('stack-integrity', `iret pops ${frameNoun(frame.kind)}, not an interrupt frame`);
  if (frame.owner !== x.current) {
    throw new Fault('stack-integrity', `iret returns into ${x.name(frame.owner)}'s frame while running ${x.name(x.current)}`);
  }
  if ((m.inService(s, cpu) & (1 << frame.line)) !== 0) {
    x.warn('eoi-discipline', `handler for ${lineName(m, frame.line)} returned without EOI: the line stays in service on CPU ${cpu}`);
  }
  m.setIe(s, cpu, frame.ie);
  m.setHardirq(s, cpu, frame.hardirq);
  m.setStackSel(s, cpu, frame.stack);
  x.nextPc = frame.pc;
}

function eoi(x: Step, line: number): void {
  const { m, s, cpu } = x;
  const bit = 1 << line;
  if ((m.inService(s, cpu) & bit) === 0) {
    x.warn('eoi-discipline', `EOI for ${lineName(m, line)} on CPU ${cpu}, which is not in service`);
    return;
  }
  m.setInService(s, cpu, m.inService(s, cpu) & ~bit);
  x.events.push({ kind: 'eoi', cpu, line });
}

export const x86_64: ArchProfile = {
  arch: 'x86_64',
  resumeKind: 'irq',

  enter(m, s, c, line) {
    checkNesting(m, s, c);
    const decl = m.program.lines[line]!;
    const current = m.current(s, c);
    const frame = {
      kind: 'irq' as const,
      pc: returnPoint(m, s, c),
      ie: m.ie(s, c),
      owner: current,
      hardirq: m.hardirq(s, c),
      line,
      stack: m.stackSel(s, c),
    };
    m.push(s, entryStack(m, s, c, line), frame);
    if (decl.gate === 'interrupt') m.setIe(s, c, 0);
    m.setShadow(s, c, 0);
    m.setPending(s, c, m.pending(s, c) & ~(1 << line));
    m.setInService(s, c, m.inService(s, c) | (1 << line));
    m.setHardirq(s, c, frame.hardirq + 1);
    m.setPc(s, c, m.unitStart(decl.handler));
  },

  execute(x: Step, instr: Instr): boolean {
    switch (instr.op) {
      case 'iret':
        iret(x);
        return true;
      case 'eoi':
        eoi(x, instr.line);
        return true;
      default:
        return false;
    }
  },

  afterRestore() {},
};
