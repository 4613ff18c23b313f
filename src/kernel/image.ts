// A kernel image: assembled code, initialised memory (data, thread control blocks, forged stacks) and the
// boot state of every CPU. Designs build one with `ImageBuilder`, as a real kernel's linker script and early
// boot code would: declare data words, locks, per-CPU areas and threads, write the code, then forge the
// stacks of threads that have not run yet so that their first resumption finds the frame it expects.

import { type Assembled, assemble, codeAddress } from './asm.js';
import type { LineInfo } from './intc.js';
import type { Arch } from './isa.js';
import { Memory, PAGE } from './memory.js';

export const DATA_BASE = 0x20_0000;
export const DATA_SIZE = 0x1_0000;
export const STACKS_BASE = DATA_BASE + DATA_SIZE;
/** Each stack is one page, with an unmapped guard page below it. */
export const STACK_SIZE = PAGE;
const STACK_SLOT = 2 * PAGE;
const MAX_STACKS = 24;
export const MEMORY_SIZE = DATA_SIZE + MAX_STACKS * STACK_SLOT;

/** x86_64 selectors and flag bits, aarch64 PSTATE bits, as the kernel and the machine both use them. */
export const KERNEL_CS = 0x08;
export const KERNEL_SS = 0x10;
export const RFLAGS_RESERVED = 0x2;
export const RFLAGS_IF = 0x200;
export const PSTATE_EL1H = 0x5;
export const PSTATE_I = 0x80;
export const PSTATE_DAIF = 0x3c0;

/** Thread control block layout (byte offsets), shared by every design. */
export const TCB = {
  TCB_SP: 0, // saved stack pointer (Linux-style switch, and option C's saved frame)
  TCB_STATE: 8,
  TCB_ID: 16,
  TCB_STACK: 24, // base of its kernel stack (for the reaper)
  TCB_CTX: 32, // aarch64 saved context: x19..x29, lr, sp, elr, spsr (15 words)
  TCB_ON_CPU: 160, // 1 while a CPU still runs on its stack (Linux's p->on_cpu)
  TCB_SIZE: 0x100,
} as const;

/** Thread states, numbered as the model numbers them. */
export const THREAD_STATE = { DORMANT: 0, READY: 1, RUNNING: 2, BLOCKED: 3, EXITED: 4 } as const;

/** Per-CPU area layout (reached through gsbase / tpidr). */
export const PCPU_FIELDS = {
  PCPU_CURRENT: 0,
  PCPU_NEED_RESCHED: 8, // need_resched, yield_pending, need_reschedule: the models' per-CPU flag
  PCPU_NEXT: 16, // the models' per-CPU `next`
  PCPU_PREV: 24, // the models' per-CPU `prev`
  PCPU_ID: 32,
  PCPU_TICKS: 40,
  PCPU_SIZE: 0x80,
} as const;

/** The symbol under which a thread's TCB is visible to kernel code: `boot[0]` -> `tcb_boot_0_`. */
export function tcbSymbol(thread: string): string {
  return `tcb_${thread.replace(/\W/g, '_')}`;
}

/** Run queue: a ring of TCB pointers. */
export const RQ_CAPACITY = 8;
export const RQ = { RQ_HEAD: 0, RQ_LEN: 8, RQ_SLOTS: 16, RQ_MASK: RQ_CAPACITY - 1 } as const;

export type ThreadStart = { kind: 'running'; cpu: number } | { kind: 'ready' } | { kind: 'dormant' };

export interface ThreadInfo {
  name: string;
  id: number;
  tcb: number;
  stackBase: number;
  stackTop: number;
}

export interface StackRegion {
  owner: string;
  /** Index into `threads`, or -1 for a per-CPU handler stack. */
  thread: number;
  base: number;
  top: number;
}

export interface BootCpu {
  pc: number;
  sp: number;
  interruptsEnabled: boolean;
  pcpu: number;
  thread: number;
}

export interface KernelImage {
  design: string;
  arch: Arch;
  cpus: number;
  code: Assembled['code'];
  labels: Map<string, number>;
  symbols: Map<string, number>;
  memory: Memory;
  lines: LineInfo[];
  /** Code address each line enters at (x86 IDT gate); on aarch64 every line enters the IRQ vector. */
  vectors: number[];
  /** Lock word address -> lock name. */
  locks: Map<number, string>;
  threads: ThreadInfo[];
  stacks: StackRegion[];
  /** Address of each CPU's `current` TCB pointer. */
  currentPointer: number[];
  boot: BootCpu[];
}

