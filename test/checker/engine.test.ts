// The explicit engine: the exact visited store, the state graph, bounds that end a run inconclusive with its
// statistics, one exploration for all properties, and the shape of a report.

import { describe, expect, it, vi } from 'vitest';
import { StateGraph, EDGE_PROGRESS, MAX_EDGES, StateGraphFull } from '../../src/checker/explicit/graph.js';
import { ProgressLine } from '../../src/checker/explicit/progress.js';
import { MemoryBudgetExceeded, StateStore } from '../../src/checker/explicit/store.js';
import { PROPERTY_IDS } from '../../src/ir/ir.js';
import { check, result, summary } from './helpers.js';

// 3 CPUs each counting to 9 and stopping. Each thread has 21 positions (9 rounds of test + assign, the last
// test, the end, stopped): 21^3 states, 3 * 20 * 21^2 transitions (one per running CPU), depth 3 * 20.
const GRID = `machine x86_64 { cpus 3 }
percpu var n : 0..9 = 0
thread a on 0 { while n < 9 { n := n + 1 } }
thread b on 1 { while n < 9 { n := n + 1 } }
thread c on 2 { while n < 9 { n := n + 1 } }`;

describe('StateStore', () => {
  it('stores each state once, finds it again, and keeps ids in discovery order across growth', () => {
    const store = new StateStore(2, () => true, 4);
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) ids.push(store.add(Uint32Array.of(i % 7, Math.floor(i / 7)), i - 1, i, i));
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(store.add(Uint32Array.of(3, 5), 0, 0, 0)).toBe(-(5 * 7 + 3) - 1);
    expect(store.find(Uint32Array.of(5, 142))).toBe(999);
    expect(store.find(Uint32Array.of(0, 143))).toBe(-1);
    expect([store.count, store.parent(10), store.action(10), store.depth(10)]).toEqual([1000, 9, 10, 10]);
    expect(Array.from(store.state(36))).toEqual([1, 5]);
    expect(store.path(3).actions).toEqual([1, 2, 3]);
  });

  it('refuses to grow past its memory budget with MemoryBudgetExceeded', () => {
    const store = new StateStore(1, (bytes) => bytes < 150, 4);
    for (let i = 0; i < 4; i++) store.add(Uint32Array.of(i), -1, -1, 0);
    expect(() => store.add(Uint32Array.of(99), -1, -1, 0)).toThrow(MemoryBudgetExceeded);
  });
});

