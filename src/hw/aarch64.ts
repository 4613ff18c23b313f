// aarch64 with a GIC: exception entry writes ELR_EL1/SPSR_EL1 (one pair per CPU, nothing pushed) and masks
// interrupts; the line stays pending until `ack` makes it active, and an active line is not delivered again
// until `eoi`. `eret` returns through ELR/SPSR, which software must save before anything can overwrite them.

import { ELR_CODE, KIND_CODE } from './access.js';
import { lineName } from './describe.js';
import type { Access } from './access.js';
import { num, type Cond, type Val } from './domain.js';
import { assign, evaluate } from './expr.js';
import type { State } from './state.js';
import { GIC_SPURIOUS, type Expr, type LValue } from '../ir/ir.js';
import { frameNoun } from './frames.js';
import { FRAME_KINDS } from '../ir/layout.js';
import { checkNesting, entryFrame, entryStack, lineBit, type ArchProfile } from './profile.js';
import { checkReturnToUser } from './privilege.js';
import type { Step } from './step.js';
import { eoi } from './x86_64.js';

/** `mask` without the lines whose handlers return before their EOI on purpose (`defers eoi`). */
function notDeferred(a: Access, mask: Val): Val {
  const deferred = a.m.deferredEoiLines;
  return deferred === 0 ? mask : a.ops.and32(mask, ~deferred);
}

/**
 * `unpend L`: a write of the interrupt controller's clear-pending register for L (GICD_ICPENDR / GICR_ICPENDR0,
 * IHI 0069; Cortex-M's ICSR.PENDSVCLR): L's pending bit on this CPU is cleared, an active L stays active. A
 * source that raises L again makes it pending again.
 */
function unpend(x: Step, line: number): void {
  const { a, s, cpu } = x;
  a.setPending(s, cpu, a.ops.clearBit(a.pending(s, cpu), line));
}

function eret(x: Step): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  s.fault('stack-integrity', o.eq(a.elrState(s, cpu), ELR_CODE.empty), () => 'eret with no exception context in ELR/SPSR');
  const frame = a.elr(s, cpu);
  s.fault('stack-integrity', o.ne(frame.owner, x.stackOwner), () => `eret returns into ${x.name(frame.owner)}'s context while running ${x.name(x.stackOwner)}`);
  // In EOImode 1 a line whose priority was dropped may stay active past the return, to be deactivated later
  // (IHI 0069, ICC_CTLR_EL1.EOImode; Linux's gic_eoimode1_eoi_irq() leaves an interrupt forwarded to a vCPU for
  // the guest to deactivate): only a line not dropped is returned from without its EOI. One left active for good
  // is eoi-discipline's "in service forever".
  s.warn(
    'eoi-discipline',
    lineBit(a, notDeferred(a, o.sub(a.inService(s, cpu), a.dropped(s, cpu))), frame.line),
    ({ m }) => `handler for ${lineName(m, num(frame.line))} returned without EOI: the line stays active on CPU ${cpu}`,
  );
  a.leaveActivation(s, a.currentStack(s, cpu), a.m.unitOf[x.pc]!);
  a.setIe(s, cpu, frame.ie);
  a.setHardirq(s, cpu, frame.hardirq);
  a.setStackSel(s, cpu, frame.stack);
  a.setElr(s, cpu, 'empty', null);
  x.goto(frame.pc);
  checkReturnToUser(x, frame.pc, 'eret');
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

/**
 * Per line, whether a read of ICC_IAR1_EL1 on CPU `c` acknowledges it: the highest-priority pending interrupt whose
 * priority is above the running priority (IHI 0069, "ICC_IAR1_EL1" and 4.8 "Interrupt prioritization"): no active
 * line of equal or higher priority, and a priority value below the mask (ICC_PMR_EL1), the lower INTID first among
 * equal priorities. PSTATE.I plays no part: the register reads the same with interrupts masked.
 */
export function acknowledgedLine(a: Access, s: State, c: number): Cond[] {
  const o = a.ops;
  const pending = a.pending(s, c);
  const chosen: Cond[] = a.m.program.lines.map(() => false);
  let found: Cond = false;
  for (const line of a.m.linesByUrgency) {
    const ready = o.and(o.bit(pending, line), a.priorityAllows(s, c, line), a.pmrAllows(s, c, line));
    chosen[line] = o.and(ready, o.not(found));
    found = o.or(found, ready);
  }
  return chosen;
}

/**
 * `x := ack`: the line acknowledged goes pending -> active, which raises the running priority to its own, and `x`
 * receives its INTID; with nothing to acknowledge `x` receives 1023, the spurious INTID, and nothing changes.
 */
