// The reductions are validated against the exact search: every seed model, in every plan configuration small
// enough for a unit test, gets the same verdict and the same counterexample length with symmetry reduction and
// with hash compaction as without; where a reduction cannot decide a property it says so (inconclusive,
// not-checkable), never "holds". Symmetry's state counts are pinned where it reduces, and the fingerprint set
// keeps its 8-bytes-per-state budget.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProgram, type CheckOptions } from '../../src/checker/check.js';
import { FingerprintSet } from '../../src/checker/explicit/fingerprints.js';
import { analyse } from '../../src/checker/explicit/symmetry.js';
import type { CheckReport, PropertyResult } from '../../src/checker/verdict.js';
import { buildModel } from '../../src/hw/build.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { PINS } from '../gate/pins.js';
import { cexOf, load, summary } from './helpers.js';
import { assertCounterexampleReplays } from './laws.js';

/** Configurations whose exact search stays under this many states run here (the gate runs the rest). */
const MAX_STATES = 100_000;

/** Properties whose monitor looks at the state graph after the search (hash compaction keeps no graph). */
const GRAPH: ReadonlySet<PropertyId> = new Set(['no-deadlock', 'eoi-discipline', 'no-starvation']);

function outcome(r: PropertyResult): string {
  if (r.verdict === 'violated') return `violated ${r.counterexample.length}`;
  if (r.verdict === 'inconclusive') return `inconclusive ${r.reason}`;
  return 'holds';
}

function byProperty(report: CheckReport): Map<PropertyId, PropertyResult> {
  return new Map(report.results.map((r) => [r.property, r]));
}

async function run(program: Program, options: CheckOptions): Promise<Map<PropertyId, PropertyResult>> {
  const properties = [...new Set(program.expectations.map((e) => e.property))];
  return byProperty(await checkProgram(program, { progress: false, properties, ...options }));
}

const seedConfigs = Object.entries(PINS)
  .filter(([, pin]) => pin.states <= MAX_STATES)
  .map(([key]) => {
    const file = key.split(' ')[0]!;
    const label = key.slice(file.length + 1);
    return { file, label, sets: label === '-' ? [] : label.split(' ') };
  });

describe('every seed model: the same verdicts and counterexample lengths with each reduction', () => {
  for (const { file, label, sets } of seedConfigs) {
    it(`${file} ${label}`, async () => {
      // Arrange
      const program = load(readFileSync(file, 'utf8'), sets, file);
      const symmetric = analyse(program).groups.length > 0;

      // Act
      const exact = await run(program, {});
      const symmetry = await run(program, { symmetry: true });
      const compacted = await run(program, { hashCompaction: true });

      // Assert
      for (const [property, r] of exact) {
        const expected = outcome(r);
        // Per-thread liveness is not kept by symmetry (a representative path may swap threads).
        const withSymmetry = symmetric && property === 'no-starvation' ? 'inconclusive not-checkable' : expected;
        expect(`${property}: ${outcome(symmetry.get(property)!)}`).toBe(`${property}: ${withSymmetry}`);
        const hc = outcome(compacted.get(property)!);
        if (!GRAPH.has(property) || hc.startsWith('violated')) {
          expect(`${property}: ${hc}`).toBe(`${property}: ${expected}`);
        } else {
          // Not violated before the end of the search, and the graph analysis was not possible.
          expect(`${property}: ${hc}`).toBe(`${property}: ${r.verdict === 'inconclusive' ? expected : 'inconclusive not-checkable'}`);
        }
        // Hash compaction explored the same states (no fingerprint collided).
        expect(compacted.get(property)!.stats.states).toBe(r.stats.states);
      }
    }, 60_000);
  }
});