describe('StateGraph', () => {
  it('finds the states from which a marked edge is reachable, backwards over all edges', () => {
    // 0 -> 1 -> 2 (progress) ; 1 -> 3 ; 3 -> 3 ; 4 -> 0
    const graph = new StateGraph(() => true);
    const edges: [number, number][][] = [[[1, 0]], [[2, EDGE_PROGRESS], [3, 0]], [], [[3, 0]], [[0, 0]]];
    edges.forEach((out, id) => {
      graph.begin(id);
      for (const [to, flags] of out) graph.add(to, flags, []);
    });
    expect(Array.from(graph.canReach(EDGE_PROGRESS))).toEqual([1, 1, 0, 0, 1]);
    // Edges are numbered in order (0: 0->1, 1: 1->2, 2: 1->3, 3: 3->3, 4: 4->0): marking the loop on 3 instead.
    expect(Array.from(graph.canReach(0, Uint8Array.of(0, 0, 0, 1, 0)))).toEqual([1, 1, 0, 1, 1]);
    // States good in themselves: 2 (a dead end) and whatever reaches it; 3 reaches only itself.
    expect(Array.from(graph.canReach(0, null, null, Uint8Array.of(0, 0, 1, 0, 0)))).toEqual([1, 1, 1, 0, 1]);
    // Skipping the edge 1 -> 2 cuts 0, 1 and 4 off from it.
    expect(Array.from(graph.canReach(0, null, Uint8Array.of(0, 1, 0, 0, 0), Uint8Array.of(0, 0, 1, 0, 0)))).toEqual([0, 0, 1, 0, 0]);
  });

  it('refuses a transition past the most it holds (2^31 - 1: 32-bit offsets) instead of wrapping', () => {
    expect(MAX_EDGES).toBe(2 ** 31 - 1);
    const graph = new StateGraph(() => true, 5000);
    graph.begin(0);
    for (let e = 0; e < 5000; e++) graph.add(0, 0, []);
    expect(() => graph.add(0, 0, [])).toThrow(new StateGraphFull('the state graph holds at most 5000 transitions'));
    expect(graph.edgeView().targets.length).toBe(5000);
    expect(Array.from(graph.edgeView().offsets)).toEqual([0, 5000]);
  });

  /** A graph of `n` states from their edges' targets (-1: a fatal step), every edge with `flags(source, target)`. */
  function graphOf(out: number[][], flags = (_s: number, _t: number): number => 0): StateGraph {
    const graph = new StateGraph(() => true);
    out.forEach((targets, id) => {
      graph.begin(id);
      for (const t of targets) graph.add(t, flags(id, t), []);
    });
    return graph;
  }

  it('closes over edges to earlier states one sweep at a time, and past 16 sweeps with the reversed graph', () => {
    // State 0 makes progress; every other state i only leads back to i - 1: sweeping from the last state to the
    // first marks one state a sweep.
    for (const n of [10, 17, 18, 500]) {
      const graph = graphOf(Array.from({ length: n }, (_, i) => [i === 0 ? 0 : i - 1]), (s) => (s === 0 ? EDGE_PROGRESS : 0));
      expect(Array.from(graph.canReach(EDGE_PROGRESS))).toEqual(new Array(n).fill(1));
      // Skipping the edge 5 -> 4 leaves 5 and every state above it unmarked.
      const skip = new Uint8Array(n);
      skip[5] = 1;
      expect(Array.from(graph.canReach(EDGE_PROGRESS, null, skip))).toEqual(Array.from({ length: n }, (_, i) => Number(i < 5)));
    }
  });

  it('lowers each value to the least a path reaches, or says it did not get there in 16 sweeps', () => {
    // 0 -> 1 -> 2 -> 0 (a cycle), 3 -> 2, 4 -> 4; and a chain back from the last state to the first.
    const values = Uint8Array.of(9, 5, 7, 3, 1);
    expect(graphOf([[1], [2], [0], [2], [4]]).leastReachable(values)).toBe(true);
    expect(Array.from(values)).toEqual([5, 5, 5, 3, 1]);
    // Each sweep lowers one state of the chain; the 16th lowers the last of 17, and only a 17th would see that
    // nothing is left to lower.
    for (const [n, done] of [[16, true], [17, false], [18, false]] as const) {
      const chain = Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 200));
      expect(graphOf(Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]))).leastReachable(chain)).toBe(done);
      expect(Array.from(chain).filter((v) => v === 1).length).toBe(Math.min(n, 17));
    }
  });

  it('marks exactly the states from which a path reaches a seed, on random graphs', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let marked = 0;
    const sweepCalls: number[] = [];
    for (const n of [50, 300, 2_000]) {
      for (let round = 0; round < 5; round++) {
        const out = Array.from({ length: n }, () => Array.from({ length: random(4) }, () => (random(30) === 0 ? -1 : random(n))));
        const start = Uint8Array.from({ length: n }, () => Number(random(25) === 0));
        const skip = Uint8Array.from({ length: out.flat().length }, () => Number(random(10) === 0));
        const got = graphOf(out).canReach(0, null, skip, start);
        // Forward from every state, over the edges not skipped.
        const edgeAt: number[] = [];
        out.reduce((e, targets) => (edgeAt.push(e), e + targets.length), 0);
        const want = Array.from({ length: n }, (_, s) => {
          const seen = new Uint8Array(n);
          const stack = [s];
          seen[s] = 1;
          while (stack.length > 0) {
            const v = stack.pop()!;
            if (start[v] === 1) return 1;
            out[v]!.forEach((t, i) => {
              if (t >= 0 && skip[edgeAt[v]! + i] === 0 && seen[t] === 0) (seen[t] = 1), stack.push(t);
            });
          }
          return 0;
        });
        expect(Array.from(got)).toEqual(want);
        marked += want.filter((x) => x === 1).length;
        // The least value a path reaches, over every edge.
        const values = Uint8Array.from({ length: n }, () => random(250));
        const least = Array.from({ length: n }, (_, s) => {
          const seen = new Uint8Array(n);
          const stack = [s];
          seen[s] = 1;
          let min = values[s]!;
          while (stack.length > 0) {
            const v = stack.pop()!;
            min = Math.min(min, values[v]!);
            for (const t of out[v]!) if (t >= 0 && seen[t] === 0) (seen[t] = 1), stack.push(t);
          }
          return min;
        });
        // Numbered at random, not breadth-first, these graphs may take more than 16 sweeps: each call goes on
        // from where the last stopped.
        const g = graphOf(out);
        let calls = 1;
        while (!g.leastReachable(values)) calls++;
        expect(Array.from(values)).toEqual(least);
        sweepCalls.push(calls);
      }
    }
    // The graphs are neither all marked nor all unmarked.
    expect(marked).toBe(6_263);
    // Two of the larger graphs took a second call.
    expect(sweepCalls).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 1, 1]);
  });
});

