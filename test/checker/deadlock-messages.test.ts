// What no-deadlock says of the lines pending on a CPU that never makes progress again: why each is not taken, or
// that it is deliverable (taken next: what the CPU waits for is then its handler's return).

import { describe, expect, it } from 'vitest';
import { check, result } from './helpers.js';

describe('no-deadlock names why a pending line is not taken', () => {
  it('a deliverable line is taken next (its handler never returns), not "held off"', async () => {
    const text = [
      'machine x86_64 { cpus 2; irq dev line 1 at most 1 on 0 }',
      'var g : bool = false',
      'thread t on 0 { irqsave; g := true; irqrestore; loop { work } }',
      'thread u on 1 { loop { work } }',
      'handler dev { eoi dev; while g { }; iret }',
    ].join('\n');
    const r = result(await check(text, ['no-deadlock']), 'no-deadlock');
    expect(r.verdict).toBe('violated');
    expect(r.verdict === 'violated' && r.counterexample.message).toBe(
      'CPU0: thread t at test.sched:3 (work) never makes progress; dev pending and deliverable (taken next), forever: ' +
        'no path from here lets it past, though the rest of the machine may go on (interrupts taken, other CPUs running)',
    );
    expect(r.verdict === 'violated' && r.counterexample.steps.length).toBe(5);
  });


  it('a line held back by the GIC priority mask, beside a line dropped but still active (EOImode 1), is held off by the mask', async () => {
    const text = [
      'machine aarch64 { cpus 1; controller gic eoimode 1; irq other line 2 at most 1; irq kick line 1 ipi }',
      'percpu var id : 0..1023 = 1023',
      'var dropped : bool = false',
      'thread t on 0 { while !dropped { work }; pmr := 96; raise kick to cpu; loop { wfi } }',
      'handler irq on vector { id := ack; if id == 2 { eoi id; dropped := true }; eret }',
    ].join('\n');
    const r = result(await check(text, ['no-deadlock']), 'no-deadlock');
    expect(r.verdict === 'violated' && r.counterexample.message).toBe(
      'deadlock: no CPU can make progress: CPU0: thread t waits in wfi at test.sched:4 and no interrupt can arrive; ' +
        'kick pending but held off by the priority mask (ICC_PMR_EL1)',
    );
  });
});
