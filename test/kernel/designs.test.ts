// Every design of the reference kernel runs; the broken ones fail as their seed documents say, within a
// bounded number of cycles and for pinned seeds; the correct ones survive every seed tried.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/conform/trace.js';
import { DESIGNS } from '../../src/kernel/designs/index.js';
import { TCB, THREAD_STATE } from '../../src/kernel/image.js';
import { bootDesign, findDesign, runDesign } from '../../src/kernel/run.js';

const design = (name: string) => {
  const d = findDesign(name);
  if (d === undefined) throw new Error(`no design ${name}`);
  return d;
};

describe('the designs', () => {
  it('are the seed designs, each with a model that exists', () => {
    expect(DESIGNS.map((d) => [d.name, d.arch, d.cpus, d.expect])).toEqual([
      ['004-old', 'x86_64', 2, 'hangs'],
      ['004-redesign', 'x86_64', 2, 'survives'],
      ['001-naive', 'x86_64', 1, 'hangs'],
      ['001-option2', 'x86_64', 1, 'survives'],
      ['002-ret-switch', 'x86_64', 1, 'faults'],
      ['002-option-c', 'x86_64', 1, 'survives'],
      ['003-aarch64', 'aarch64', 1, 'survives'],
      ['003-idle', 'aarch64', 1, 'survives'],
      ['003-wfi-masked', 'aarch64', 1, 'hangs'],
      ['003-reaper', 'aarch64', 1, 'survives'],
      ['003-csl', 'aarch64', 2, 'survives'],
    ]);
    for (const d of DESIGNS) expect(existsSync(d.model), d.model).toBe(true);
  });

  it('run the same way for the same seed', () => {
    const trace = (seed: number) => {
      const events: TraceEvent[] = [];
      runDesign(design('004-redesign'), { seed, cycles: 20_000, onEvent: (e) => events.push(e) });
      return JSON.stringify(events);
    };
    expect(trace(3)).toBe(trace(3));
    expect(trace(3)).not.toBe(trace(4));
  });
});

describe('broken designs fail concretely', () => {
  it('001-naive: the timer handler spins on LOOM, which the thread it interrupted holds (every seed)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const s = runDesign(design('001-naive'), { seed, cycles: 30_000 });
      expect(s.outcome.kind, `seed ${seed}`).toBe('hang');
      if (s.outcome.kind !== 'hang') continue;
      expect(s.outcome.cpus).toEqual([0]);
      expect(s.outcome.detail[0]).toMatch(/^cpu0 \(worker\): spinning on LOOM in spin_lock\+\d: .*, held by worker \(taken on cpu0\)$/);
    }
  });

  it('002-ret-switch: the first switch to a new thread returns through its register block, to address 0 (every seed)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const events: TraceEvent[] = [];
      const s = runDesign(design('002-ret-switch'), { seed, cycles: 1_000, onEvent: (e) => events.push(e) });
      expect(s.outcome.kind, `seed ${seed}`).toBe('fault');
      expect(events.at(-2)).toMatchObject({ event: 'switch', from: 'first', to: 'other[0]' });
      expect(events.at(-1)).toMatchObject({
        event: 'fault',
        vector: '#PF',
        reason: 'instruction fetch outside kernel code',
        address: '0x0',
        at: '0x0, reached by context_switch_go+11: ret',
        thread: 'other[0]',
      });
    }
  });

  it('004-old: fork and the tick deadlock two CPUs on PROC and SCHED, for the pinned seeds of 1..50', () => {
    const failing: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const s = runDesign(design('004-old'), { seed, cycles: 30_000 });
      if (s.outcome.kind === 'ok') continue;
      failing.push(seed);
      expect(s.outcome.kind, `seed ${seed}`).toBe('hang');
      if (s.outcome.kind !== 'hang') continue;
      expect(s.outcome.cpus).toEqual([0, 1]);
      const spins = s.outcome.detail.map((d) => /spinning on (\w+) in irqsave_lock/.exec(d)?.[1]).sort();
      expect(spins).toEqual(['PROC', 'SCHED']);
    }
    expect(failing).toEqual([1, 5, 25, 30, 33, 44]);
  });

  it('003-wfi-masked: the idle task loops on wfi with the tick pending and masked (every seed)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const s = runDesign(design('003-wfi-masked'), { seed, cycles: 30_000 });
      expect(s.outcome).toEqual({
        kind: 'hang',
        cpus: [0],
        detail: ['cpu0 (idle): looping on wfi at idle_main+0: wfi with interrupts masked: the pending line wakes it but is never taken'],
      });
    }
  });

  it('a frame that restores another thread\'s registers is caught by the thread\'s identity check', () => {
    // Arrange: 002-option-c until both threads have run and one is suspended in the stub; corrupt its saved r12.
    const machine = bootDesign(design('002-option-c'), { seed: 1 });
    const memory = machine.image.memory;
    const suspended = () => machine.image.threads.find((t) => memory.read(t.tcb + TCB.TCB_STATE) === THREAD_STATE.READY);
    while (machine.counters.switches < 2 || suspended() === undefined) machine.run(1);
    const victim = suspended()!;
    const other = machine.image.threads.find((t) => t !== victim)!;
    memory.write(memory.read(victim.tcb + TCB.TCB_SP) + 8, other.id); // r12 sits above r13 in the register block
    // Act
    const outcome = machine.run(5_000);
    // Assert
    expect(outcome.kind).toBe('fault');
    if (outcome.kind !== 'fault') return;
    expect([outcome.fault.vector, outcome.fault.reason, outcome.thread]).toEqual([
      'panic',
      "r12 does not hold the running thread's id: a frame restored another thread's registers",
      victim.name,
    ]);
    expect(machine.registers(machine.cpus[0]!).r12).toBe(`0x${other.id}`);
  });
});

describe('correct designs survive', () => {
  it.each(['004-redesign', '001-option2', '002-option-c', '003-aarch64', '003-idle', '003-reaper', '003-csl'])(
    '%s: no fault, no hang over 20 seeds, and it switches',
    (name) => {
      const d = design(name);
      for (let seed = 1; seed <= 20; seed++) {
        const s = runDesign(d, { seed, cycles: 60_000 });
        expect(s.outcome, `seed ${seed}`).toEqual({ kind: 'ok' });
        // 003-reaper has no timer: its one task runs once, exits and is reaped; the boot task yields to itself.
        if (name === '003-reaper') expect([s.switches, s.interrupts], `seed ${seed}`).toEqual([2, 0]);
        else {
          expect(s.switches, `seed ${seed}`).toBeGreaterThan(10);
          expect(s.interrupts, `seed ${seed}`).toBeGreaterThan(100);
        }
      }
    },
  );
});