describe('bounds', () => {
  it('explores the whole grid when unbounded', async () => {
    const report = await check(GRID, ['assertions']);
    expect(result(report, 'assertions')).toMatchObject({ verdict: 'holds', complete: true, stats: { states: 9261, transitions: 26460, depth: 60 } });
  });

  it('ends inconclusive at --max-states with the states it stored', async () => {
    const r = result(await check(GRID, ['assertions'], { maxStates: 100 }), 'assertions');
    expect(r).toMatchObject({ verdict: 'inconclusive', reason: 'max-states', stats: { states: 100 } });
  });

  it('ends inconclusive at --max-depth when something new lies beyond it, and holds when nothing does', async () => {
    const cut = result(await check(GRID, ['assertions'], { maxDepth: 10 }), 'assertions');
    expect(cut).toMatchObject({ verdict: 'inconclusive', reason: 'max-depth', stats: { depth: 10 } });
    expect(summary(await check(GRID, ['assertions'], { maxDepth: 60 }), 'assertions')).toBe('holds 9261');
  });

  it('ends inconclusive at --timeout and at --max-memory, never with a crash', async () => {
    expect(summary(await check(GRID, ['assertions'], { timeoutSeconds: 0 }), 'assertions')).toBe('inconclusive timeout');
    expect(summary(await check(GRID, ['assertions'], { maxMemoryMb: 1 }), 'assertions')).toBe('inconclusive max-memory');
  });

  it('still reports a violation found before a bound stopped the run', async () => {
    const model = `machine x86_64 { cpus 2 }
      var n : 0..3 = 0
      var m : 0..3 = 0
      thread t on 0 { n := n + 1; assert n == 2 "never" }
      thread u on 1 { while m < 3 { m := m + 1 } }`;
    // Expanding the third state meets the assert first, then a fourth state the bound refuses.
    const report = await check(model, ['assertions', 'no-deadlock'], { maxStates: 3 });
    expect([summary(report, 'assertions'), summary(report, 'no-deadlock')]).toEqual(['violated 3 2', 'inconclusive max-states']);
  });
});

