// What differs between architecture profiles: interrupt entry, the return instructions, EOI/acknowledge, and
// how `restore_context` finds a thread's saved context. Everything else is shared (exec.ts).

import type { Arch, Instr } from '../ir/ir.js';
import type { ModelEvent } from '../checker/model.js';
import { Fault } from './fault.js';
import type { Frame } from './frames.js';
import type { Machine } from './machine.js';
import { MAX_HARDIRQ, type StackSlots } from '../ir/layout.js';
import { lineName } from './describe.js';
import type { Step } from './step.js';

export interface ArchProfile {
  readonly arch: Arch;
  /** The frame kind `restore_context` returns through. */
  readonly resumeKind: 'irq' | 'exc';
  /** Takes pending line `line` on CPU `c` (the caller has checked it is deliverable). */
  enter(m: Machine, s: Uint32Array, c: number, line: number, events: ModelEvent[]): void;
  /** Executes an instruction that only this profile knows; false if `instr` is not one. */
  execute(x: Step, instr: Instr): boolean;
  /** After `restore_context` returned through `frame`. */
  afterRestore(m: Machine, s: Uint32Array, c: number, frame: Frame): void;
}

/** The instruction an interrupt returns to: the one it was taken at, or the one after a `hlt`/`wfi`. */
export function returnPoint(m: Machine, s: Uint32Array, c: number): number {
  const pc = m.pc(s, c);
  const op = m.code[pc]?.op;
  return op === 'hlt' || op === 'wfi' ? m.resolve(pc + 1) : pc;
}

export function checkNesting(m: Machine, s: Uint32Array, c: number): void {
  if (m.hardirq(s, c) >= MAX_HARDIRQ) {
    throw new Fault('stack-integrity', `interrupts nest deeper than ${MAX_HARDIRQ} levels on CPU ${c}`);
  }
}

/**
 * The stack a handler's entry pushes on. A handler with its own stack (x86 IST) always starts at that stack's
 * top, so entering it while it holds frames overwrites them.
 */
export function entryStack(m: Machine, s: Uint32Array, c: number, line: number): StackSlots {
  const handler = m.program.lines[line]!.handler;
  const k = m.handlerStackOf[handler]!;
  if (k < 0) return m.currentStack(s, c);
  const stack = m.layout.cpus[c]!.handlerStacks[k]!;
  const live = m.sp(s, stack);
  if (live > 0) {
    throw new Fault(
      'stack-integrity',
      `handler stack reused while in use: ${lineName(m, line)} entry on CPU ${c} restarts ${m.stackName(stack)} at its top, overwriting ${live} live frame${live === 1 ? '' : 's'}`,
    );
  }
  m.setStackSel(s, c, k + 1);
  return stack;
}
