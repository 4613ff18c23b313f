// The reference kernel's instruction set: a small register machine in the spirit of x86_64 and aarch64, one
// instruction per cycle. It is deliberately concrete: calls push real return addresses (x86) or write the
// link register (aarch64), `iret` pops a five-word frame from memory, `xchg` is an atomic swap on a memory
// word. Bugs therefore fail the way they fail on hardware, by jumping to whatever the stack holds.

export type Arch = 'x86_64' | 'aarch64';

/** Register file indexes. 0..30 are general registers, then the stack pointer and the per-CPU base. */
export const SP = 31;
/** Read-only per-CPU base (x86 GS base, aarch64 TPIDR_EL1), set at boot. */
export const PCPU = 32;
export const REGISTER_COUNT = 33;
/** aarch64 link register (x30). */
export const LR = 30;

const X86_REGS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

export function registerNames(arch: Arch): Map<string, number> {
  const names = new Map<string, number>();
  if (arch === 'x86_64') {
    X86_REGS.forEach((name, i) => names.set(name, i));
    names.set('rsp', SP);
    names.set('gsbase', PCPU);
  } else {
    for (let i = 0; i <= 30; i++) names.set(`x${i}`, i);
    names.set('lr', LR);
    names.set('sp', SP);
    names.set('tpidr', PCPU);
  }
  return names;
}

export function registerName(arch: Arch, reg: number): string {
  if (reg === SP) return arch === 'x86_64' ? 'rsp' : 'sp';
  if (reg === PCPU) return arch === 'x86_64' ? 'gsbase' : 'tpidr';
  return arch === 'x86_64' ? (X86_REGS[reg] ?? `r?${reg}`) : reg === LR ? 'lr' : `x${reg}`;
}

/** A source operand: a register or an immediate (addresses of symbols are immediates after assembly). */
export type Src = { kind: 'reg'; reg: number } | { kind: 'imm'; value: number };

/** A memory operand `[base + offset]`; base null means an absolute address. */
export interface Mem {
  base: number | null;
  offset: number;
}

export type Cond = 'eq' | 'ne' | 'lt' | 'ge' | 'gt' | 'le' | 'b' | 'ae';
export type AluFn = 'add' | 'sub' | 'and' | 'or' | 'xor' | 'shl' | 'shr' | 'mul';
export type SysReg = 'elr' | 'spsr' | 'daif';

/** Where a trace annotation takes a thread from: a register holding a TCB address, or the CPU's current. */
export type ThreadRef = { kind: 'reg'; reg: number } | { kind: 'current' };

/**
 * A software event the kernel logs when the annotated instruction executes (its serial log, in a real kernel).
 * Hardware events (interrupt entry, iret, cli, sti, EOI, lock words) are logged by the machine itself.
 */
export interface TraceAnnotation {
  event: string;
  threads: Record<string, ThreadRef>;
  literals: Record<string, string | number>;
}

export type Op =
  | { op: 'mov'; dst: number; src: Src }
  | { op: 'load'; dst: number; addr: Mem }
  | { op: 'store'; addr: Mem; src: Src }
  | { op: 'alu'; fn: AluFn; dst: number; src: Src }
  | { op: 'cmp'; left: number; right: Src }
  | { op: 'jmp'; target: number }
  | { op: 'jcc'; cond: Cond; target: number }
  | { op: 'call'; target: number }
  | { op: 'callr'; reg: number }
  | { op: 'ret' }
  | { op: 'push'; src: Src }
  | { op: 'pop'; dst: number }
  | { op: 'pushf' }
  | { op: 'popf' }
  | { op: 'cli' }
  | { op: 'sti' }
  | { op: 'iret' }
  | { op: 'eret' }
  | { op: 'mrs'; dst: number; sysreg: SysReg }
  | { op: 'msr'; sysreg: SysReg; src: number }
  | { op: 'xchg'; reg: number; addr: Mem }
  | { op: 'pause' }
  | { op: 'hlt' }
  | { op: 'wfi' }
  | { op: 'eoi'; src: Src }
  | { op: 'ack'; dst: number }
  | { op: 'work' }
  /** Returns a page to the allocator: it is unmapped, so a later use faults (a freed stack). */
  | { op: 'free'; reg: number }
  | { op: 'panic'; message: string }
  | { op: 'nop' };

export type Instr = Op & {
  /** The source line, for disassembly in fault reports. */
  text: string;
  /** The nearest label at or before it, and the distance from it (`context_switch+3`). */
  routine: string;
  offset: number;
  /** Software events logged when it executes. */
  trace: TraceAnnotation[];
  /** Suppress the machine's own event for this instruction: it is one step of a larger logged action. */
  silent: boolean;
};

export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