describe('one exploration for every property', () => {
  it('answers each property as it would alone', async () => {
    const model = `machine x86_64 { cpus 2 }
      lock A : spin
      lock B : spin
      thread p on 0 { acquire A; acquire B; release B; release A }
      thread q on 1 { acquire B; acquire A; release A; release B }`;
    const together = await check(model);
    // No latency bound: every property but irq-latency.
    const checked = PROPERTY_IDS.filter((id) => id !== 'irq-latency');
    expect(together.results.map((r) => r.property)).toEqual(checked);
    for (const id of checked) {
      const alone = await check(model, [id]);
      expect(summary(together, id)).toBe(summary(alone, id));
    }
  });

  it('runs no irq-latency without a latency bound; named, it says why it is not checked, beside no-starvation', async () => {
    expect((await check(GRID)).results.map((r) => r.property)).not.toContain('irq-latency');
    const report = await check(GRID, ['no-starvation', 'irq-latency']);
    expect(result(report, 'no-starvation')).toMatchObject({ verdict: 'holds', complete: true }); // nothing is ever ready
    expect(result(report, 'irq-latency')).toMatchObject({ verdict: 'inconclusive', reason: 'not-checkable', detail: 'the model declares no latency bound (machine { latency N })' });
  });

  it('routes engine smt to the SMT engine, and engine both to both, explicit first', async () => {
    const smt = await check(GRID, ['assertions'], { engine: 'smt' });
    expect(smt.results).toHaveLength(1);
    expect(result(smt, 'assertions')).toMatchObject({ engine: 'smt', verdict: 'holds', complete: true, stats: { states: 0, transitions: 0 } });
    const both = await check(GRID, ['assertions'], { engine: 'both' });
    expect(both.results.map((r) => [r.engine, r.verdict])).toEqual([
      ['explicit', 'holds'],
      ['smt', 'holds'],
    ]);
  });

  it('reports the worst stack depths of a complete run', async () => {
    const model = `machine x86_64 { cpus 1; irq timer line 0 }
      proc f { work }
      thread t on 0 stack 4 { loop { call f } }
      handler timer { eoi timer; iret }`;
    const report = await check(model, ['stack-integrity']);
    expect(report.figures).toEqual({ stackDepth: { t: { worst: 2, declared: 4 } }, maskedWindow: null });
  });
});

describe('figures and progress', () => {
  it('reports the longest masked window when the model declares a latency bound', async () => {
    const model = `machine x86_64 { cpus 1; irq timer line 0; latency 3 }
      thread t on 0 { loop { cli; work; work; sti } }
      handler timer { eoi timer; iret }`;
    expect((await check(model, ['irq-latency'])).figures?.maskedWindow).toEqual({ steps: 3, cpu: 0 });
  });

  it('on a terminal, redraws one live line at most once a second, with memory and elapsed time', () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    let written = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((written += String(chunk)), true));
    const line = new ProgressLine('terminal', { memory: () => 312 * 1024 * 1024 });
    line.tick(10, 5, 1);
    expect(written).toBe('');
    now += 1500;
    line.tick(3010, 40, 7);
    const live = '\r\x1b[K3,010 states, 2,007 states/s, queue 40, depth 7, 312 MB, 0:01 elapsed';
    expect(written).toBe(live);
    now += 200;
    line.tick(4000, 50, 8);
    line.done();
    expect(written).toBe(`${live}\r\x1b[K`);
    written = '';
    const silent = new ProgressLine('off');
    now += 5000;
    silent.tick(1, 1, 1);
    silent.done();
    expect(written).toBe('');
    vi.restoreAllMocks();
  });

  it('elsewhere (a CI log), writes a plain line at least every 10 seconds', () => {
    let now = 2_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    let written = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((written += String(chunk)), true));
    const line = new ProgressLine('log', { logIntervalMs: 10_000, memory: () => 2048 * 1024 * 1024 });
    now += 9_999;
    line.tick(5_000, 10, 3);
    expect(written).toBe('');
    now += 1;
    line.tick(1_234_567, 89_012, 45);
    now += 72_000;
    line.tick(2_000_000, 1_000, 46);
    line.done();
    expect(written).toBe(
      'schedcheck: progress: 1,234,567 states, 123,457 states/s, queue 89,012, depth 45, 2,048 MB, 0:10 elapsed\n' +
        'schedcheck: progress: 2,000,000 states, 10,631 states/s, queue 1,000, depth 46, 2,048 MB, 1:22 elapsed\n',
    );
    vi.restoreAllMocks();
  });
});
