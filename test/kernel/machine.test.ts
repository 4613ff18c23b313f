// The emulated machine on hand-written kernels: interrupt frames as the hardware lays them out, the faults a
// bad return address or a bad frame raises, the sti shadow, lock words, the GIC, the watchdog.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/conform/trace.js';
import { CODE_BASE } from '../../src/kernel/asm.js';
import { ImageBuilder, KERNEL_CS, KERNEL_SS, PSTATE_EL1H, PSTATE_I, RFLAGS_IF } from '../../src/kernel/image.js';
import type { Arch } from '../../src/kernel/isa.js';
import { SP } from '../../src/kernel/isa.js';
import { Machine } from '../../src/kernel/machine.js';

/** One thread `t` at `main` on CPU 0, a `timer` line entering `stub` (x86) or `irq_vector` (aarch64), a lock L. */
function boot(arch: Arch, code: string, watchdog = 10_000): { machine: Machine; events: TraceEvent[] } {
  const b = new ImageBuilder('tiny', arch, 1);
  b.line('timer', arch === 'x86_64' ? 32 : 30, 1, arch === 'x86_64' ? 'stub' : 'irq_vector');
  b.lock('L', 'L');
  b.code(code);
  b.thread({ name: 't', entry: 'main', start: { kind: 'running', cpu: 0 } });
  const events: TraceEvent[] = [];
  const machine = new Machine(b.build(), { seed: 1, timer: { kind: 'off' }, watchdog, stall: 0, onEvent: (e) => events.push(e) });
  return { machine, events };
}

const label = (m: Machine, name: string): number => CODE_BASE + 4 * m.image.labels.get(name)!;
const bytes = (m: Machine, address: number, length: number): number[] =>
  Array.from(m.image.memory.bytes.subarray(address - m.image.memory.base, address - m.image.memory.base + length));
const le64 = (v: number): number[] => Array.from({ length: 8 }, (_, i) => Math.floor(v / 256 ** i) % 256);

describe('x86_64 interrupt entry and iret', () => {
  const code = `
main:
    work
    work
    jmp main
stub:
    nop
    iretq
`;

  it('pushes the five-word iret frame (RIP, CS, RFLAGS, RSP, SS) below the interrupted stack pointer', () => {
    // Arrange
    const { machine, events } = boot('x86_64', code);
    const cpu = machine.cpus[0]!;
    const top = machine.image.threads[0]!.stackTop;
    machine.stepCpu(0); // one work: pc is main+1
    // Act
    machine.raise(0, 'timer');
    machine.stepCpu(0);
    // Assert
    const frame = top - 40;
    expect(cpu.regs[SP]).toBe(frame);
    expect(bytes(machine, frame, 40)).toEqual([
      ...le64(label(machine, 'main') + 4),
      ...le64(KERNEL_CS),
      ...le64(0x2 | RFLAGS_IF),
      ...le64(top),
      ...le64(KERNEL_SS),
    ]);
    expect(cpu.pc).toBe(label(machine, 'stub'));
    expect(cpu.flags & RFLAGS_IF).toBe(0);
    expect(machine.intc.inService[0]).toBe(1);
    expect(machine.intc.pending[0]).toBe(0);
    expect(events).toEqual([{ cpu: 0, cycle: 0, event: 'irq_entry', line: 'timer', thread: 't' }]);
  });

  it('aligns the stack to 16 bytes before pushing, and iret restores the unaligned stack pointer', () => {
    const { machine } = boot('x86_64', `
main:
    push 7
    work
    jmp main
stub:
    iretq
`);
    const cpu = machine.cpus[0]!;
    const top = machine.image.threads[0]!.stackTop;
    machine.stepCpu(0); // push 7: rsp = top - 8
    machine.raise(0, 'timer');
    machine.stepCpu(0);
    expect(cpu.regs[SP]).toBe(top - 16 - 40);
    expect(machine.image.memory.read(top - 16 - 40 + 24)).toBe(top - 8);
    machine.stepCpu(0); // iretq
    expect([cpu.regs[SP], cpu.pc, cpu.flags]).toEqual([top - 8, label(machine, 'main') + 4, 0x2 | RFLAGS_IF]);
  });

  it('iret pops the frame back and names the thread whose frame it returns through', () => {
    const { machine, events } = boot('x86_64', code);
    const cpu = machine.cpus[0]!;
    machine.raise(0, 'timer');
    machine.stepCpu(0);
    machine.stepCpu(0); // nop
    machine.stepCpu(0); // iretq
    expect([cpu.regs[SP], cpu.pc, cpu.flags]).toEqual([machine.image.threads[0]!.stackTop, label(machine, 'main'), 0x2 | RFLAGS_IF]);
    expect(events.map((e) => [e.event, e.thread])).toEqual([
      ['irq_entry', 't'],
      ['iret', 't'],
    ]);
  });

  it('holds an interrupt off for one instruction after sti (the shadow)', () => {
    const { machine, events } = boot('x86_64', `
main:
    cli
    sti
    work
    work
    jmp main
stub:
    iretq
`);
    machine.stepCpu(0); // cli
    machine.raise(0, 'timer');
    machine.stepCpu(0); // sti: IF = 1, shadow
    machine.stepCpu(0); // work: still shadowed, executes
    expect(events.map((e) => e.event)).toEqual(['cli', 'sti']);
    machine.stepCpu(0); // now delivered, returning to the second work
    expect(events.map((e) => e.event)).toEqual(['cli', 'sti', 'irq_entry']);
    expect(machine.image.memory.read(machine.cpus[0]!.regs[SP]!)).toBe(label(machine, 'main') + 12);
  });
});