describe('symmetry reduction', () => {
  // Identical workers on two CPUs, scheduled from one run queue: which worker a CPU picks depends on the race
  // between the CPUs, so renumbered configurations are reachable and symmetry folds them.
  const POOL = `const WORKERS = 4
    machine x86_64 { cpus 2; irq timer line 0 }
    lock RQ : irqsave handoff
    percpu var next : thread = none
    var stray : 0..1 = 0
    thread boot[2] on each stack 4 { acquire RQ; exit; pick next; switch_to next }
    thread worker[WORKERS] ready stack 4 {
      release RQ
      loop { work; acquire RQ; enqueue current; pick next; switch_to next; release RQ }
    }
    handler timer { eoi timer; iret }
    expect stack-integrity holds
    expect no-deadlock holds
    expect atomic-sleep holds`;

  it('finds the interchangeable threads and leaves out those the code names', () => {
    expect(analyse(load(POOL)).groups).toEqual([[2, 3, 4, 5]]);
    // `wake worker[i]` names the workers one by one: their order matters, no reduction.
    const named = POOL.replace('handler timer { eoi timer; iret }', 'handler timer { eoi timer; wake worker[stray]; iret }');
    expect(analyse(load(named)).groups).toEqual([]);
    // The boot threads start running on different CPUs: never interchangeable.
    expect(analyse(load(POOL)).groups.flat()).not.toContain(0);
  });

  it('leaves out the threads whose `waits for` condition names their own instance', () => {
    const waits = (cond: string) => POOL.replace('thread worker[WORKERS] ready stack 4 {', `thread worker[WORKERS] ready stack 4 waits for ${cond} {`);
    expect(analyse(load(waits('stray == 0'))).groups).toEqual([[2, 3, 4, 5]]);
    expect(analyse(load(waits('holder(RQ) == self'))).groups).toEqual([]);
  });

  it('explores one state per orbit: pinned counts, same verdicts', async () => {
    for (const [workers, full, reduced] of [
      [3, 5940, 2516],
      [4, 15972, 3420],
    ] as const) {
      const program = load(POOL, [`WORKERS=${workers}`]);
      const exact = await checkProgram(program, { progress: false });
      const sym = await checkProgram(program, { progress: false, symmetry: true });
      expect(summary(exact, 'stack-integrity')).toBe(`holds ${full}`);
      expect(summary(sym, 'stack-integrity')).toBe(`holds ${reduced}`);
      for (const id of ['stack-integrity', 'no-deadlock', 'atomic-sleep', 'lock-order', 'irq-lock-safety'] as const) {
        expect(summary(sym, id).split(' ')[0]).toBe(summary(exact, id).split(' ')[0]);
      }
      expect(sym.reductions?.symmetry?.groups).toEqual([`worker[0..${workers - 1}]`]);
      expect(sym.figures?.stackDepth).toEqual(exact.figures?.stackDepth);
    }
  });

  it('rebuilds counterexamples as real paths from the initial state, of the shortest length', async () => {
    // The workers race on an unprotected counter: the lost update is found in the reduced space and replayed.
    const racy = POOL.replace('var stray : 0..1 = 0', 'var count : 0..2 = 0\n    perthread var seen : 0..2 = 0')
      .replace('loop { work;', 'loop { seen := count; count := seen + 1; assert count != 2 "second increment";')
      .replace('expect atomic-sleep holds', 'expect assertions violated');
    const program = load(racy, ['WORKERS=3']);
    const exact = await checkProgram(program, { progress: false, properties: ['assertions'] });
    const sym = await checkProgram(program, { progress: false, properties: ['assertions'], symmetry: true });
    expect(cexOf(sym, 'assertions').length).toBe(cexOf(exact, 'assertions').length);
    assertCounterexampleReplays(buildModel(program), cexOf(sym, 'assertions'));
  });

  it("moves each thread's preempt_count with it (test/checker/models/symmetry-preempt-count.sched)", async () => {
    // No two reachable states there are renumberings of each other (the workers run in a fixed rotation), so the
    // reduced space is the exact one, state for state.
    const file = 'test/checker/models/symmetry-preempt-count.sched';
    const program = load(readFileSync(file, 'utf8'), [], file);
    const exact = await checkProgram(program, { progress: false, properties: ['assertions'] });
    const sym = await checkProgram(program, { progress: false, properties: ['assertions'], symmetry: true });
    expect(sym.reductions?.symmetry?.groups).toEqual(['worker[0..1]']);
    expect([summary(exact, 'assertions'), summary(sym, 'assertions')]).toEqual(['holds 967', 'holds 967']);
  });

  it('is off by default and says when a model has nothing to reduce', async () => {
    const file = 'models/forkexec-004/redesign-need-resched.sched';
    const program = load(readFileSync(file, 'utf8'), ['CPUS=1', 'THREADS=2'], file);
    expect((await checkProgram(program, { progress: false, properties: ['stack-integrity'] })).reductions).toBeUndefined();
    const sym = await checkProgram(program, { progress: false, properties: ['stack-integrity'], symmetry: true });
    expect(sym.reductions).toEqual({ symmetry: { groups: [] } });
  });
});

