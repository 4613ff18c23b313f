// What no-deadlock says of the lines pending on a CPU that never makes progress again: why each is not taken, or
// that it is deliverable (taken next: what the CPU waits for is then its handler's return).

import { describe, expect, it } from 'vitest';
import { check, result } from './helpers.js';

describe('no-deadlock names the loop a CPU that makes no progress goes on testing', () => {
  it('past the branch on its way to the loop', async () => {
    const text = [
      'machine x86_64 { cpus 1 }',
      'var go : bool = false',
      'var c : 0..1 = 1',
      'thread t on 0 { c := 1; if c == 1 { while !go { } }; loop { work } }',
    ].join('\n');
    const r = result(await check(text, ['no-deadlock']), 'no-deadlock');
    expect(r.verdict === 'violated' && r.counterexample.message).toBe(
      'no progress is possible any more (only condition tests, wfi wake-ups and lines becoming pending): CPU0: thread t at test.sched:4 (test c == 1) ' +
        'never makes progress: it goes on testing at test.sched:4 (test !go) for ever',
    );
  });
});

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

  it('a lost wake-up names where each CPU is, without claiming it never makes progress', async () => {
    const text = [
      'machine x86_64 { cpus 2 }',
      'var n : thread = none',
      'thread a on 0 { state(current) := blocked; loop { work } }',
      'thread b on 1 { wake a; pick n; if n != none { switch_to n }; loop { work } }',
    ].join('\n');
    const r = result(await check(text, ['no-deadlock']), 'no-deadlock');
    expect(r.verdict === 'violated' && [r.counterexample.message, ...r.counterexample.details!]).toEqual([
      'a is blocked and nothing can ever wake it (a lost wake-up, or a lock never released): no path from here makes it runnable again',
      'CPU0: thread a at test.sched:3 (work)',
      'CPU1: thread b at test.sched:4 (pick n)',
      'a is blocked, still current on CPU0 (it has not switched away)',
    ]);
  });
});

describe('wake', () => {
  it('of a thread still current on a CPU (blocked, not switched away) makes it running, not queued: no switch to it', async () => {
    const text = [
      'machine x86_64 { cpus 2 }',
      'var n : thread = none',
      'thread a on 0 { state(current) := blocked; loop { work } }',
      'thread b on 1 { work; wake a; pick n; if n != none { switch_to n }; loop { work } }',
    ].join('\n');
    const report = await check(text, ['stack-integrity', 'assertions']);
    expect(result(report, 'stack-integrity').verdict).toBe('holds');
    expect(result(report, 'stack-integrity').stats.states).toBe(13);
  });
});
