// Interrupt controllers (`machine { controller i8259 | gic }`): the 8259A's fixed priorities and its specific and
// non-specific EOI, the GIC's acknowledge into a variable, EOI of a variable id and running priority. Each rule
// is written once in src/hw, so the reference interpreter, the compiled successor function and the SMT encoding
// agree; each regression model's verdict flips when its rule is reverted (said in each model's header).

import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import { expectedEvents } from '../../src/conform/expected.js';
import { machineOf } from '../../src/hw/build.js';
import { instrText } from '../../src/ir/print.js';
import { readFileSync } from 'node:fs';
import { cexOf, check, find, load, modelOf, walk } from './helpers.js';

const TWO_SGIS = `machine aarch64 { cpus 1; controller gic; irq low line 2 priority 160 none; irq high line 3 priority 128 none }
const HIGH = 3
percpu var id : 0..1023 = 1023
thread t on 0 { cli; raise low to cpu; raise high to cpu; sti; loop { work } }
handler irq on vector { id := ack; eoi id; eoi HIGH; eret }`;

describe('8259A in fully nested mode', () => {
  it('IR0 interrupts the IR1 handler', async () => {
    await expectBothEngines('i8259-ir0-preempts', 'assertions', 'violated 36 6', 'violated 6', 0);
  });
  it('IR1 is held off while IR0 is in service', async () => {
    await expectBothEngines('i8259-ir1-held-off', 'assertions', 'holds 44', 'holds', 12);
  });
  it('a non-specific EOI clears the highest-priority ISR bit', async () => {
    // The SMT engine proves the immediate rules (no EOI of a line not in service, no return with it in service)
    // and leaves "in service for ever" to the explicit engine (docs/smt.md): inconclusive, not holds.
    await expectBothEngines('i8259-nonspecific-eoi', 'eoi-discipline', 'holds 48', 'inconclusive', 12);
  });
  it('a specific EOI of the wrong level leaves the right one in service', async () => {
    await expectBothEngines('i8259-specific-eoi-wrong', 'eoi-discipline', 'violated 18 4', 'violated 4', 0);
  });
});

describe('GIC: acknowledge into a variable, EOI of a variable id, running priority', () => {
  it('the IAR returns the highest-priority pending INTID', async () => {
    await expectBothEngines('gic-ack-priority', 'assertions', 'holds 18', 'holds', 12);
  });
  it('the IAR acknowledges nothing below the running priority: 1023', async () => {
    await expectBothEngines('gic-ack-below-running', 'assertions', 'holds 17', 'holds', 12);
  });
  it('the running priority holds off a lower priority until the EOI', async () => {
    await expectBothEngines('gic-running-priority', 'assertions', 'holds 68', 'holds', 12);
  });
  it('a loop that reads the IAR until 1023 and EOIs only what it acknowledged', async () => {
    await expectBothEngines('gic-ack-loop', 'eoi-discipline', 'holds 384', 'inconclusive', 12);
  });
  it('the priority mask holds IRQs off (pseudo-NMI local_irq_disable)', async () => {
    await expectBothEngines('gic-pmr-irqoff', 'assertions', 'holds 57', 'holds', 12);
  });
  it('interrupts are off under a priority mask that holds lines back: irqs_enabled, irq-lock-safety (pseudo-NMI)', async () => {
    await expectBothEngines('gic-pmr-lock-safety', 'irq-lock-safety', 'holds 74', 'holds', 12);
    await expectBothEngines('gic-pmr-lock-safety', 'assertions', 'holds 74', 'holds', 12);
    await expectBothEngines('gic-pmr-lock-irqon', 'irq-lock-safety', 'violated 17 4', 'violated 4', 0);
  });
  it('interrupts are off under a mask that holds back a line the most open mask the code writes lets through (FreeRTOS 0xff)', async () => {
    await expectBothEngines('gic-pmr-unmask-ff', 'irq-lock-safety', 'holds 32', 'holds', 12);
  });
  it('a priority below the mask gets through it (pseudo-NMI)', async () => {
    await expectBothEngines('gic-pmr-nmi', 'assertions', 'violated 59 6', 'violated 6', 0);
  });
  it('a wfi does not wake on a line the priority mask holds back', async () => {
    await expectBothEngines('gic-pmr-wfi', 'no-deadlock', 'violated 32 6', 'violated 6', 0);
  });
  it('a wfi with the mask raised wakes on the IPI', async () => {
    // The SMT engine proves no stuck state is reachable and leaves the graph part of no-deadlock to the explicit
    // engine (docs/smt.md): inconclusive, not holds.
    await expectBothEngines('gic-pmr-wfi-irqon', 'no-deadlock', 'holds 119', 'inconclusive', 12);
  });
  it('EOImode 1: EOIR drops the priority, DIR deactivates', async () => {
    await expectBothEngines('gic-eoimode1', 'eoi-discipline', 'holds 237', 'inconclusive', 12);
  });
  it('EOImode 1: a handler that never writes DIR leaves its interrupt active, for good (explicit only)', async () => {
    await expectBothEngines('gic-eoimode1-no-deactivate', 'eoi-discipline', 'violated 12 2', 'inconclusive', 12);
  });
  it('EOImode 1: returning with a line dropped but active is no violation; deactivated later, it holds (a vCPU-forwarded interrupt)', async () => {
    await expectBothEngines('gic-eoimode1-forwarded', 'eoi-discipline', 'holds 18', 'inconclusive', 12);
  });
  it('EOImode 1: after the priority drop an equal priority nests', async () => {
    await expectBothEngines('gic-eoimode1-drop-nests', 'assertions', 'violated 57 12', 'violated 12', 0);
  });
  it('an EOI of the spurious INTID is an eoi-discipline violation', async () => {
    await expectBothEngines('gic-ack-loop-eoi-spurious', 'eoi-discipline', 'violated 93 10', 'violated 10', 0);
  });
});

