// aarch64 with a GIC: exception entry writes ELR_EL1/SPSR_EL1 (one pair per CPU, nothing pushed) and masks
// interrupts; the line stays pending until `ack` makes it active, and an active line is not delivered again
// until `eoi`. `eret` returns through ELR/SPSR, which software must save before anything can overwrite them.

import { ELR_CODE, KIND_CODE } from './access.js';
import { lineName } from './describe.js';
import { num } from './domain.js';
import { frameNoun } from './frames.js';
import { FRAME_KINDS } from '../ir/layout.js';
import { checkNesting, entryFrame, entryStack, lineBit, type ArchProfile } from './profile.js';
import type { Step } from './step.js';
import { eoi } from './x86_64.js';

function eret(x: Step): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  s.fault('stack-integrity', o.eq(a.elrState(s, cpu), ELR_CODE.empty), () => 'eret with no exception context in ELR/SPSR');
  const frame = a.elr(s, cpu);
  s.fault('stack-integrity', o.ne(frame.owner, x.stackOwner), () => `eret returns into ${x.name(frame.owner)}'s context while running ${x.name(x.stackOwner)}`);
  s.warn(
    'eoi-discipline',
    lineBit(a, a.inService(s, cpu), frame.line),
    ({ m }) => `handler for ${lineName(m, num(frame.line))} returned without EOI: the line stays active on CPU ${cpu}`,
  );
  a.setIe(s, cpu, frame.ie);
  a.setHardirq(s, cpu, frame.hardirq);
  a.setStackSel(s, cpu, frame.stack);
  a.setElr(s, cpu, 'empty', null);
  x.goto(frame.pc);
}

function saveElr(x: Step): void {
  const { a, s, cpu } = x;
  s.fault('stack-integrity', a.ops.eq(a.elrState(s, cpu), ELR_CODE.empty), () => 'save_elr with no exception context in ELR/SPSR');
  const frame = a.elr(s, cpu);
  a.push(s, a.currentStack(s, cpu), frame);
  a.setElr(s, cpu, 'saved', frame);
}

function restoreElr(x: Step): void {
  const { a, s, cpu } = x;
  const { empty, frame } = a.pop(s, a.currentStack(s, cpu));
  s.fault('stack-integrity', empty, () => 'restore_elr with an empty stack');
  s.fault('stack-integrity', a.ops.ne(frame.kind, KIND_CODE.exc), () => `restore_elr pops ${frameNoun(FRAME_KINDS[num(frame.kind)] ?? 'none')}, not an exception frame`);
  // Loaded back into ELR/SPSR and no longer on the stack: until `eret` consumes it, an exception entry would
  // overwrite it, exactly as after the hardware wrote it.
  a.setElr(s, cpu, 'live', frame);
}

function ack(x: Step, line: number): void {
  const { a, s, cpu } = x;
  const pending = a.pending(s, cpu);
  const on = a.ops.bit(pending, line);
  s.warn('eoi-discipline', a.ops.not(on), ({ m }) => `ack of ${lineName(m, line)} on CPU ${cpu}, which is not pending`);
  s.when(on, () => {
    a.setPending(s, cpu, a.ops.clearBit(pending, line));
    a.setInService(s, cpu, a.ops.or32(a.inService(s, cpu), 2 ** line));
  });
}

export const aarch64: ArchProfile = {
  arch: 'aarch64',
  resumeKind: 'exc',

  enter(a, s, c, line) {
    s.fault(
      'stack-integrity',
      a.ops.eq(a.elrState(s, c), ELR_CODE.live),
      ({ m }) => `ELR/SPSR overwritten before they were saved: ${lineName(m, line)} taken on CPU ${c} while ELR/SPSR hold an unsaved context`,
    );
    checkNesting(a, s, c);
    const decl = a.m.program.lines[line]!;
    const frame = entryFrame(a, s, c, line, 'exc');
    entryStack(a, s, c, line);
    a.setElr(s, c, 'live', frame);
    a.setIe(s, c, 0);
    a.setHardirq(s, c, a.ops.add(frame.hardirq, 1));
    a.setPc(s, c, a.m.unitStart(decl.handler));
  },

  execute(x, instr) {
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
        eoi(x, instr.line, 'not active');
        return true;
      default:
        return false;
    }
  },

  afterRestore(a, s, c) {
    a.setElr(s, c, 'empty', null);
  },
};
