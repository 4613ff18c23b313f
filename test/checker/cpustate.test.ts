// Processor state in expressions (`irqs_enabled`, `preempt_count`, `hardirq_count`) and preemption control
// (`preempt_disable`, `preempt_enable`): read and written by the rules of src/hw, so the reference interpreter, the
// compiled successor function and the SMT encoding agree; a switch with preemption disabled is atomic-sleep.

import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { check, cexOf, modelOf, summary } from './helpers.js';

describe('processor state in expressions', () => {
  it('reads IF, the interrupt depth and preempt_count of the executing CPU (x86_64)', async () => {
    const report = await check(`machine x86_64 { cpus 1; irq timer line 0 }
var seen : 0..15
thread t on 0 {
  assert irqs_enabled && preempt_count == 0 && hardirq_count == 0
  preempt_disable; preempt_disable
  seen := preempt_count
  assert seen == 2
  cli
  assert !irqs_enabled
  preempt_enable; preempt_enable
  assert preempt_count == 0
  loop { work }
}
handler timer { assert hardirq_count == 1 && !irqs_enabled; eoi timer; iret }`, ['assertions']);
    expect(summary(report, 'assertions')).toBe('holds 58');
  });

  it('keeps preempt_count per thread: a switch carries it with the thread', async () => {
    // a switches away with preemption disabled (atomic-sleep, not fatal): b runs with its own count of 0, and a
    // finds its count of 1 again when it is resumed.
    const report = await check(`machine x86_64 { cpus 1; scheduler s }
percpu var next : thread = none
thread a on 0 { preempt_disable; enqueue current; call s; assert preempt_count == 1; preempt_enable; loop { work } }
thread b ready { assert preempt_count == 0; enqueue current; call s; loop { work } }
proc s { pick next; if next != none { switch_to next } }`, ['assertions', 'atomic-sleep']);
    expect(summary(report, 'assertions')).toBe('holds 16');
    expect(cexOf(report, 'atomic-sleep').message).toBe('scheduling while atomic: switch_to b while a has preemption disabled (preempt_count 1, CPU 0)');
  });

  it('preempt_enable with preemption enabled is a fatal assertions violation', async () => {
    const report = await check(`machine x86_64 { cpus 1 }\nthread t on 0 { preempt_disable; preempt_enable; preempt_enable; loop { work } }`, ['assertions']);
    expect(summary(report, 'assertions')).toBe('violated 3 3');
    expect(cexOf(report, 'assertions').message).toBe('preempt_enable with preemption enabled (preempt_count 0) in thread t');
  });

  it('a mutex taken with preemption disabled is atomic-sleep', async () => {
    const report = await check(`machine x86_64 { cpus 1; scheduler s }
lock M : mutex
thread t on 0 { preempt_disable; acquire M; release M; preempt_enable; loop { work } }
proc s { work }`, ['atomic-sleep']);
    expect(cexOf(report, 'atomic-sleep').message).toBe('mutex M acquired with preemption disabled (preempt_count 1; thread t on CPU 0)');
  });

  it('a model that never disables preemption has no preempt_count in its state', () => {
    const model = modelOf(`machine x86_64 { cpus 1 }\nvar x : 0..15\nthread t on 0 { x := preempt_count; loop { work } }`);
    expect(model.layout.threads[0]!.preempt).toBeNull();
    expect(model.layout.slots.some((s) => s.name.includes('preempt'))).toBe(false);
  });
});

const MODELS: [string, PropertyId, string, string][] = [
  ['preempt-yield-disabled', 'atomic-sleep', 'violated 6 5', 'violated 5'],
  ['cpustate-irq-flags', 'assertions', 'holds 32', 'holds'],
];

describe('the processor-state models in both engines', () => {
  it.each(MODELS)('%s %s', (name, property, explicit, smt) => expectBothEngines(name, property, explicit, smt, 6), 60_000);
});