describe('GIC statements', () => {
  it('lower to an IAR read into the variable, an EOIR of its value and, for a constant INTID, the EOI of its line', () => {
    const program = load(TWO_SGIS);
    const vector = program.units.find((u) => u.name === 'irq')!;
    expect(vector.lines).toEqual([0, 1]);
    expect(program.lines.map((l) => `${l.name} ${l.number} ${l.priority} ${l.handler}`)).toEqual([`low 2 96 ${vector.id}`, `high 3 128 ${vector.id}`]);
    expect(vector.code.slice(0, 3).map((i) => instrText(program, i, 'ir'))).toEqual(['id := ack', 'eoi id', 'eoi high']);
  });

  it('acknowledge the higher priority first and log it as the ack and EOI of its line', () => {
    const model = modelOf(TWO_SGIS);
    const m = machineOf(model);
    const before = walk(model, 'cli', 'raise low to cpu', 'raise high to cpu', 'sti', 'interrupt high taken');
    const ack = find(model, before, 'id := ack');
    expect(expectedEvents(model, m, before, ack)).toEqual([{ cpu: 0, event: 'ack', line: 'high' }]);
    const after = model.successor(before, ack).next;
    expect([m.pending(after, 0), m.inService(after, 0)]).toEqual([0b01, 0b10]);
    expect(expectedEvents(model, m, after, find(model, after, 'eoi id'))).toEqual([{ cpu: 0, event: 'eoi', line: 'high' }]);
  });

  it('show what the IAR returned and what EOIR was written with in a trace', async () => {
    const report = await check(readFileSync('test/checker/models/gic-ack-loop-eoi-spurious.sched', 'utf8'), ['eoi-discipline']);
    const cex = cexOf(report, 'eoi-discipline');
    expect(cex.message).toBe('EOI of INTID 1023 on CPU 0, which is no interrupt line (the spurious INTID: nothing was acknowledged)');
    expect(cex.steps.map((s) => s.label).filter((l) => l.startsWith('id := ack') || l.startsWith('eoi'))).toEqual([
      'id := ack (30: timer)',
      'eoi id (30: timer)',
      'id := ack (1023: spurious)',
      'eoi id (1023: no line)',
    ]);
  });
});