describe('faults', () => {
  const run = (code: string) => {
    const { machine, events } = boot('x86_64', `${code}\nstub:\n    iretq\n`);
    const outcome = machine.run(100);
    return { outcome, fault: events.find((e) => e.event === 'fault') };
  };

  it('a ret through a word that is not a return address faults at that address', () => {
    const { outcome, fault } = run(`
main:
    push 0x202
    ret`);
    expect(outcome.kind).toBe('fault');
    expect(fault).toMatchObject({ vector: '#PF', reason: 'instruction fetch outside kernel code', address: '0x202', at: '0x202, reached by main+1: ret' });
  });

  it('a jump to a non-canonical address is a #GP', () => {
    const { fault } = run(`
main:
    mov rax, 0x800000000000
    push rax
    ret`);
    expect(fault).toMatchObject({ vector: '#GP', reason: 'instruction fetch from a non-canonical address', address: '0x800000000000' });
  });

  it('an iret through something that is not an interrupt frame is a #GP on its code selector', () => {
    const { fault } = run(`
main:
    push 0
    push 0
    push 0x202
    push 0x33
    push main
    iretq`);
    expect(fault).toMatchObject({ vector: '#GP', reason: 'iret: bad code segment selector 0x33 in the frame', address: '0x33', at: 'main+5: iretq' });
  });

  it('running off the bottom of a stack hits its unmapped guard page', () => {
    const { machine, events } = boot('x86_64', `
main:
    push 1
    jmp main
stub:
    iretq
`);
    machine.run(5_000);
    const base = machine.image.threads[0]!.stackBase;
    expect(events.at(-1)).toMatchObject({ event: 'fault', vector: '#PF', reason: 'write of an unmapped address', address: `0x${(base - 8).toString(16)}` });
  });

  it('a kernel panic is a fault with its message', () => {
    expect(run(`
main:
    panic "scheduler BUG"`).fault).toMatchObject({ vector: 'panic', reason: 'scheduler BUG', at: 'main+0: panic "scheduler BUG"' });
  });
});

describe('lock words', () => {
  it('logs an acquire when xchg takes a free lock, nothing while it spins, a release when it is cleared', () => {
    const { machine, events } = boot('x86_64', `
main:
    mov rdi, L
    mov rax, 1
    xchg rax, [rdi]
    mov rax, 1
    xchg rax, [rdi]
    store [rdi], 0
    work
    jmp main
stub:
    iretq
`);
    for (let i = 0; i < 6; i++) machine.stepCpu(0);
    expect(events).toEqual([
      { cpu: 0, cycle: 0, event: 'lock_acquire', lock: 'L', thread: 't' },
      { cpu: 0, cycle: 0, event: 'lock_release', lock: 'L', thread: 't' },
    ]);
  });
});

describe('the watchdog', () => {
  it('declares a CPU spinning on a lock its own interrupted thread holds hung, and says who holds it', () => {
    const { machine } = boot(
      'x86_64',
      `
main:
    mov rdi, L
    mov rax, 1
    xchg rax, [rdi]
spin:
    work
    jmp spin
stub:
    mov rdi, L
stub_spin:
    mov rax, 1
    xchg rax, [rdi]
    cmp rax, 0
    jne stub_spin
    iretq
`,
      1_000,
    );
    machine.run(10);
    machine.raise(0, 'timer');
    const outcome = machine.run(5_000);
    expect(outcome.kind).toBe('hang');
    if (outcome.kind !== 'hang') return;
    expect(outcome.cpus).toEqual([0]);
    expect(outcome.detail[0]).toMatch(/^cpu0 \(t\): spinning on L in stub_spin\+\d: .*, held by t \(taken on cpu0\)$/);
  });

  it('declares hlt with interrupts masked a hang: only an NMI would wake it', () => {
    const { machine } = boot('x86_64', `
main:
    cli
    hlt
stub:
    iretq
`, 1_000);
    const outcome = machine.run(5_000);
    expect(outcome).toEqual({ kind: 'hang', cpus: [0], detail: ['cpu0 (t): hlt with interrupts masked; only an NMI would wake it'] });
  });
});