describe('hash compaction', () => {
  it('keeps 64-bit fingerprints exactly, in at most 8 bytes each from 1,537 members up', () => {
    const set = new FingerprintSet(() => true, 1 << 24);
    let x = 0x12345678;
    const random = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    const members = new Uint32Array(2 * 1_200_000);
    let refused = 0;
    let lastOver = 0; // the last size at which the set took more than 8 bytes per member
    for (let i = 0; i < members.length; i += 2) {
      members[i] = random();
      members[i + 1] = random();
      if (!set.add(members[i]!, members[i + 1]!)) refused++;
      if (set.bytes > 8 * set.size) lastOver = set.size;
    }
    let wrong = 0;
    for (let i = 0; i < members.length; i += 2) {
      const hi = members[i]!;
      const lo = members[i + 1]!;
      if (!set.has(hi, lo) || set.add(hi, lo) || set.has(hi, lo ^ 1) || set.has(hi ^ 0x800000, lo)) wrong++;
    }
    // 1.2 million members cross from the 7-byte layout to the 6-byte one at 2^20.
    expect([refused, wrong, set.size, lastOver]).toEqual([0, 0, 1_200_000, 1_536]);
    expect(set.bytes).toBe(8_388_804);
  });

  it('keeps fingerprints that crowd into a few buckets, either sign of the low word, and (0, 0)', () => {
    let x = 0x9e3779b9;
    const random = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    const key = (hi: number, lo: number) => `${hi >>> 0}:${hi === 0 && lo === 0 ? 1 : lo >>> 0}`;
    // Four high words, so four buckets of 50,000 (searched by halves), in the 7-byte layout.
    const few = new FingerprintSet(() => true, 1 << 20);
    const his = [0, 0x00ff0000, 0x80000000, 0xffffffff];
    const seen = new Set<string>();
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) {
      const hi = his[i & 3]!;
      const lo = i === 0 ? 0 : random();
      if (few.add(hi, lo) === seen.has(key(hi, lo))) wrong++;
      seen.add(key(hi, lo));
    }
    for (const k of seen) {
      const [hi, lo] = k.split(':').map(Number) as [number, number];
      if (!few.has(hi, lo) || few.has(hi ^ 0x100, lo) || few.has(hi, lo ^ 1) !== seen.has(key(hi, lo ^ 1))) wrong++;
    }
    expect([wrong, few.size, few.has(0, 0), few.add(0, 1)]).toEqual([0, seen.size, true, false]);

    // 4,096 distinct top halves of the high word past 2^20 members: a few thousand buckets of hundreds, in the 6-byte layout.
    const many = new FingerprintSet(() => true, 1 << 21);
    const members = new Uint32Array(2 * 1_100_000);
    let refused = 0;
    for (let i = 0; i < members.length; i += 2) {
      members[i] = random() & 0xfff00fff;
      members[i + 1] = random();
      if (!many.add(members[i]!, members[i + 1]!)) refused++;
    }
    for (let i = 0; i < members.length; i += 2) {
      const hi = members[i]!;
      const lo = members[i + 1]!;
      if (!many.has(hi, lo) || many.has(hi ^ 0x1000, lo) || many.has(hi, lo ^ 0x80000000)) wrong++;
    }
    expect([wrong, refused, many.size]).toEqual([0, 0, 1_100_000]);
  });

  it('reports the collision probability and replays its counterexamples from the trace file', async () => {
    const file = 'models/aethelos-001/lock-contention-racy.sched';
    const program = load(readFileSync(file, 'utf8'), [], file);
    const report = await checkProgram(program, { progress: false, properties: ['assertions', 'stack-integrity'], hashCompaction: true });
    expect(summary(report, 'assertions')).toBe('violated 2999 43');
    assertCounterexampleReplays(buildModel(program), cexOf(report, 'assertions'));
    const hc = report.reductions?.hashCompaction;
    expect(hc?.fingerprintBits).toBe(64);
    expect(hc?.collisionProbability).toBeGreaterThan(0);
    expect(hc?.collisionProbability).toBeLessThan(1e-9);
  });

  it('never says holds for a property that needs the state graph', async () => {
    const file = 'models/aethelos-001/option2-yield-pending.sched';
    const program = load(readFileSync(file, 'utf8'), ['THREADS=2'], file);
    const report = await checkProgram(program, { progress: false, properties: ['no-deadlock', 'stack-integrity'], hashCompaction: true });
    expect(summary(report, 'no-deadlock')).toBe('inconclusive not-checkable');
    expect(summary(report, 'stack-integrity')).toBe('holds 630');
  });
});
