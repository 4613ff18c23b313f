// What the machine says about itself in reports: where an address is in the kernel's code, a register dump,
// and, for the watchdog, what a CPU that makes no progress is doing.

import { CODE_BASE, INSTR_BYTES } from './asm.js';
import type { CpuState } from './cpu.js';
import type { KernelImage } from './image.js';
import { type Arch, LR, SP, registerName } from './isa.js';
import type { Machine } from './machine.js';
import { hex } from './memory.js';

/** `routine+offset: instruction` for a code address, or the address alone. */
export function describePc(image: KernelImage, pc: number): string {
  const index = (pc - CODE_BASE) / INSTR_BYTES;
  const instr = Number.isInteger(index) ? image.code[index] : undefined;
  return instr === undefined ? hex(pc) : `${instr.routine}+${instr.offset}: ${instr.text}`;
}

/** The registers a fault report shows: the ones the kernel's code uses, the stack pointer and the flags. */
export function registerDump(arch: Arch, cpu: CpuState): Record<string, string> {
  const out: Record<string, string> = {};
  const shown = arch === 'x86_64' ? [0, 1, 2, 3, 4, 5, 6, 11, SP] : [0, 1, 2, 19, 20, LR, SP];
  for (const r of shown) out[registerName(arch, r)] = hex(cpu.regs[r]!);
  out[arch === 'x86_64' ? 'rflags' : 'pstate'] = hex(cpu.flags);
  if (arch === 'aarch64') {
    out.elr_el1 = hex(cpu.elr);
    out.spsr_el1 = hex(cpu.spsr);
  }
  return out;
}

/** What a CPU that makes no progress is doing, in one line. */
export function explainStuck(machine: Machine, cpu: CpuState): string {
  const { image, intc } = machine;
  const head = `cpu${cpu.id} (${machine.currentThread(cpu.id)})`;
  const masked = !machine.interruptsEnabled(cpu);
  if (cpu.halted === 'hlt') {
    if (masked) return `${head}: hlt with interrupts masked; only an NMI would wake it`;
    const inService = image.lines.filter((_, i) => intc.inService[cpu.id]! & (1 << i)).map((l) => l.name);
    return `${head}: halted, and no interrupt can be delivered (lines in service: ${inService.length === 0 ? 'none' : inService.join(', ')})`;
  }
  if (cpu.halted === 'wfi') return `${head}: wfi with nothing pending`;
  const wfi = [cpu.pc, cpu.lastPc].find((pc) => image.code[(pc - CODE_BASE) / INSTR_BYTES]?.op === 'wfi');
  if (wfi !== undefined && masked && intc.anyPending(cpu.id)) {
    return `${head}: looping on wfi at ${describePc(image, wfi)} with interrupts masked: the pending line wakes it but is never taken`;
  }
  // A failed test-and-set in the last few cycles: it spins on that lock.
  if (cpu.spinCycle >= 0 && machine.cycle - cpu.spinCycle < 64) {
    const lock = image.locks.get(cpu.spinLock)!;
    const holder = machine.lockHolders.get(cpu.spinLock);
    const by = holder === undefined ? 'nobody recorded' : `${holder.thread} (taken on cpu${holder.cpu})`;
    return `${head}: spinning on ${lock} in ${describePc(image, cpu.pc)}, held by ${by}`;
  }
  return `${head}: no progress at ${describePc(image, cpu.pc)}`;
}
