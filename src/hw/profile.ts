// What differs between architecture profiles: interrupt entry, the return instructions, EOI/acknowledge, and
// how `restore_context` finds a thread's saved context. Everything else is shared (exec.ts).

import type { Arch, Instr } from '../ir/ir.js';
import { MAX_HARDIRQ, type StackSlots } from '../ir/layout.js';
import { KIND_CODE, type Access, type FrameVal, type StackRef } from './access.js';
import { lineName } from './describe.js';
import { num, type Cond, type Val } from './domain.js';
import { frameNoun } from './frames.js';
import { FRAME_KINDS } from '../ir/layout.js';
import type { State } from './state.js';
import type { Step } from './step.js';

export interface ArchProfile {
  readonly arch: Arch;
  /** The frame kind `restore_context` returns through. */
  readonly resumeKind: 'irq' | 'exc';
  /** Takes pending line `line` on CPU `c` (the caller has checked it is deliverable). */
  enter(a: Access, s: State, c: number, line: number): void;
  /** Executes an instruction that only this profile knows; false if `instr` is not one. */
  execute(x: Step, instr: Instr): boolean;
  /** After `restore_context` returned through `frame`. */
  afterRestore(a: Access, s: State, c: number, frame: FrameVal): void;
}

/**
 * The instruction an interrupt returns to: the one it was taken at (a `hlt` not yet executed included), or the
 * one after the halted point of a `hlt`/`wfi` whose CPU it wakes.
 */
export function returnPoint(a: Access, s: State, c: number): Val {
  return a.ops.lookup(a.pc(s, c), a.returnPoints);
}

/** The context an interrupt entry saves (an x86 interrupt frame, the aarch64 ELR/SPSR pair): where and how to return. */
export function entryFrame(a: Access, s: State, c: number, line: number, kind: 'irq' | 'exc'): FrameVal {
  return a.frame(kind, {
    pc: returnPoint(a, s, c),
    ie: a.ie(s, c),
    owner: a.stackOwner(s, c),
    hardirq: a.hardirq(s, c),
    line,
    stack: a.stackSel(s, c),
  });
}

export function checkNesting(a: Access, s: State, c: number): void {
  s.fault('stack-integrity', a.ops.ule(MAX_HARDIRQ, a.hardirq(s, c)), () => `interrupts nest deeper than ${MAX_HARDIRQ} levels on CPU ${c}`);
}

/**
 * The stack a handler's entry pushes on. A handler with its own stack (x86 IST) always starts at that stack's
 * top, so entering it while it holds frames overwrites them.
 */
export function entryStack(a: Access, s: State, c: number, line: number): StackRef {
  const handler = a.m.program.lines[line]!.handler;
  const k = a.m.handlerStackOf[handler]!;
  if (k < 0) return a.currentStack(s, c);
  const stack: StackSlots = a.layout.cpus[c]!.handlerStacks[k]!;
  const live = a.sp(s, stack);
  s.fault('stack-integrity', a.ops.ne(live, 0), ({ m }) => {
    const n = num(live);
    return `handler stack reused while in use: ${lineName(m, line)} entry on CPU ${c} restarts ${m.stackName(stack)} at its top, overwriting ${n} live frame${n === 1 ? '' : 's'}`;
  });
  a.setStackSel(s, c, k + 1);
  return [{ when: true, stack }];
}

/**
 * Bit `line` of `mask`, for a line that may be unknown; false for the "no line" of a synchronous entry's or a
 * forged frame (the number of lines, which is bit 32 of a 32-line model, read by JavaScript as bit 0).
 */
export function lineBit(a: Access, mask: Val, line: Val): Cond {
  const o = a.ops;
  if (typeof line === 'number') return line < a.m.program.lines.length && o.bit(mask, line);
  return o.or(...a.m.program.lines.map((_, l) => o.and(o.eq(line, l), o.bit(mask, l))));
}

/**
 * A return through the interrupt frame on top of the stack the CPU is on: x86_64 IRET, and SYSRET (privilege.ts),
 * which returns through the frame the system call's entry pushed (Linux's syscall_return_via_sysret pops
 * pt_regs). The frame must be an interrupt frame of the thread whose stack it is; `check` adds the instruction's
 * own condition on it. A line still in service is an EOI missed; the activation on the stack ends, and IF, the
 * interrupt-context depth and the stack selection come back from the frame. Returns the frame's return point.
 */
export function returnThroughFrame(x: Step, how: 'iret' | 'sysret', check?: (pc: Val) => void): Val {
  const { a, s, cpu } = x;
  const o = a.ops;
  const ref = a.currentStack(s, cpu);
  const { empty, frame } = a.pop(s, ref);
  s.fault('stack-integrity', empty, () => (how === 'iret' ? 'iret with no interrupt frame: the stack is empty' : 'sysret with no saved user context: the stack is empty'));
  s.fault('stack-integrity', o.ne(frame.kind, KIND_CODE.irq), () => {
    const noun = frameNoun(FRAME_KINDS[num(frame.kind)] ?? 'none');
    return how === 'iret' ? `iret pops ${noun}, not an interrupt frame` : `sysret pops ${noun}, not the frame of a system call or interrupt`;
  });
  s.fault('stack-integrity', o.ne(frame.owner, x.stackOwner), () => `${how} returns into ${x.name(frame.owner)}'s frame while running ${x.name(x.stackOwner)}`);
  check?.(frame.pc);
  const nmis = a.m.nmiLines;
  // NMI blocking is no in-service bit to EOI; a handler that `defers eoi` returns before its EOI on purpose.
  const exempt = nmis | a.m.deferredEoiLines;
  s.warn(
    'eoi-discipline',
    lineBit(a, exempt === 0 ? a.inService(s, cpu) : o.and32(a.inService(s, cpu), ~exempt), frame.line),
    ({ m }) => `handler for ${lineName(m, num(frame.line))} returned without EOI: the line stays in service on CPU ${cpu}`,
  );
  // The next IRET ends NMI blocking, whichever handler it returns from (SDM vol. 3A 6.7.1).
  if (how === 'iret' && nmis !== 0) a.setInService(s, cpu, o.and32(a.inService(s, cpu), ~nmis));
  a.leaveActivation(s, ref, a.m.unitOf[x.pc]!);
  a.setIe(s, cpu, frame.ie);
  a.setHardirq(s, cpu, frame.hardirq);
  a.setStackSel(s, cpu, frame.stack);
  x.goto(frame.pc);
  return frame.pc;
}
