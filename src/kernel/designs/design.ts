// What a design of the reference kernel is: a named kernel image built from a seed document's design, with
// the machine settings it runs under and what its seed says it should do.

import { type ForgeContext, type KernelImage, KERNEL_CS, KERNEL_SS, RFLAGS_IF, RFLAGS_RESERVED, StackWriter } from '../image.js';
import type { Arch } from '../isa.js';

export interface Design {
  name: string;
  /** Seed file and section it encodes. */
  seed: string;
  /** One line: what the design does. */
  summary: string;
  arch: Arch;
  cpus: number;
  /** What the seed's own evidence implies the kernel does when it runs: survive, fault or hang. */
  expect: 'survives' | 'faults' | 'hangs';
  /** The model (under models/) whose behaviours its traces must be. */
  model: string;
  /** Timer period and jitter in cycles. */
  timer: { period: number; jitter: number };
  /** Stall probability per cycle, out of 256 (SMP designs: varies the interleaving). */
  stall: number;
  build(): KernelImage;
}

/** A switch frame for a thread that has not run: `saved` zeroed callee-saved slots under a return address. */
export function forgeSwitchFrame(entry: string, saved: number): (ctx: ForgeContext) => number {
  return (ctx) => {
    const w = new StackWriter(ctx.memory, ctx.thread.stackTop).push(ctx.label(entry));
    for (let i = 0; i < saved; i++) w.push(0);
    return w.sp;
  };
}

/**
 * An x86_64 interrupt frame as the hardware would have pushed it for a thread interrupted at `entry` with
 * interrupts enabled, under `below` words of saved registers (as the interrupt stub pushes them).
 */
export function forgeIretFrame(entry: string, below: number[]): (ctx: ForgeContext) => number {
  return (ctx) => {
    const top = ctx.thread.stackTop;
    const w = new StackWriter(ctx.memory, top).push(KERNEL_SS, top, RFLAGS_RESERVED | RFLAGS_IF, KERNEL_CS, ctx.label(entry));
    for (const v of below) w.push(v);
    return w.sp;
  };
}