describe('aarch64 exception entry and the GIC', () => {
  it('pushes nothing: ELR_EL1 and SPSR_EL1 take the return state, PSTATE.I is set', () => {
    const { machine, events } = boot('aarch64', `
main:
    work
    b main
irq_vector:
    ack x0
    eoi x0
    eret
`);
    const cpu = machine.cpus[0]!;
    const sp = cpu.regs[SP];
    machine.stepCpu(0);
    machine.raise(0, 'timer');
    machine.stepCpu(0);
    expect([cpu.regs[SP], cpu.elr, cpu.spsr, cpu.flags & PSTATE_I]).toEqual([sp, label(machine, 'main') + 4, PSTATE_EL1H, PSTATE_I]);
    expect(machine.intc.pending[0]).toBe(1); // pending until acknowledged
    machine.stepCpu(0); // ack
    expect([cpu.regs[0], machine.intc.pending[0], machine.intc.inService[0]]).toEqual([30, 0, 1]);
    machine.stepCpu(0); // eoi
    machine.stepCpu(0); // eret
    expect([cpu.pc, cpu.flags & PSTATE_I]).toEqual([label(machine, 'main') + 4, 0]);
    expect(events.map((e) => e.event)).toEqual(['irq_entry', 'ack', 'eoi', 'eret']);
  });

  it('a second exception taken before ELR/SPSR are saved overwrites them: eret returns into the handler', () => {
    const { machine, events } = boot('aarch64', `
main:
    work
    b main
irq_vector:
    ack x0
    eoi x0
    sti
    nop
    eret
`);
    const cpu = machine.cpus[0]!;
    machine.raise(0, 'timer');
    machine.stepCpu(0); // entry: ELR = main
    machine.stepCpu(0); // ack
    machine.stepCpu(0); // eoi
    machine.raise(0, 'timer');
    machine.stepCpu(0); // sti: unmasked with the line pending again
    machine.stepCpu(0); // nested entry: ELR = irq_vector+3, the nop
    expect(cpu.elr).toBe(label(machine, 'irq_vector') + 12);
    for (let i = 0; i < 5; i++) machine.stepCpu(0); // ack, eoi, sti, nop, eret
    expect(cpu.pc).toBe(label(machine, 'irq_vector') + 12); // back in the handler: main's return state is lost
    machine.stepCpu(0); // nop
    machine.stepCpu(0); // eret again, through the same overwritten ELR
    expect(cpu.pc).toBe(label(machine, 'irq_vector') + 12);
    expect(events.filter((e) => e.event === 'irq_entry')).toHaveLength(2);
  });

  it('wfi with interrupts masked wakes on a pending line without taking it', () => {
    const { machine, events } = boot('aarch64', `
main:
    cli
    wfi
    work
    b main
irq_vector:
    eret
`);
    machine.stepCpu(0); // cli
    machine.stepCpu(0); // wfi: nothing pending, waits
    machine.stepCpu(0);
    expect(machine.cpus[0]!.halted).toBe('wfi');
    machine.raise(0, 'timer');
    machine.stepCpu(0); // wakes: logged, not taken
    machine.stepCpu(0); // work
    expect(events.map((e) => e.event)).toEqual(['cli', 'wfi']);
    expect(machine.cpus[0]!.pc).toBe(label(machine, 'main') + 12);
  });
});

describe('the timer', () => {
  const runWith = (seed: number) => {
    const b = new ImageBuilder('tick', 'x86_64', 1);
    b.line('timer', 32, 1, 'stub');
    b.code(`
main:
    work
    jmp main
stub:
    eoi VEC_TIMER
    iretq
`);
    b.thread({ name: 't', entry: 'main', start: { kind: 'running', cpu: 0 } });
    const cycles: number[] = [];
    const m = new Machine(b.build(), {
      seed,
      timer: { kind: 'periodic', period: 100, jitter: 40 },
      watchdog: 10_000,
      stall: 0,
      onEvent: (e) => {
        if (e.event === 'irq_entry') cycles.push(e.cycle);
      },
    });
    m.run(1_000);
    return cycles;
  };

  it('fires every period give or take the jitter, the same way for the same seed', () => {
    const first = runWith(5);
    expect(first).toEqual(runWith(5));
    expect(first).not.toEqual(runWith(6));
    const gaps = first.slice(1).map((c, i) => c - first[i]!);
    expect(gaps.every((g) => g >= 60 && g <= 141)).toBe(true);
  });

  it('in forced mode raises the line exactly when the CPU has retired the given instructions', () => {
    const b = new ImageBuilder('forced', 'x86_64', 1);
    b.line('timer', 32, 1, 'stub');
    b.code('main:\n    work\n    jmp main\nstub:\n    eoi VEC_TIMER\n    iretq\n');
    b.thread({ name: 't', entry: 'main', start: { kind: 'running', cpu: 0 } });
    const entries: number[] = [];
    const m = new Machine(b.build(), {
      seed: 1,
      timer: { kind: 'forced', at: [{ cpu: 0, retired: 7 }, { cpu: 0, retired: 20 }] },
      watchdog: 10_000,
      stall: 0,
      onEvent: (e) => {
        if (e.event === 'irq_entry') entries.push(m.cpus[0]!.retired);
      },
    });
    m.run(100);
    expect(entries).toEqual([7, 20]);
  });
});
