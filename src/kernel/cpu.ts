// A CPU's architectural state, and the parts of its semantics that are pure arithmetic on it: the flags a
// compare sets, the conditions a branch tests, the ALU, and the interrupt-enable bit of each architecture.

import { type KernelImage, PSTATE_EL1H, PSTATE_I, RFLAGS_IF, RFLAGS_RESERVED } from './image.js';
import { type Arch, type AluFn, type Cond, PCPU, REGISTER_COUNT, SP, unreachable } from './isa.js';

const X86_CF = 0x1;
const X86_ZF = 0x40;
const X86_SF = 0x80;
// aarch64 NZCV live in PSTATE bits 31..28; bit 31 makes PSTATE exceed int32, hence arithmetic, not bit ops.
const A64_N = 2 ** 31;
const A64_Z = 2 ** 30;
const A64_C = 2 ** 29;

export interface CpuState {
  id: number;
  regs: Float64Array;
  pc: number;
  /** x86_64 RFLAGS or aarch64 PSTATE. */
  flags: number;
  elr: number;
  spsr: number;
  /** x86 `sti` interrupt shadow: no delivery before the next instruction completes. */
  shadow: boolean;
  halted: 'no' | 'hlt' | 'wfi';
  retired: number;
  /** Address of the last instruction executed: where a jump to a bad address came from. */
  lastPc: number;
  lastProgress: number;
  /** Lock word of the last failed `xchg` and when, for hang reports. */
  spinLock: number;
  spinCycle: number;
}

export function bootCpu(image: KernelImage, id: number): CpuState {
  const b = image.boot[id]!;
  const regs = new Float64Array(REGISTER_COUNT);
  regs[SP] = b.sp;
  regs[PCPU] = b.pcpu;
  const flags =
    image.arch === 'x86_64' ? RFLAGS_RESERVED | (b.interruptsEnabled ? RFLAGS_IF : 0) : PSTATE_EL1H | (b.interruptsEnabled ? 0 : PSTATE_I);
  return {
    id,
    regs,
    pc: b.pc,
    flags,
    elr: 0,
    spsr: 0,
    shadow: false,
    halted: 'no',
    retired: 0,
    lastPc: b.pc,
    lastProgress: 0,
    spinLock: 0,
    spinCycle: -1,
  };
}

export function interruptsEnabled(arch: Arch, cpu: CpuState): boolean {
  return arch === 'x86_64' ? (cpu.flags & RFLAGS_IF) !== 0 : (cpu.flags & PSTATE_I) === 0;
}

export function setInterrupts(arch: Arch, cpu: CpuState, enabled: boolean): void {
  // `>>> 0` keeps PSTATE unsigned: its N flag is bit 31.
  if (arch === 'x86_64') cpu.flags = enabled ? cpu.flags | RFLAGS_IF : cpu.flags & ~RFLAGS_IF;
  else cpu.flags = (enabled ? cpu.flags & ~PSTATE_I : cpu.flags | PSTATE_I) >>> 0;
}

/** `cmp a, b`: x86 sets ZF, SF (signed less) and CF (unsigned below); aarch64 sets NZCV. */
export function compare(arch: Arch, cpu: CpuState, a: number, b: number): void {
  // Unsigned order: a negative number is a word with its top bit set, above every non-negative one.
  const below = a >= 0 === b >= 0 ? a < b : a >= 0;
  if (arch === 'x86_64') {
    cpu.flags &= ~(X86_CF | X86_ZF | X86_SF);
    if (a === b) cpu.flags |= X86_ZF;
    if (a < b) cpu.flags |= X86_SF;
    if (below) cpu.flags |= X86_CF;
  } else {
    cpu.flags = (cpu.flags % A64_C) + (a < b ? A64_N : 0) + (a === b ? A64_Z : 0) + (below ? 0 : A64_C);
  }
}

export function condition(arch: Arch, cpu: CpuState, cond: Cond): boolean {
  const f = cpu.flags;
  const x86 = arch === 'x86_64';
  const zero = x86 ? (f & X86_ZF) !== 0 : Math.floor(f / A64_Z) % 2 === 1;
  const less = x86 ? (f & X86_SF) !== 0 : Math.floor(f / A64_N) % 2 === 1;
  const below = x86 ? (f & X86_CF) !== 0 : Math.floor(f / A64_C) % 2 === 0;
  switch (cond) {
    case 'eq':
      return zero;
    case 'ne':
      return !zero;
    case 'lt':
      return less;
    case 'ge':
      return !less;
    case 'gt':
      return !less && !zero;
    case 'le':
      return less || zero;
    case 'b':
      return below;
    case 'ae':
      return !below;
    default:
      return unreachable(cond);
  }
}

export function alu(fn: AluFn, a: number, b: number): number {
  const small = a >= 0 && b >= 0 && a < 2 ** 31 && b < 2 ** 31;
  switch (fn) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'and':
      return small ? a & b : Number(BigInt.asIntN(64, BigInt(a) & BigInt(b)));
    case 'or':
      return small ? a | b : Number(BigInt.asIntN(64, BigInt(a) | BigInt(b)));
    case 'xor':
      return small ? a ^ b : Number(BigInt.asIntN(64, BigInt(a) ^ BigInt(b)));
    case 'shl':
      return a * 2 ** b;
    case 'shr':
      return Math.floor(a / 2 ** b);
    default:
      return unreachable(fn);
  }
}
