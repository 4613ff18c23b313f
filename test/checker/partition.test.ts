// The partitioned search (src/checker/explicit/partition.ts, workers.ts) against the one-thread search: the same
// states, transitions, depth, figures and verdicts, with the shards in this thread (every shard count) and in
// worker threads; a violation is reported as the one-thread search reports it; a bound ends it inconclusive.

import { describe, expect, it } from 'vitest';
import { checkProgram, type CheckOptions } from '../../src/checker/check.js';
import { explore } from '../../src/checker/explicit/explore.js';
import { ownerOf } from '../../src/checker/explicit/wasmsearch.js';
import { Ownership } from '../../src/checker/explicit/ownership.js';
import { searchPartitioned, ShardsUnavailable } from '../../src/checker/explicit/workers.js';
import { PROPERTIES } from '../../src/checker/properties/index.js';
import type { Exploration, Monitor } from '../../src/checker/properties/property.js';
import { load } from './helpers.js';
import { buildModel } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { loadModel } from '../../src/lang/load.js';

function program(file: string, sets: string[] = []) {
  const loaded = loadModel(file, sets);
  if (loaded.program === null) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.program;
}

const LOCAL: PropertyId[] = ['stack-integrity', 'atomic-sleep', 'assertions'];
const GATHERING: PropertyId[] = ['stack-integrity', 'lock-order', 'irq-lock-safety'];

/** Whether a search of `file` for `properties` is handed over to shards at `at` states (so the test is one). */
function handedOver(file: string, properties: PropertyId[], at: number): boolean {
  const model = buildModel(program(file));
  const monitors = (x: Parameters<typeof PROPERTIES['assertions']['monitor']>[0]) =>
    new Map(properties.flatMap((id) => { const m = PROPERTIES[id].monitor(x); return 'notCheckable' in m ? [] : [[id, m] as const]; }));
  return explore(model, monitors, { handover: { at, shards: 2 } }).handover !== null;
}

async function both(file: string, properties: PropertyId[], options: CheckOptions, sets: string[] = []) {
  const p = program(file, sets);
  const one = await checkProgram(p, { properties, progress: false });
  const split = await checkProgram(p, { properties, progress: false, ...options });
  const strip = (r: typeof one) => ({ ...r, results: r.results.map((x) => ({ ...x, stats: { ...x.stats, seconds: 0 } })) });
  return { one: strip(one), split: strip(split) };
}

