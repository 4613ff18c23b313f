// Arrays of locks (`lock rq_lock[cpu] : spin`): each element is a lock of its own, the element an instruction
// names is chosen by its index when the step runs, and an index out of range is an assertions violation. Written
// once in src/hw/locks.ts, so the reference interpreter, the compiled successor function and the SMT encoding
// agree; lock-order sees the order among the elements (double_rq_lock in CPU order holds, in caller order is ABBA).

import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import { check, cexOf, modelOf, summary } from './helpers.js';

describe('lock arrays', () => {
  it('double_rq_lock in CPU order: no lock-order cycle among the elements (both engines)', async () => {
    await expectBothEngines('lockarray-double-rq-ordered', 'lock-order', 'holds 161', 'holds', 30);
    await expectBothEngines('lockarray-double-rq-ordered', 'assertions', 'holds 161', 'holds', 30);
  });

  it("double_rq_lock in the caller's order: an ABBA cycle between rq_lock[0] and rq_lock[1] (both engines)", async () => {
    await expectBothEngines('lockarray-double-rq-abba', 'lock-order', 'violated 21 5', 'violated 5', 30);
    await expectBothEngines('lockarray-double-rq-abba', 'no-deadlock', 'violated 41 8', 'violated 8', 30);
  });

  it('an index past the end is an assertions violation (both engines)', async () => {
    await expectBothEngines('lockarray-index-range', 'assertions', 'violated 9 9', 'violated 9', 12);
  });

  it("an index read from a local: the scan reads it as the step does, and a read where it has no activation faults there (both engines)", async () => {
    await expectBothEngines('lockarray-local-index', 'assertions', 'holds 92', 'holds', 12);
    await expectBothEngines('lockarray-local-wrong-level', 'stack-integrity', 'violated 5 5', 'violated 5', 12);
  });

  it('irq-lock-safety per element: L[cpu] taken in the handler and with interrupts on, or irqsave (both engines)', async () => {
    await expectBothEngines('lockarray-irq-safety', 'irq-lock-safety', 'violated 8 2', 'violated 2', 12);
    await expectBothEngines('lockarray-irq-safety-irqsave', 'irq-lock-safety', 'holds 256', 'holds', 12);
  });

  it('names the element in reports and keeps one lock per element in the layout', async () => {
    const report = await check(`machine x86_64 { cpus 1 }
lock L[3] : spin
var i : 0..2 = 2
thread t on 0 { acquire L[i]; acquire L[i]; loop { work } }`, ['lock-order']);
    expect(cexOf(report, 'lock-order').message).toBe('recursive locking: thread t acquires L[2] at test.sched:4 on CPU 0, which t already holds: it spins forever');
    const model = modelOf(`machine x86_64 { cpus 2 }\nlock rq_lock[cpu] : irqsave\nthread a on 0 { acquire rq_lock[0]; release rq_lock[0] }\nthread b on 1 { work }`);
    expect(model.program.locks.map((l) => l.name)).toEqual(['rq_lock[0]', 'rq_lock[1]']);
    expect(model.program.units.flatMap((u) => u.code).find((i) => i.op === 'acquire')).toEqual(expect.objectContaining({ op: 'acquire', lock: 0 }));
  });

  it('holder(L[e]) reads the element the index selects', async () => {
    const report = await check(`machine x86_64 { cpus 1 }
lock L[thread] : spin
var i : thread = none
thread t on 0 { acquire L[t]; i := t; assert holder(L[i]) == t && holder(L[u]) == none; release L[i]; assert holder(L[t]) == none; loop { work } }
thread u ready { work }`, ['assertions']);
    expect(summary(report, 'assertions')).toBe('holds 6');
  });
});