/** Writes frames downward from a stack top, as thread creation code forges a new thread's stack. */
export class StackWriter {
  constructor(
    private readonly memory: Memory,
    public sp: number,
  ) {}

  push(...values: number[]): this {
    for (const v of values) {
      this.sp -= 8;
      this.memory.write(this.sp, v);
    }
    return this;
  }
}

export interface ForgeContext {
  memory: Memory;
  thread: ThreadInfo;
  /** Code address of a label. */
  label(name: string): number;
  /** Address of a data symbol. */
  symbol(name: string): number;
}

export interface ThreadSpec {
  name: string;
  /** Label of the code it starts at (running threads) or that its forged frame resumes. */
  entry: string;
  start: ThreadStart;
  /** Writes the frames its first resumption pops and returns the saved stack pointer (TCB_SP). */
  forge?: (ctx: ForgeContext) => number;
  /** Fills the TCB's context area (aarch64 designs that resume from TCB_CTX). */
  context?: (ctx: ForgeContext) => void;
}

export class ImageBuilder {
  private readonly memory = new Memory(DATA_BASE, MEMORY_SIZE);
  private readonly symbols = new Map<string, number>();
  private readonly lines: (LineInfo & { entry: string })[] = [];
  private readonly locks = new Map<number, string>();
  private readonly threads: (ThreadSpec & ThreadInfo)[] = [];
  private readonly sources: string[] = [];
  private readonly stacks: StackRegion[] = [];
  private dataTop = DATA_BASE;
  private stackSlots = 0;
  readonly pcpu: number[];

  constructor(
    readonly design: string,
    readonly arch: Arch,
    readonly cpus: number,
  ) {
    this.memory.map(DATA_BASE, DATA_SIZE);
    for (const table of [TCB, THREAD_STATE, PCPU_FIELDS, RQ]) {
      for (const [name, value] of Object.entries(table)) this.symbols.set(name, value);
    }
    this.symbols.set('KERNEL_CS', KERNEL_CS);
    this.symbols.set('KERNEL_SS', KERNEL_SS);
    this.symbols.set('RFLAGS_IF', RFLAGS_IF);
    this.symbols.set('PSTATE_I', PSTATE_I);
    this.symbols.set('NCPUS', cpus);
    this.pcpu = Array.from({ length: cpus }, (_, c) => {
      const base = this.data(`pcpu${c}`, PCPU_FIELDS.PCPU_SIZE / 8);
      this.memory.write(base + PCPU_FIELDS.PCPU_ID, c);
      return base;
    });
    this.data('runqueue', 2 + RQ_CAPACITY);
  }

  constant(name: string, value: number): this {
    this.symbols.set(name, value);
    return this;
  }

  /** Allocates `words` zeroed 64-bit words under a symbol name and returns the address. */
  data(name: string, words = 1, init = 0): number {
    if (this.symbols.has(name)) throw new Error(`duplicate symbol ${name}`);
    const address = this.dataTop;
    this.dataTop += words * 8;
    if (this.dataTop > DATA_BASE + DATA_SIZE) throw new Error('kernel data does not fit');
    for (let i = 0; i < words; i++) this.memory.write(address + i * 8, init);
    this.symbols.set(name, address);
    return address;
  }

  /** The address (or value) of a symbol declared so far. */
  symbolAddress(name: string): number {
    const value = this.symbols.get(name);
    if (value === undefined) throw new Error(`${this.design}: no symbol ${name}`);
    return value;
  }

  /** Writes a word of kernel data (a table of TCB pointers, say). */
  write(address: number, value: number): this {
    this.memory.write(address, value);
    return this;
  }

  /** A spinlock: a lock word (0 free, 1 held) and a word for the flags saved by irq-safe acquires. */
  lock(symbol: string, name: string): number {
    const address = this.data(symbol, 2);
    this.locks.set(address, name);
    return address;
  }

  /** An interrupt line and the label its vector enters (ignored on aarch64, which has one IRQ vector). */
  line(name: string, number: number, priority: number, entry: string): this {
    this.lines.push({ name, number, priority, entry });
    this.symbols.set(`VEC_${name.toUpperCase()}`, number);
    return this;
  }