function ackRead(x: Step, target: LValue): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const pending = a.pending(s, cpu);
  const active = a.inService(s, cpu);
  const chosen = acknowledgedLine(a, s, cpu);
  const id = s.select(
    a.m.program.lines.map((line) => ({ when: chosen[line.id]!, then: () => line.number })),
    GIC_SPURIOUS,
  );
  chosen.forEach((taken, line) =>
    s.when(taken, () => {
      a.setPending(s, cpu, o.clearBit(pending, line));
      a.setInService(s, cpu, o.or32(active, 2 ** line));
    }),
  );
  assign(a, s, cpu, target, id);
}

/**
 * EOImode 1: a write of ICC_EOIR1_EL1 only drops the running priority; the line stays active until a write of
 * ICC_DIR_EL1 deactivates it (IHI 0069, ICC_EOIR1_EL1, ICC_DIR_EL1). A drop for a line not active, or already
 * dropped, is an eoi-discipline violation.
 */
function priorityDrop(x: Step, line: number): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const dropped = a.dropped(s, cpu);
  const running = o.and(o.bit(a.inService(s, cpu), line), o.not(o.bit(dropped, line)));
  s.warn('eoi-discipline', o.not(running), ({ m }) => `EOI (priority drop) for ${lineName(m, line)} on CPU ${cpu}, which is not active or already dropped`);
  s.when(running, () => a.setDropped(s, cpu, o.or32(dropped, 2 ** line)));
}

/** `deactivate e` (EOImode 1): ICC_DIR_EL1 deactivates the INTID written; one that is no active line's is eoi-discipline. */
function deactivate(x: Step, value: Expr): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const id = evaluate(a, s, cpu, value);
  let known: Cond = false;
  for (const line of a.m.program.lines) {
    const is = o.eq(id, line.number);
    known = o.or(known, is);
    s.when(is, () => {
      const active = a.inService(s, cpu);
      const on = o.bit(active, line.id);
      s.warn('eoi-discipline', o.not(on), ({ m }) => `deactivation of ${lineName(m, line.id)} on CPU ${cpu}, which is not active`);
      s.when(on, () => {
        a.setInService(s, cpu, o.clearBit(active, line.id));
        a.setDropped(s, cpu, o.clearBit(a.dropped(s, cpu), line.id));
        s.eoi(cpu, line.id);
      });
    });
  }
  s.warn('eoi-discipline', o.not(known), () => `deactivation of INTID ${num(id)} on CPU ${cpu}, which is no interrupt line`);
}

/** An EOIR write for `line`: priority drop and deactivation in EOImode 0, the priority drop alone in EOImode 1. */
function eoiWrite(x: Step, line: number): void {
  if (x.a.m.program.gicSplitEoi === true) priorityDrop(x, line);
  else eoi(x, line, 'not active');
}

/**
 * `eoi e` with the GIC (EOImode 0): a write of ICC_EOIR1_EL1 drops the running priority and deactivates the INTID
 * written. An INTID that is no line's (1023 from a spurious acknowledge included, which the GIC ignores) is an
 * eoi-discipline violation: the handler did not check what it acknowledged.
 */
function eoiId(x: Step, value: Expr): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const id = evaluate(a, s, cpu, value);
  let known: Cond = false;
  for (const line of a.m.program.lines) {
    const is = o.eq(id, line.number);
    known = o.or(known, is);
    s.when(is, () => eoiWrite(x, line.id));
  }
  s.warn('eoi-discipline', o.not(known), () => `EOI of INTID ${num(id)} on CPU ${cpu}, which is no interrupt line${num(id) === GIC_SPURIOUS ? ' (the spurious INTID: nothing was acknowledged)' : ''}`);
}

/** `pmr := v`: ICC_PMR_EL1; interrupts of a priority value not below it are neither signalled nor acknowledged. */
function priorityMask(x: Step, value: Expr): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const v = evaluate(a, s, cpu, value);
  s.fault('assertions', o.or(o.slt(v, 0), o.slt(255, v)), () => `value out of range: pmr := ${num(v)} (0..255)`);
  a.setPmr(s, cpu, v);
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
    a.enterActivation(s, entryStack(a, s, c, line));
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
      case 'unpend':
        unpend(x, instr.line);
        return true;
      case 'eoi':
        eoiWrite(x, instr.line);
        return true;
      case 'deactivate':
        deactivate(x, instr.value);
        return true;
      case 'ack_read':
        ackRead(x, instr.target);
        return true;
      case 'eoi_id':
        eoiId(x, instr.value);
        return true;
      case 'pmr':
        priorityMask(x, instr.value);
        return true;
      default:
        return false;
    }
  },

  afterRestore(a, s, c) {
    a.setElr(s, c, 'empty', null);
  },
};
