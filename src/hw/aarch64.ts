// aarch64 with a GIC: exception entry writes ELR_EL1/SPSR_EL1 (one pair per CPU, nothing pushed) and masks
// interrupts; the line stays pending until `ack` makes it active, and an active line is not delivered again
// until `eoi`. `eret` returns through ELR/SPSR, which software must save before anything can overwrite them.

import type { Instr } from '../ir/ir.js';
import { lineName } from './describe.js';
import { Fault } from './fault.js';
import { frameNoun } from './frames.js';
import { checkNesting, entryStack, returnPoint, type ArchProfile } from './profile.js';
import type { Step } from './step.js';

function eret(x: Step): void {
  const { m, s, cpu } = x;
  if (m.elrState(s, cpu) === 'empty') throw new Fault('stack-integrity', 'eret with no exception context in ELR/SPSR');
  const frame = m.elr(s, cpu);
  if (frame.owner !== x.current) {
    throw new Fault('stack-integrity', `eret returns into ${x.name(frame.owner)}'s context while running ${x.name(x.current)}`);
  }
  if ((m.inService(s, cpu) & (1 << frame.line)) !== 0) {
    x.warn('eoi-discipline', `handler for ${lineName(m, frame.line)} returned without EOI: the line stays active on CPU ${cpu}`);
  }
  m.setIe(s, cpu, frame.ie);
  m.setHardirq(s, cpu, frame.hardirq);
  m.setStackSel(s, cpu, frame.stack);
  m.setElr(s, cpu, 'empty', null);
  x.nextPc = frame.pc;
}

function saveElr(x: Step): void {
  const { m, s, cpu } = x;
  if (m.elrState(s, cpu) === 'empty') throw new Fault('stack-integrity', 'save_elr with no exception context in ELR/SPSR');
  const frame = m.elr(s, cpu);
  m.push(s, m.currentStack(s, cpu), frame);
  m.setElr(s, cpu, 'saved', frame);
}

function restoreElr(x: Step): void {
  const { m, s, cpu } = x;
  const frame = m.pop(s, m.currentStack(s, cpu));
  if (frame === null) throw new Fault('stack-integrity', 'restore_elr with an empty stack');
  if (frame.kind !== 'exc') throw new Fault('stack-integrity', `restore_elr pops ${frameNoun(frame.kind)}, not an exception frame`);
  // Loaded back into ELR/SPSR and no longer on the stack: until `eret` consumes it, an exception entry would
  // overwrite it, exactly as after the hardware wrote it.
  m.setElr(s, cpu, 'live', frame);
}

function ack(x: Step, line: number): void {
  const { m, s, cpu } = x;
  const bit = 1 << line;
  if ((m.pending(s, cpu) & bit) === 0) {
    x.warn('eoi-discipline', `ack of ${lineName(m, line)} on CPU ${cpu}, which is not pending`);
    return;
  }
  m.setPending(s, cpu, m.pending(s, cpu) & ~bit);
  m.setInService(s, cpu, m.inService(s, cpu) | bit);
}

function eoi(x: Step, line: number): void {
  const { m, s, cpu } = x;
  const bit = 1 << line;
  if ((m.inService(s, cpu) & bit) === 0) {
    x.warn('eoi-discipline', `EOI for ${lineName(m, line)} on CPU ${cpu}, which is not active`);
    return;
  }
  m.setInService(s, cpu, m.inService(s, cpu) & ~bit);
  x.events.push({ kind: 'eoi', cpu, line });
}

export const aarch64: ArchProfile = {
  arch: 'aarch64',
  resumeKind: 'exc',

  enter(m, s, c, line) {
    if (m.elrState(s, c) === 'live') {
      throw new Fault(
        'stack-integrity',
        `ELR/SPSR overwritten before they were saved: ${lineName(m, line)} taken on CPU ${c} while ELR/SPSR hold an unsaved context`,
      );
    }
    checkNesting(m, s, c);
    const decl = m.program.lines[line]!;
    const frame = {
      kind: 'exc' as const,
      pc: returnPoint(m, s, c),
      ie: m.ie(s, c),
      owner: m.current(s, c),
      hardirq: m.hardirq(s, c),
      line,
      stack: m.stackSel(s, c),
    };
    entryStack(m, s, c, line);
    m.setElr(s, c, 'live', frame);
    m.setIe(s, c, 0);
    m.setHardirq(s, c, frame.hardirq + 1);
    m.setPc(s, c, m.unitStart(decl.handler));
  },

  execute(x: Step, instr: Instr): boolean {
    switch (instr.op) {
      case 'eret':
        eret(x);
        return true;
      case 'save_elr':
        saveElr(x);
        return true;
      case 'restore_elr':
        restoreElr(x);
        return true;
      case 'ack':
        ack(x, instr.line);
        return true;
      case 'eoi':
        eoi(x, instr.line);
        return true;
      default:
        return false;
    }
  },

  afterRestore(m, s, c) {
    m.setElr(s, c, 'empty', null);
  },
};
