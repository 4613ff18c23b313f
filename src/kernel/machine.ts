// The emulated machine: CPUs with registers and a flags word, the kernel image's memory, a per-CPU interrupt
// controller, a timer and a watchdog. Every cycle each CPU either takes a deliverable interrupt (hardware
// entry writes the frame, as below) or executes one instruction. Nothing here knows a design: a bug shows as
// the hardware would show it, a fetch from an address that is not code, a #GP on `iret`, a CPU that makes
// no progress until the watchdog trips.
//
// x86_64 interrupt entry: align RSP down to 16, push SS, RSP, RFLAGS, CS, RIP (the five-word iret frame),
// clear IF (interrupt gate), mark the line in service, jump to its vector. `iret` pops the same five words.
// aarch64: ELR_EL1 <- return address, SPSR_EL1 <- PSTATE, mask DAIF, jump to the IRQ vector; nothing is
// pushed, and a second entry before software saved ELR/SPSR overwrites them.

import type { TraceEvent } from '../conform/trace.js';
import { CODE_BASE, INSTR_BYTES } from './asm.js';
import { type CpuState, bootCpu, compare, condition, interruptsEnabled, setInterrupts, alu } from './cpu.js';
import { type KernelImage, KERNEL_CS, KERNEL_SS, PSTATE_DAIF, PSTATE_EL1H, RFLAGS_IF, RFLAGS_RESERVED } from './image.js';
import { InterruptController, SPURIOUS } from './intc.js';
import { describePc, explainStuck, registerDump } from './inspect.js';
import { type Instr, type Mem, type Src, type TraceAnnotation, LR, SP, unreachable } from './isa.js';
import { Fault, PAGE, canonical, hex } from './memory.js';
import { Prng } from './prng.js';
import { Timer, type TimerMode } from './timer.js';

export interface MachineOptions {
  seed: number;
  timer: TimerMode;
  /** Cycles without progress after which a CPU is declared hung. */
  watchdog: number;
  /** Probability (numerator / 256) that a CPU stalls for a cycle: memory latency, which varies interleavings. */
  stall: number;
  onEvent?: (event: TraceEvent) => void;
}

export type { CpuState };

export type Outcome =
  | { kind: 'running' }
  | { kind: 'ok' }
  | { kind: 'fault'; cpu: number; fault: Fault; at: string; thread: string }
  | { kind: 'hang'; cpus: number[]; detail: string[] };

export interface Counters {
  instructions: number;
  interrupts: number;
  switches: number;
  eois: number;
  lockAcquires: number;
}

export class Machine {
  readonly cpus: CpuState[];
  readonly intc: InterruptController;
  readonly counters: Counters = { instructions: 0, interrupts: 0, switches: 0, eois: 0, lockAcquires: 0 };
  cycle = 0;
  outcome: Outcome = { kind: 'running' };
  private timer: Timer;
  private readonly prng: Prng;
  private readonly tcbNames = new Map<number, string>();
  /** Who took each held lock word, for hang reports. */
  readonly lockHolders = new Map<number, { cpu: number; thread: string }>();
  private readonly timerLine: number;

  constructor(
    readonly image: KernelImage,
    readonly options: MachineOptions,
  ) {
    this.prng = new Prng(options.seed);
    this.timer = new Timer(options.timer, image.cpus, this.prng);
    this.intc = new InterruptController(image.arch, image.lines, image.cpus);
    this.timerLine = image.lines.findIndex((l) => l.name === 'timer');
    for (const t of image.threads) this.tcbNames.set(t.tcb, t.name);
    this.cpus = image.boot.map((_, id) => bootCpu(image, id));
  }

  // ---------------------------------------------------------------------------------------------------
  // Running

  /** Runs until a fault, a hang, or `cycles` more cycles (then `ok`: it may run on). */
  run(cycles: number): Outcome {
    const end = this.cycle + cycles;
    while (this.outcome.kind === 'running' && this.cycle < end) this.tick();
    return this.outcome.kind === 'running' ? { kind: 'ok' } : this.outcome;
  }

  /**
   * CPUs that do not run (replay holds them, as an NMI, an SMI or a preempted vCPU would): their timer still
   * raises its line, and the watchdog does not count their stillness. Used with the timer ticking or not.
   */
  readonly held = new Set<number>();