describe('a search partitioned in this thread', () => {
  const cases: [string, PropertyId[], number][] = [
    ['models/forkexec-004/redesign-need-resched.sched', LOCAL, 163_989],
    ['models/aethelos-001/lock-contention.sched', LOCAL, 2_569],
    ['models/aarch64-003/context-switch-lock.sched', LOCAL, 32_900],
    ['models/aethelos-001/lock-contention-racy.sched', ['stack-integrity', 'assertions'], 8_474],
    // lock-order and irq-lock-safety gather over the whole search (Monitor.gathered): they hold from the
    // dependencies and usage every shard gathered.
    ['models/forkexec-004/redesign-need-resched.sched', GATHERING, 163_989],
    ['models/aethelos-001/lock-contention.sched', GATHERING, 2_569],
  ];
  for (const [file, properties, states] of cases) {
    for (const shards of [2, 3]) {
      it(`${file} ${properties.join(' ')} over ${shards} shards: the same report`, async () => {
        expect(handedOver(file, properties, 64)).toBe(true);
        const { one, split } = await both(file, properties, { workers: shards, partitionAt: 64, partitionInProcess: true });
        expect(split).toEqual(one);
        // lock-contention-racy's assertion fails (in a shard too); the rest hold.
        expect(one.results.map((r) => r.verdict)).toEqual(properties.map((p) => (file.includes('racy') && p === 'assertions' ? 'violated' : 'holds')));
        expect(one.results[0]!.stats.states).toBe(states);
      });
    }
  }

  // Handed over at 20,000 states, the sample is large enough for the owner to leave out the words steps change
  // most (ownership.ts): most successors then stay in their shard, and the reports must stay the same.
  const keyed: [string, number, number[][]][] = [
    ['models/forkexec-004/redesign-need-resched.sched', 163_989, [[25, 0, 8, 9], [25, 0, 8]]],
    ['models/aarch64-003/context-switch-lock.sched', 32_900, [[15, 0, 5], [15, 0]]],
  ];
  for (const [file, states, leftOut] of keyed) {
    for (const shards of [2, 3]) {
      it(`${file} over ${shards} shards, owned by the hash of the words steps seldom change: the same report`, async () => {
        const model = buildModel(program(file));
        const r = explore(model, (x) => new Map([['stack-integrity' as PropertyId, PROPERTIES['stack-integrity'].monitor(x) as Monitor]]), { handover: { at: 20_000, shards } });
        expect(r.handover!.leftOut).toEqual(leftOut[shards - 2]);
        const ownership = new Ownership(shards, model.layout.words, r.handover!.leftOut);
        for (const [s, rec] of r.handover!.records.entries()) {
          for (let at = 0; at < rec.length; at += model.layout.words + 1) {
            expect(ownership.owner(rec[at]!, new Uint32Array(rec.buffer, rec.byteOffset + (at + 1) * 4, model.layout.words))).toBe(s);
          }
        }
        const { one, split } = await both(file, LOCAL, { workers: shards, partitionAt: 20_000, partitionInProcess: true });
        expect(split).toEqual(one);
        expect(one.results[0]!.stats.states).toBe(states);
      });
    }
  }

  it('shards whose memory is capped move the chunks of expanded levels out of it, and report what one thread reports', async () => {
    // 32 MiB a shard: about a fifth of the states of each shard moved out (wasmstore.ts), and the successors and
    // received records that meet them asked about (the core's run and absorb).
    const file = 'models/forkexec-004/redesign-need-resched.sched';
    const sets = ['CPUS=2', 'THREADS=3'];
    const { one, split } = await both(file, LOCAL, { workers: 2, partitionAt: 20_000, partitionInProcess: true, wasmMemoryBytes: 32 << 20 }, sets);
    expect(split).toEqual(one);
    expect(one.results[0]!.stats.states).toBe(712_722);
  }, 30_000);

  it('a violation found in a shard is reported as the one-thread search reports it', async () => {
    // The search is handed over at 1,024 states, before either violation is found (lock-contention-racy above
    // violates assertions, a state property, in a shard as well).
    const file = 'models/forkexec-004/old-handler-abba.sched';
    const properties: PropertyId[] = ['stack-integrity', 'atomic-sleep'];
    expect(handedOver(file, properties, 1024)).toBe(true);
    const { one, split } = await both(file, properties, { workers: 2, partitionAt: 1024, partitionInProcess: true });
    expect(one.results.map((r) => [r.verdict, r.stats.states])).toEqual([['violated', 15_715], ['violated', 6_960]]);
    expect(split).toEqual(one);
  });

  it('a property that needs the state graph is not partitioned', () => {
    const model = buildModel(program('models/forkexec-004/redesign-need-resched.sched'));
    for (const id of ['no-deadlock', 'eoi-discipline', 'no-starvation'] as PropertyId[]) {
      const r = explore(model, (x) => new Map([[id, PROPERTIES[id].monitor(x) as Monitor]]), { handover: { at: 64, shards: 2 } });
      expect(r.handover).toBeNull();
      expect(r.stats.states).toBe(163_989);
    }
    const r = explore(model, (x) => new Map([['stack-integrity' as PropertyId, PROPERTIES['stack-integrity'].monitor(x) as Monitor]]), { handover: { at: 64, shards: 2 } });
    expect(r.handover).not.toBeNull();
    // Whole levels: every state of the last level handed over was found, none of the next.
    expect(r.stats.states).toBe(r.handover!.records.reduce((n, rec) => n + rec.length / (model.layout.words + 1), 0));
    for (const [s, rec] of r.handover!.records.entries()) {
      for (let at = 0; at < rec.length; at += model.layout.words + 1) expect(ownerOf(rec[at]!, 2)).toBe(s);
      // Each shard's records counted by depth: all of them.
      expect(r.handover!.levels[s]!.reduce((n, k) => n + k, 0)).toBe(rec.length / (model.layout.words + 1));
    }
    // 64 states are too few to learn which words to leave out of the owner's hash: the whole hash decides.
    expect(r.handover!.leftOut).toEqual([]);
  });

  it('shards that cannot start say so, for the driver to search in one thread', async () => {
    const p = program('models/forkexec-004/redesign-need-resched.sched');
    const model = buildModel(p);
    const r = explore(model, (x) => new Map([['stack-integrity' as PropertyId, PROPERTIES['stack-integrity'].monitor(x) as Monitor]]), { handover: { at: 64, shards: 2 } });
    // A store memory of one page cannot hold a shard's tables.
    const options = { program: p, properties: ['stack-integrity' as PropertyId], shards: 2, inProcess: true, started: Date.now(), memoryLimit: 2 ** 32, wasmMemoryBytes: 65536 };
    await expect(searchPartitioned(r.handover!, options)).rejects.toThrow(ShardsUnavailable);
  });

  it('a bound met while a shard stores the states handed over ends the search inconclusive with them', async () => {
    const p = program('models/forkexec-004/redesign-need-resched.sched', ['CPUS=2', 'THREADS=3']);
    const model = buildModel(p);
    const r = explore(model, (x) => new Map([['stack-integrity' as PropertyId, PROPERTIES['stack-integrity'].monitor(x) as Monitor]]), { handover: { at: 300_000, shards: 2 } });
    // 16 MiB of store memory: room for a shard's tables and outboxes, not for half of the states handed over.
    const options = { program: p, properties: ['stack-integrity' as PropertyId], shards: 2, inProcess: true, started: Date.now(), memoryLimit: 2 ** 32, wasmMemoryBytes: 16 << 20 };
    const outcome = await searchPartitioned(r.handover!, options);
    expect(outcome.found).toBe(false);
    expect(outcome.stats.states).toBe(r.stats.states);
    expect(outcome.stop).toEqual({ reason: 'max-memory', detail: `a shard's store outgrew its WebAssembly memory: the store needs more than ${16 << 20} bytes of WebAssembly memory with ${r.stats.states} states` });
  });

  it('a bound reached in a shard ends the search inconclusive, with the states every shard holds', async () => {
    const p = program('models/forkexec-004/redesign-need-resched.sched');
    const model = buildModel(p);
    const r = explore(model, (x) => new Map([['stack-integrity' as PropertyId, PROPERTIES['stack-integrity'].monitor(x) as Monitor]]), { handover: { at: 64, shards: 2 } });
    const outcome = await searchPartitioned(r.handover!, {
      program: p,
      properties: ['stack-integrity'],
      shards: 2,
      inProcess: true,
      started: Date.now() - 10_000,
      timeoutSeconds: 5,
      memoryLimit: 4 * 2 ** 30,
    });
    expect(outcome.found).toBe(false);
    expect(outcome.stop).toEqual({ reason: 'timeout', detail: `stopped after 5 s (--timeout) with ${outcome.stats.states} states` });
    expect(outcome.stats.states).toBeGreaterThanOrEqual(r.stats.states);
    expect(outcome.figureWorsts).toBeNull();
  });
});

