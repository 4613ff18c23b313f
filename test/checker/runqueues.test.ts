// Declared run queues (`runqueue rq[cpu]`): `enqueue t on Q`, `pick x from Q`, `dequeue t from Q`, `wake t on Q`, `spawn t on Q`,
// `rq_len(Q)`, the element of an array chosen by an index as the step runs (out of range: assertions). The first
// declared is the default run queue, the executing CPU's of a per-CPU array: plain `enqueue`, `pick`, `rq_len`
// and every wake-up use it. Written once in src/hw (threads.ts, access.ts, expr.ts), so the reference
// interpreter, the compiled successor function and the SMT encoding agree.

import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import { check, cexOf, modelOf, summary } from './helpers.js';

describe('run queues', () => {
  it("a wake-up and a plain enqueue go on the executing CPU's run queue (both engines)", async () => {
    await expectBothEngines('runqueue-wake-this-cpu', 'assertions', 'holds 12', 'holds', 12);
  });

  it('an index past the end of a run-queue array is an assertions violation (both engines)', async () => {
    await expectBothEngines('runqueue-index-range', 'assertions', 'violated 11 11', 'violated 11', 14);
  });

  it('dequeue takes a thread out of the middle of a run queue, enqueue puts it on another (both engines)', async () => {
    await expectBothEngines('runqueue-dequeue-migrate', 'assertions', 'holds 48', 'holds', 16);
  });

  it('dequeue of a thread that is not in the run queue is an assertions violation', async () => {
    const report = await check(`machine x86_64 { cpus 2 }
runqueue rq[cpu]
thread a on 0 { dequeue t from rq[0]; enqueue t on rq[1]; dequeue t from rq[0] }
thread b on 1 { work }
thread t ready { work }`, ['assertions']);
    expect(cexOf(report, 'assertions').message).toBe('dequeue t: it is not in run queue rq[0]');
    expect(summary(report, 'assertions')).toBe('violated 6 3');
  });

  it('a pull balancer takes both rq locks in CPU order (both engines)', async () => {
    await expectBothEngines('runqueue-pull-balance', 'lock-order', 'holds 12', 'holds', 16);
  });

  it("a mutex release enqueues its sleeper on the releasing CPU's run queue", async () => {
    const report = await check(`machine x86_64 { cpus 2; scheduler s }
runqueue rq[cpu]
lock M : mutex
var stage : 0..1
thread a on 0 { acquire M; stage := 1; while state(b) != blocked { work }; release M; assert rq_len(rq[0]) == 1 && rq_len(rq[1]) == 0; loop { work } }
thread b on 1 { while stage == 0 { work }; acquire M; release M; loop { work } }
proc s { work }`, ['assertions']);
    expect(summary(report, 'assertions')).toBe('holds 29');
  });

  it('names the queues in reports and lays out one queue per element', async () => {
    const model = modelOf(`machine x86_64 { cpus 2 }\nruntime`.replace('runtime', 'runqueue rq[cpu]\nthread a on 0 { work }\nthread b on 1 { work }'));
    expect(model.program.runQueues!.map((q) => q.name)).toEqual(['rq[0]', 'rq[1]']);
    expect(model.layout.runQueues).toHaveLength(2);
    const report = await check(`machine x86_64 { cpus 1 }\nruntime q\nthread a on 0 { enqueue a on q; enqueue a on q }`.replace('runtime', 'runqueue'), ['assertions']);
    expect(cexOf(report, 'assertions').message).toBe('enqueue a: it is already in the run queue');
  });
});