  /** One cycle: timers, then every CPU (unless it stalls or is held), then the watchdog. */
  tick(): void {
    for (const cpu of this.cpus) {
      if (this.outcome.kind !== 'running') return;
      if (this.timerLine >= 0 && this.timer.fires(cpu.id, this.cycle, cpu.retired)) this.intc.raise(cpu.id, this.timerLine);
      if (this.held.has(cpu.id)) continue;
      if (this.options.stall > 0 && this.prng.below(256) < this.options.stall) continue;
      this.stepCpu(cpu.id);
    }
    this.cycle++;
    this.checkWatchdog();
  }

  /** Replaces the timer (a replay forces the interrupts it needs, then lets the timer tick again). */
  setTimer(mode: TimerMode): void {
    this.timer = new Timer(mode, this.image.cpus, this.prng, this.cycle);
  }

  /** Makes a line pending on a CPU, as a device (or a replay) would. */
  raise(cpu: number, line: string): void {
    const index = this.image.lines.findIndex((l) => l.name === line);
    if (index < 0) throw new Error(`no line ${line}`);
    this.intc.raise(cpu, index);
  }

  /** One step of one CPU: take a deliverable interrupt, or execute one instruction. */
  stepCpu(id: number): void {
    const cpu = this.cpus[id]!;
    try {
      if (cpu.halted === 'wfi' && this.intc.anyPending(id)) {
        // The wake-up. If the line can be taken now it is, and the wfi returns into it: no step of its own.
        cpu.halted = 'no';
        if (this.deliverable(cpu) < 0) {
          this.emit(cpu, { event: 'wfi' });
          return;
        }
      }
      const line = this.deliverable(cpu);
      if (line >= 0) {
        this.enterInterrupt(cpu, line);
        return;
      }
      if (cpu.halted !== 'no') return;
      const pc = cpu.pc;
      const instr = this.fetch(cpu);
      const shadowed = cpu.shadow;
      this.execute(cpu, instr);
      cpu.lastPc = pc;
      if (shadowed) cpu.shadow = false;
      cpu.retired++;
      this.counters.instructions++;
    } catch (error) {
      if (!(error instanceof Fault)) throw error;
      this.fault(cpu, error);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Interrupts

  interruptsEnabled(cpu: CpuState): boolean {
    return interruptsEnabled(this.image.arch, cpu);
  }

  private deliverable(cpu: CpuState): number {
    if (!this.interruptsEnabled(cpu) || cpu.shadow) return -1;
    return this.intc.signalled(cpu.id);
  }

  private enterInterrupt(cpu: CpuState, line: number): void {
    const thread = this.currentThread(cpu.id);
    if (this.image.arch === 'x86_64') {
      const oldSp = cpu.regs[SP]!;
      cpu.regs[SP] = oldSp - (((oldSp % 16) + 16) % 16);
      this.push(cpu, KERNEL_SS);
      this.push(cpu, oldSp);
      this.push(cpu, cpu.flags);
      this.push(cpu, KERNEL_CS);
      this.push(cpu, cpu.pc);
      cpu.flags &= ~RFLAGS_IF;
      cpu.pc = this.image.vectors[line]!;
    } else {
      cpu.elr = cpu.pc;
      cpu.spsr = cpu.flags;
      cpu.flags = (cpu.flags | PSTATE_DAIF) >>> 0;
      cpu.pc = this.image.vectors[line]!;
    }
    this.intc.deliver(cpu.id, line);
    // Delivery is progress (as the model counts it); a CPU that only spins or waits with interrupts masked
    // makes none.
    cpu.halted = 'no';
    cpu.lastProgress = this.cycle;
    this.counters.interrupts++;
    this.emit(cpu, { event: 'irq_entry', line: this.image.lines[line]!.name, thread });
  }

  // ---------------------------------------------------------------------------------------------------
  // Instructions

  private fetch(cpu: CpuState): Instr {
    const pc = cpu.pc;
    if (!canonical(pc)) throw new Fault('#GP', 'instruction fetch from a non-canonical address', pc);
    const index = (pc - CODE_BASE) / INSTR_BYTES;
    const instr = Number.isInteger(index) ? this.image.code[index] : undefined;
    if (instr === undefined) throw new Fault('#PF', 'instruction fetch outside kernel code', pc);
    return instr;
  }

  private execute(cpu: CpuState, instr: Instr): void {
    const regs = cpu.regs;
    // Annotation arguments are read before the instruction changes registers.
    const logged = instr.trace.length === 0 ? null : instr.trace.map((a) => this.annotationEvent(cpu, a));
    let next = cpu.pc + INSTR_BYTES;
    switch (instr.op) {
      case 'mov':
        regs[instr.dst] = this.src(cpu, instr.src);
        break;
      case 'load':
        regs[instr.dst] = this.image.memory.read(this.address(cpu, instr.addr));
        break;
      case 'store':
        this.store(cpu, this.address(cpu, instr.addr), this.src(cpu, instr.src), instr.silent);
        break;
      case 'alu':
        regs[instr.dst] = alu(instr.fn, regs[instr.dst]!, this.src(cpu, instr.src));
        break;
      case 'cmp':
        compare(this.image.arch, cpu, regs[instr.left]!, this.src(cpu, instr.right));
        break;
      case 'jmp':
        next = codeAddressOf(instr.target);
        break;
      case 'jcc':
        if (condition(this.image.arch, cpu, instr.cond)) next = codeAddressOf(instr.target);
        break;
      case 'call':
      case 'callr': {
        const target = instr.op === 'call' ? codeAddressOf(instr.target) : regs[instr.reg]!;
        if (this.image.arch === 'x86_64') this.push(cpu, next);
        else regs[LR] = next;
        next = target;
        break;
      }
      case 'ret':
        next = this.image.arch === 'x86_64' ? this.pop(cpu) : regs[LR]!;
        break;
      case 'push':
        this.push(cpu, this.src(cpu, instr.src));
        break;
      case 'pop':
        regs[instr.dst] = this.pop(cpu);
        break;
      case 'pushf':
        this.push(cpu, cpu.flags);
        break;
      case 'popf':
        cpu.flags = this.pop(cpu) | RFLAGS_RESERVED;
        break;
      case 'cli':
      case 'sti':
        setInterrupts(this.image.arch, cpu, instr.op === 'sti');
        if (instr.op === 'sti' && this.image.arch === 'x86_64') cpu.shadow = true;
        if (!instr.silent) this.emit(cpu, { event: instr.op });
        break;
      case 'iret':
        next = this.iret(cpu, instr.silent);
        break;
      case 'eret':
        next = this.eret(cpu, instr.silent);
        break;
      case 'mrs':
        regs[instr.dst] = instr.sysreg === 'elr' ? cpu.elr : instr.sysreg === 'spsr' ? cpu.spsr : cpu.flags & PSTATE_DAIF;
        break;
      case 'msr': {
        const v = regs[instr.src]!;
        if (instr.sysreg === 'elr') cpu.elr = v;
        else if (instr.sysreg === 'spsr') cpu.spsr = v;
        else cpu.flags = ((cpu.flags & ~PSTATE_DAIF) | (v & PSTATE_DAIF)) >>> 0;
        break;
      }
      case 'xchg':
        this.exchange(cpu, instr.reg, this.address(cpu, instr.addr), instr.silent);
        break;
      case 'pause':
      case 'nop':
        break;
      case 'hlt':
        // Not logged: a halted CPU does nothing the model sees until an interrupt is delivered.
        cpu.halted = 'hlt';
        break;
      case 'wfi':
        // Logged when it completes: at once if a line is pending (masked or not), else on the wake-up.
        if (this.intc.anyPending(cpu.id)) {
          if (!instr.silent) this.emit(cpu, { event: 'wfi' });
        } else cpu.halted = 'wfi';
        break;
      case 'eoi':
        this.endOfInterrupt(cpu, this.src(cpu, instr.src), instr.silent);
        break;
      case 'ack': {
        const line = this.intc.acknowledge(cpu.id);
        regs[instr.dst] = line < 0 ? SPURIOUS : this.image.lines[line]!.number;
        if (line >= 0 && !instr.silent) this.emit(cpu, { event: 'ack', line: this.image.lines[line]!.name });
        break;
      }
      case 'work':
        cpu.lastProgress = this.cycle;
        break;
      case 'free': {
        const page = regs[instr.reg]!;
        if (page % PAGE !== 0 || !this.image.memory.isMapped(page)) throw new Fault('panic', 'freeing a page that is not allocated', page);
        this.image.memory.unmap(page, PAGE);
        break;
      }
      case 'panic':
        throw new Fault('panic', instr.message, null);
      default:
        unreachable(instr);
    }
    cpu.pc = next;
    if (logged !== null) for (const event of logged) if (event !== null) this.emit(cpu, event);
  }

  private src(cpu: CpuState, src: Src): number {
    return src.kind === 'imm' ? src.value : cpu.regs[src.reg]!;
  }

  private address(cpu: CpuState, mem: Mem): number {
    return (mem.base === null ? 0 : cpu.regs[mem.base]!) + mem.offset;
  }

  push(cpu: CpuState, value: number): void {
    const sp = cpu.regs[SP]! - 8;
    this.image.memory.write(sp, value);
    cpu.regs[SP] = sp;
  }

  pop(cpu: CpuState): number {
    const sp = cpu.regs[SP]!;
    const value = this.image.memory.read(sp);
    cpu.regs[SP] = sp + 8;
    return value;
  }

  private iret(cpu: CpuState, silent: boolean): number {
    const frame = cpu.regs[SP]!;
    const memory = this.image.memory;
    const rip = memory.read(frame);
    const cs = memory.read(frame + 8);
    const rflags = memory.read(frame + 16);
    const rsp = memory.read(frame + 24);
    const ss = memory.read(frame + 32);
    if (cs !== KERNEL_CS) throw new Fault('#GP', `iret: bad code segment selector ${hex(cs)} in the frame`, cs);
    if (ss !== KERNEL_SS && ss !== 0) throw new Fault('#GP', `iret: bad stack segment selector ${hex(ss)} in the frame`, ss);
    if (!canonical(rip)) throw new Fault('#GP', 'iret to a non-canonical address', rip);
    cpu.flags = (rflags | RFLAGS_RESERVED) & ~0xffc00000;
    cpu.regs[SP] = rsp;
    if (!silent) this.emit(cpu, { event: 'iret', thread: this.stackOwner(frame) ?? this.currentThread(cpu.id) });
    return rip;
  }

  private eret(cpu: CpuState, silent: boolean): number {
    const mode = cpu.spsr % 16;
    if (mode !== PSTATE_EL1H && mode !== 0x4) throw new Fault('illegal-return', `eret with SPSR_EL1 ${hex(cpu.spsr)}`, cpu.elr);
    cpu.flags = cpu.spsr >>> 0;
    if (!silent) this.emit(cpu, { event: 'eret', thread: this.stackOwner(cpu.regs[SP]!) ?? this.currentThread(cpu.id) });
    return cpu.elr;
  }

  private endOfInterrupt(cpu: CpuState, number: number, silent: boolean): void {
    if (this.image.arch === 'aarch64' && number === SPURIOUS) return;
    const line = this.intc.lineByNumber(number);
    if (line < 0) throw new Fault('#GP', `EOI for unknown vector ${number}`, null);
    this.intc.endOfInterrupt(cpu.id, line);
    this.counters.eois++;
    if (!silent) this.emit(cpu, { event: 'eoi', line: this.image.lines[line]!.name });
  }

  private exchange(cpu: CpuState, reg: number, address: number, silent: boolean): void {
    const memory = this.image.memory;
    const old = memory.read(address);
    const value = cpu.regs[reg]!;
    memory.write(address, value);
    cpu.regs[reg] = old;
    const lock = this.image.locks.get(address);
    if (lock === undefined) return;
    if (old === 0 && value !== 0) {
      const thread = this.currentThread(cpu.id);
      this.lockHolders.set(address, { cpu: cpu.id, thread });
      this.counters.lockAcquires++;
      if (!silent) this.emit(cpu, { event: 'lock_acquire', lock, thread });
    } else if (old !== 0) {
      cpu.spinLock = address;
      cpu.spinCycle = this.cycle;
    }
  }

  private store(cpu: CpuState, address: number, value: number, silent: boolean): void {
    this.image.memory.write(address, value);
    const lock = this.image.locks.get(address);
    if (lock !== undefined && value === 0) {
      this.lockHolders.delete(address);
      if (!silent) this.emit(cpu, { event: 'lock_release', lock, thread: this.currentThread(cpu.id) });
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Threads, events, faults, the watchdog

  /** The thread the CPU's `current` pointer names. */
  currentThread(cpu: number): string {
    const tcb = this.image.memory.read(this.image.currentPointer[cpu]!);
    return this.tcbNames.get(tcb) ?? `tcb@${hex(tcb)}`;
  }

  /** The thread whose kernel stack holds an address, or null (a handler stack, or no stack). */
  stackOwner(address: number): string | null {
    for (const s of this.image.stacks) {
      if (address >= s.base && address < s.top) return s.thread >= 0 ? s.owner : null;
    }
    return null;
  }

  /** The event an annotation logs; a switch from a thread to itself is no switch and logs nothing. */
  private annotationEvent(cpu: CpuState, a: TraceAnnotation): Omit<TraceEvent, 'cpu' | 'cycle'> | null {
    const event: Record<string, unknown> = { event: a.event };
    for (const [key, ref] of Object.entries(a.threads)) {
      if (ref.kind === 'current') event[key] = this.currentThread(cpu.id);
      else {
        const tcb = cpu.regs[ref.reg]!;
        event[key] = this.tcbNames.get(tcb) ?? `tcb@${hex(tcb)}`;
      }
    }
    Object.assign(event, a.literals);
    if (a.event === 'switch' && event.from === event.to) return null;
    return event as unknown as Omit<TraceEvent, 'cpu' | 'cycle'>;
  }

  private emit(cpu: CpuState, event: Omit<TraceEvent, 'cpu' | 'cycle'>): void {
    if (event.event === 'switch') this.counters.switches++;
    this.options.onEvent?.({ cpu: cpu.id, cycle: this.cycle, ...event } as TraceEvent);
  }

  /** `routine+offset: instruction` for a code address, or the address alone. */
  describe(pc: number): string {
    return describePc(this.image, pc);
  }

  registers(cpu: CpuState): Record<string, string> {
    return registerDump(this.image.arch, cpu);
  }

  private fault(cpu: CpuState, fault: Fault): void {
    // A fetch from outside the code was reached by the last instruction (a ret, an iret): name that one too.
    const fetched = this.isCode(cpu.pc);
    const at = fetched ? this.describe(cpu.pc) : `${hex(cpu.pc)}, reached by ${this.describe(cpu.lastPc)}`;
    const thread = this.currentThread(cpu.id);
    this.outcome = { kind: 'fault', cpu: cpu.id, fault, at, thread };
    this.emit(cpu, {
      event: 'fault',
      vector: fault.vector,
      reason: fault.reason,
      ...(fault.address === null ? {} : { address: hex(fault.address) }),
      pc: hex(cpu.pc),
      at,
      thread,
      registers: this.registers(cpu),
    });
  }

  private isCode(pc: number): boolean {
    const index = (pc - CODE_BASE) / INSTR_BYTES;
    return Number.isInteger(index) && index >= 0 && index < this.image.code.length;
  }

  /** Lets held CPUs run again; the watchdog starts afresh for them. */
  release(): void {
    for (const id of this.held) this.cpus[id]!.lastProgress = this.cycle;
    this.held.clear();
  }

  private checkWatchdog(): void {
    const limit = this.options.watchdog;
    const running = this.held.size === 0 ? this.cpus : this.cpus.filter((c) => !this.held.has(c.id));
    if (!running.some((c) => this.cycle - c.lastProgress >= limit)) return;
    const stuck = running.filter((c) => this.cycle - c.lastProgress >= limit / 2);
    const detail = stuck.map((c) => explainStuck(this, c));
    this.outcome = { kind: 'hang', cpus: stuck.map((c) => c.id), detail };
    this.options.onEvent?.({ cpu: stuck[0]!.id, cycle: this.cycle, event: 'hang', cpus: stuck.map((c) => c.id), detail });
  }
}

function codeAddressOf(index: number): number {
  return CODE_BASE + index * INSTR_BYTES;
}