// lock-order and irq-lock-safety gather lock dependencies and usage over the whole search (Monitor.gathered):
// every shard gathers over its own states and transitions, and what they gathered together decides.
describe('a search partitioned with monitors that gather', () => {
  // Two CPUs count to 20 before they take their locks, so that the violations come after the handover (at the
  // end of the level that passes 1,024 states): a lock-order cycle (A -> B on CPU 1, B -> A where the handler
  // interrupts CPU 0 holding B) and an irq-safe lock (A, taken by the handler) held while taking an irq-unsafe
  // one (B, held with interrupts on). Found in one shard, or only by combining what the shards gathered, each is
  // found again by one thread, with that thread's report.
  const late = `machine x86_64 { cpus 2; irq timer line 0 }
    lock A : spin
    lock B : spin
    var i : 0..40 = 0
    var j : 0..40 = 0
    thread t on 0 { sti; while i < 20 { i := i + 1 }; acquire B; work; release B }
    thread u on 1 { while j < 20 { j := j + 1 }; acquire A; acquire B; release B; release A }
    handler timer { acquire A; release A; eoi timer; iret }`;
  for (const shards of [2, 3]) {
    it(`violations completed after the handover, over ${shards} shards: the one-thread report`, async () => {
      const p = load(late);
      const monitors = (x: Exploration) => new Map(GATHERING.map((id) => [id, PROPERTIES[id].monitor(x) as Monitor]));
      expect(explore(buildModel(p), monitors, { handover: { at: 64, shards } }).handover).not.toBeNull();
      const one = await checkProgram(p, { properties: GATHERING, progress: false });
      const split = await checkProgram(p, { properties: GATHERING, progress: false, workers: shards, partitionAt: 64, partitionInProcess: true });
      const strip = (r: typeof one) => ({ ...r, results: r.results.map((x) => ({ ...x, stats: { ...x.stats, seconds: 0 } })) });
      expect(strip(split)).toEqual(strip(one));
      expect(one.results.map((r) => [r.property, r.verdict])).toEqual([
        ['stack-integrity', 'holds'],
        ['lock-order', 'violated'],
        ['irq-lock-safety', 'violated'],
      ]);
    });
  }

  it('the dependencies of two shards make a cycle that neither has alone', () => {
    expect(PROPERTIES['lock-order'].violatedBy!([[[0, 1]], [[1, 0]]])).toBe(true);
    expect(PROPERTIES['lock-order'].violatedBy!([[[0, 1], [1, 2]], [[0, 2]]])).toBe(false);
    expect(PROPERTIES['lock-order'].violatedBy!([[[0, 1]], [[1, 2]], [[2, 0]]])).toBe(true);
  });

  it('the usage of a lock seen in one shard and its dependencies in another are judged together', () => {
    const safety = PROPERTIES['irq-lock-safety'].violatedBy!;
    // Lock 0 taken in interrupt context in one shard, held with interrupts on in another.
    expect(safety([{ usage: [1, 0], deps: [] }, { usage: [2, 0], deps: [] }])).toBe(true);
    // Lock 0 irq-safe, lock 1 irq-unsafe, 0 -> 1 seen in a third shard.
    expect(safety([{ usage: [1, 0], deps: [] }, { usage: [0, 2], deps: [] }, { usage: [0, 0], deps: [[0, 1]] }])).toBe(true);
    // The other order is no inversion.
    expect(safety([{ usage: [1, 2], deps: [[1, 0]] }])).toBe(false);
  });
});

describe('a search partitioned over worker threads', () => {
  it('gives the one-thread report', async () => {
    const { one, split } = await both('models/forkexec-004/redesign-need-resched.sched', LOCAL, { workers: 2, partitionAt: 5_000 });
    expect(split).toEqual(one);
    expect(one.results[0]!.stats).toEqual({ states: 163_989, transitions: 487_884, depth: 88, seconds: 0 });
  }, 30_000);

  it('with monitors that gather, what each thread gathered comes back to decide', async () => {
    expect(handedOver('models/forkexec-004/redesign-need-resched.sched', GATHERING, 5_000)).toBe(true);
    const { one, split } = await both('models/forkexec-004/redesign-need-resched.sched', GATHERING, { workers: 2, partitionAt: 5_000 });
    expect(split).toEqual(one);
    expect(one.results.map((r) => r.verdict)).toEqual(['holds', 'holds', 'holds']);
  }, 30_000);
});
