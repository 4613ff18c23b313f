// Per-CPU interrupt controllers. x86_64: a LAPIC/8259-like pair of registers, IRR (pending) and ISR (in
// service); delivery clears the pending bit and sets the in-service bit, and a specific EOI clears it. A line is
// held off while a line of equal or higher priority is in service. aarch64: a GIC CPU interface; a line stays
// pending through exception entry until software acknowledges it (IAR read: pending -> active) and is not
// signalled again until software writes EOIR for it. Lines are bits; `lines[i].number` is the vector/INTID.

import type { Arch } from './isa.js';

export interface LineInfo {
  name: string;
  /** x86 vector or GIC INTID, as software sees it. */
  number: number;
  /** Larger is more urgent. */
  priority: number;
}

/** The INTID an IAR read returns when nothing can be acknowledged. */
export const SPURIOUS = 1023;

export class InterruptController {
  /** pending[cpu] and inService[cpu] are bitmasks over `lines`. */
  readonly pending: number[];
  readonly inService: number[];

  constructor(
    readonly arch: Arch,
    readonly lines: readonly LineInfo[],
    cpus: number,
  ) {
    this.pending = new Array<number>(cpus).fill(0);
    this.inService = new Array<number>(cpus).fill(0);
  }

  raise(cpu: number, line: number): void {
    this.pending[cpu]! |= 1 << line;
  }

  /** Priority of the most urgent in-service (active) line, or -Infinity. */
  private runningPriority(cpu: number): number {
    let best = -Infinity;
    this.lines.forEach((l, i) => {
      if (this.inService[cpu]! & (1 << i) && l.priority > best) best = l.priority;
    });
    return best;
  }

  /** The line the controller signals to the CPU now (ignoring the CPU's own mask), or -1. */
  signalled(cpu: number): number {
    const candidates = this.pending[cpu]! & ~this.inService[cpu]!;
    if (candidates === 0) return -1;
    const running = this.runningPriority(cpu);
    let best = -1;
    this.lines.forEach((l, i) => {
      if (candidates & (1 << i) && l.priority > running && (best < 0 || l.priority > this.lines[best]!.priority)) best = i;
    });
    return best;
  }

  /** Hardware delivery of a line to the CPU. On x86 this is the acknowledge; on a GIC software acks later. */
  deliver(cpu: number, line: number): void {
    if (this.arch === 'x86_64') {
      this.pending[cpu]! &= ~(1 << line);
      this.inService[cpu]! |= 1 << line;
    }
  }

  /** GIC IAR read: the signalled line becomes active; returns its index, or -1 (spurious). */
  acknowledge(cpu: number): number {
    const line = this.signalled(cpu);
    if (line < 0) return -1;
    this.pending[cpu]! &= ~(1 << line);
    this.inService[cpu]! |= 1 << line;
    return line;
  }

  /** EOI / EOIR for a line. Returns whether the line was in service (active). */
  endOfInterrupt(cpu: number, line: number): boolean {
    const was = (this.inService[cpu]! & (1 << line)) !== 0;
    this.inService[cpu]! &= ~(1 << line);
    return was;
  }

  /** Whether anything would wake a `wfi` (a line pending and not active, masked or not). */
  anyPending(cpu: number): boolean {
    return (this.pending[cpu]! & ~this.inService[cpu]!) !== 0;
  }

  lineByNumber(number: number): number {
    return this.lines.findIndex((l) => l.number === number);
  }
}
