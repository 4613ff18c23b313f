// x86_64: interrupt gates push an interrupt frame (on the current stack or the handler's IST stack), clear IF
// (interrupt gates) and set the line's in-service bit; `iret` pops exactly an interrupt frame of the current
// thread; EOI clears the in-service bit.

import { lineName } from './describe.js';
import type { Cond } from './domain.js';
import type { Access } from './access.js';
import type { State } from './state.js';
import { checkNesting, entryFrame, entryStack, returnThroughFrame, type ArchProfile } from './profile.js';
import { checkReturnToUser } from './privilege.js';
import type { Step } from './step.js';

function iret(x: Step): void {
  checkReturnToUser(x, returnThroughFrame(x, 'iret'), 'iret');
}

/**
 * EOI of a named line on x86 (the 8259A's specific EOI, or a machine without a controller: the in-service bit) and
 * on aarch64 (GIC: the active bit); `notOn` words the message. `quiet`: an EOI of a line not in service is no
 * mistake (the 8259A's specific EOI of a clear ISR bit changes nothing, and Linux's mask_and_ack_8259A() makes one
 * on purpose for a spurious IR7).
 */
export function eoi(x: Step, line: number, notOn: string, quiet = false): void {
  const { a, s, cpu } = x;
  const inService = a.inService(s, cpu);
  const on = a.ops.bit(inService, line);
  if (!quiet) s.warn('eoi-discipline', a.ops.not(on), ({ m }) => `EOI for ${lineName(m, line)} on CPU ${cpu}, which is ${notOn}`);
  s.when(on, () => {
    a.setInService(s, cpu, a.ops.clearBit(inService, line));
    s.eoi(cpu, line);
  });
}

/**
 * Per line, whether it is the highest-priority line in service on CPU `c`: the first in urgency order. With a
 * local APIC that is ISRV, the highest in-service vector (Intel SDM vol. 3A 11.8.4, 11.8.5); with an 8259 in
 * fully nested mode, the highest-priority in-service level (8259A data sheet, non-specific EOI).
 */
export function highestInService(a: Access, s: State, c: number): Cond[] {
  const o = a.ops;
  const inService = a.inService(s, c);
  const top: Cond[] = a.m.program.lines.map(() => false);
  let found: Cond = false;
  for (const line of a.m.linesByUrgency) {
    if (a.m.program.lines[line]!.nmi === true) continue; // NMI blocking is no in-service vector
    const on = o.bit(inService, line);
    top[line] = o.and(on, o.not(found));
    found = o.or(found, on);
  }
  return top;
}

/** A bare `eoi` (the LAPIC EOI register, the 8259's non-specific EOI): clears the highest-priority in-service line. */
function eoiHighest(x: Step): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const inService = a.inService(s, cpu);
  s.warn('eoi-discipline', o.eq(inService, 0), () => `EOI on CPU ${cpu}, where no line is in service`);
  highestInService(a, s, cpu).forEach((top, line) =>
    s.when(top, () => {
      a.setInService(s, cpu, o.clearBit(inService, line));
      s.eoi(cpu, line);
    }),
  );
}

export const x86_64: ArchProfile = {
  arch: 'x86_64',
  resumeKind: 'irq',

  enter(a, s, c, line) {
    checkNesting(a, s, c);
    const decl = a.m.program.lines[line]!;
    const frame = entryFrame(a, s, c, line, 'irq');
    const stack = entryStack(a, s, c, line);
    a.push(s, stack, frame);
    a.enterActivation(s, stack);
    if (decl.gate === 'interrupt') a.setIe(s, c, 0);
    a.setShadow(s, c, 0);
    a.setPending(s, c, a.ops.clearBit(a.pending(s, c), line));
    a.setInService(s, c, a.ops.or32(a.inService(s, c), 2 ** line));
    a.setHardirq(s, c, a.ops.add(frame.hardirq, 1));
    a.setPc(s, c, a.m.unitStart(decl.handler));
  },

  execute(x, instr) {
    switch (instr.op) {
      case 'iret':
        iret(x);
        return true;
      case 'eoi':
        // The local APIC's EOI register names no vector (SDM 11.8.5): `eoi L` is a write of it, the bare `eoi`.
        if (x.a.m.program.controller === 'lapic') eoiHighest(x);
        else eoi(x, instr.line, 'not in service', x.a.m.program.controller === 'i8259');
        return true;
      case 'eoi_highest':
        eoiHighest(x);
        return true;
      default:
        return false;
    }
  },

  afterRestore() {},
};