  private allocateStack(owner: string, thread: number): StackRegion {
    if (this.stackSlots >= MAX_STACKS) throw new Error('too many stacks');
    const base = STACKS_BASE + this.stackSlots * STACK_SLOT + PAGE;
    this.stackSlots++;
    this.memory.map(base, STACK_SIZE);
    const region = { owner, thread, base, top: base + STACK_SIZE };
    this.stacks.push(region);
    return region;
  }

  thread(spec: ThreadSpec): ThreadInfo {
    const id = this.threads.length;
    const tcb = this.data(tcbSymbol(spec.name), TCB.TCB_SIZE / 8);
    const stack = this.allocateStack(spec.name, id);
    const info: ThreadInfo = { name: spec.name, id, tcb, stackBase: stack.base, stackTop: stack.top };
    this.memory.write(tcb + TCB.TCB_ID, id);
    this.memory.write(tcb + TCB.TCB_STACK, stack.base);
    this.memory.write(tcb + TCB.TCB_SP, stack.top);
    this.threads.push({ ...spec, ...info });
    return info;
  }

  /** A per-CPU stack that is not a thread's (an interrupt stack). Its symbol holds the top. */
  handlerStack(symbol: string, owner: string): number {
    const region = this.allocateStack(owner, -1);
    this.symbols.set(symbol, region.top);
    return region.top;
  }

  code(source: string): this {
    this.sources.push(source);
    return this;
  }

  build(): KernelImage {
    // Thread TCB symbols are usable in code: `tcb_worker_0_`.
    const assembled = assemble(this.arch, this.sources.join('\n'), this.symbols);
    const label = (name: string): number => {
      const index = assembled.labels.get(name);
      if (index === undefined) throw new Error(`${this.design}: no label ${name}`);
      return codeAddress(index);
    };
    const symbol = (name: string): number => {
      const address = this.symbols.get(name);
      if (address === undefined) throw new Error(`${this.design}: no symbol ${name}`);
      return address;
    };

    const boot: (BootCpu | null)[] = new Array(this.cpus).fill(null);
    const rq = symbol('runqueue');
    let queued = 0;
    for (const t of this.threads) {
      const ctx: ForgeContext = { memory: this.memory, thread: t, label, symbol };
      if (t.start.kind === 'running') {
        const cpu = t.start.cpu;
        if (boot[cpu] !== null) throw new Error(`${this.design}: two threads boot on cpu ${cpu}`);
        boot[cpu] = { pc: label(t.entry), sp: t.stackTop, interruptsEnabled: true, pcpu: this.pcpu[cpu]!, thread: t.id };
        this.memory.write(this.pcpu[cpu]! + PCPU_FIELDS.PCPU_CURRENT, t.tcb);
        this.memory.write(t.tcb + TCB.TCB_STATE, THREAD_STATE.RUNNING);
        this.memory.write(t.tcb + TCB.TCB_ON_CPU, 1);
      } else {
        if (t.forge !== undefined) this.memory.write(t.tcb + TCB.TCB_SP, t.forge(ctx));
        t.context?.(ctx);
        if (t.start.kind === 'ready') {
          if (queued >= RQ_CAPACITY) throw new Error('run queue full');
          this.memory.write(rq + RQ.RQ_SLOTS + queued * 8, t.tcb);
          queued++;
          this.memory.write(t.tcb + TCB.TCB_STATE, THREAD_STATE.READY);
        } else {
          this.memory.write(t.tcb + TCB.TCB_STATE, THREAD_STATE.DORMANT);
        }
      }
    }
    this.memory.write(rq + RQ.RQ_LEN, queued);
    const missing = boot.findIndex((b) => b === null);
    if (missing >= 0) throw new Error(`${this.design}: no thread boots on cpu ${missing}`);

    return {
      design: this.design,
      arch: this.arch,
      cpus: this.cpus,
      code: assembled.code,
      labels: assembled.labels,
      symbols: new Map(this.symbols),
      memory: this.memory,
      lines: this.lines.map(({ name, number, priority }) => ({ name, number, priority })),
      vectors: this.lines.map((l) => label(this.arch === 'x86_64' ? l.entry : 'irq_vector')),
      locks: this.locks,
      threads: this.threads.map(({ name, id, tcb, stackBase, stackTop }) => ({ name, id, tcb, stackBase, stackTop })),
      stacks: this.stacks,
      currentPointer: this.pcpu.map((p) => p + PCPU_FIELDS.PCPU_CURRENT),
      boot: boot as BootCpu[],
    };
  }
}
