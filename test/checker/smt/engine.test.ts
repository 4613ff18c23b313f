// The SMT engine's machinery: the Z3 session (hard stop, one check at a time), the replay that refuses any path
// the explicit model does not take, the lockdep plans, and the bounds that end a run as inconclusive.

import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/hw/build.js';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
import { decide, type Outcome } from '../../../src/checker/smt/engine.js';
import { EngineDisagreement, confirm, replayPath } from '../../../src/checker/smt/replay.js';
import { simpleCycles, type PropertyPlan, type Target } from '../../../src/checker/smt/targets.js';
import { bitVectorSolver, checkBy, z3, z3Idle } from '../../../src/checker/smt/z3.js';
import { load } from '../helpers.js';

const HOG = `
machine x86_64 {
  cpus 1
  irq timer line 0 priority 1
}
lock L : spin
var ticks : 0..3 = 0
thread hog on 0 stack 4 {
  sti
  loop { acquire L; work; release L }
}
handler timer {
  acquire L
  if ticks < 3 { ticks := ticks + 1 }
  release L
  eoi timer
  iret
}
`;

describe('Z3 session', () => {
  it('a deadline stops a hard check with ctx.interrupt(): the answer is unknown, and the context still works', async () => {
    const ctx = await z3();
    // Pigeonhole, 12 pigeons in 11 holes: far beyond a fraction of a second for CDCL.
    const n = 11;
    const p = Array.from({ length: n + 1 }, (_, i) => Array.from({ length: n }, (_, j) => ctx.Bool.const(`php_${i}_${j}`)));
    const solver = bitVectorSolver(ctx);
    try {
      for (const row of p) solver.add(ctx.Or(...row));
      for (let j = 0; j < n; j++) {
        for (let a = 0; a <= n; a++) for (let b = a + 1; b <= n; b++) solver.add(ctx.Or(ctx.Not(p[a]![j]!), ctx.Not(p[b]![j]!)));
      }
      const started = Date.now();
      expect(await checkBy(ctx, solver, started + 300)).toBe('unknown');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      solver.release();
    }
    // On a loaded machine the interrupt may come later than the check is given up (HARD_GRACE_MS): Z3 then
    // finishes it first.
    await z3Idle();
    const after = bitVectorSolver(ctx);
    try {
      after.add(ctx.Bool.const('php_after'));
      expect(await checkBy(ctx, after, Date.now() + 5000)).toBe('sat');
    } finally {
      after.release();
    }
  });

  it('checks started together run one at a time and each gets its own answer', async () => {
    const program = load(HOG);
    const [a, b] = await Promise.all([
      checkWithSmt(program, ['no-deadlock'], { maxDepth: 10 }),
      checkWithSmt(program, ['stack-integrity'], { maxDepth: 10 }),
    ]);
    expect(a!.map((r) => [r.property, r.verdict, r.verdict === 'violated' ? r.counterexample.length : null])).toEqual([
      ['no-deadlock', 'violated', 3],
    ]);
    expect(b!.map((r) => [r.property, r.verdict])).toEqual([['stack-integrity', 'holds']]);
  });
});

describe('bounds', () => {
  it('--timeout ends the run as inconclusive (timeout), never a crash', async () => {
    const results = await checkWithSmt(load(HOG), ['stack-integrity', 'assertions'], { timeoutSeconds: 0.001, kInduction: false });
    expect(results.map((r) => [r.property, r.verdict, r.verdict === 'inconclusive' ? r.reason : null])).toEqual([
      ['stack-integrity', 'inconclusive', 'timeout'],
      ['assertions', 'inconclusive', 'timeout'],
    ]);
  });

  it('--max-depth ends bounded model checking as inconclusive (max-depth), with the depth searched', async () => {
    const [r] = await checkWithSmt(load(HOG), ['stack-integrity'], { maxDepth: 3, kInduction: false });
    expect(r).toMatchObject({
      verdict: 'inconclusive',
      reason: 'max-depth',
      detail: 'no violation on any path of up to 3 steps (bounded model checking)',
      stats: { depth: 3 },
    });
  });

  it('liveness and an undeclared latency bound are not checkable, and say why', async () => {
    const results = await checkWithSmt(load(HOG), ['no-starvation', 'irq-latency'], { maxDepth: 2 });
    expect(results.map((r) => [r.property, r.verdict === 'inconclusive' && r.reason, r.verdict === 'inconclusive' && r.detail, r.decidableBy])).toEqual([
      [
        'no-starvation',
        'not-checkable',
        'no-starvation is a liveness property: bounded model checking and k-induction only see safety properties; the explicit engine decides it',
        'explicit',
      ],
      // Without a bound, irq-latency has no meaning for either engine.
      ['irq-latency', 'not-checkable', 'the model declares no latency bound (machine { latency N })', undefined],
    ]);
  });

  it("a model whose values exceed the encoding's range is refused as not checkable", async () => {
    const big = `
machine x86_64 { cpus 1 }
var x : 0..2000000000 = 0
thread t on 0 { x := x * 2 }
`;
    const [r] = await checkWithSmt(load(big), ['assertions']);
    expect(r).toMatchObject({ verdict: 'inconclusive', reason: 'not-checkable' });
    expect(r!.verdict === 'inconclusive' && r!.detail).toBe('the model is too large: expression values exceed the range of the SMT encoding (2^30); the explicit engine decides it');
  });
});

describe('bounded model checking, property by property', () => {
  it("each property's search stops at its own first answer, and reports its own time to it", async () => {
    // irq-lock-safety is violated after 2 steps, no-deadlock after 3; stack-integrity is proved.
    const results = await checkWithSmt(load(HOG), ['no-deadlock', 'irq-lock-safety', 'stack-integrity'], { maxDepth: 10 });
    const [deadlock, safety, stack] = results;
    expect(results.map((r) => [r.property, r.verdict, r.stats.depth])).toEqual([
      ['no-deadlock', 'violated', 3],
      ['irq-lock-safety', 'violated', 2],
      ['stack-integrity', 'holds', 1],
    ]);
    // The proof (k = 1, right after the search at length 1) comes first, then the violations in order of length.
    expect(stack!.stats.seconds).toBeLessThanOrEqual(safety!.stats.seconds);
    expect(safety!.stats.seconds).toBeLessThanOrEqual(deadlock!.stats.seconds);
    expect(stack!.proof).toEqual({ method: 'explicit-recheck', k: 1, configuration: {} });
  });
});

describe('replay through the explicit model', () => {
  it('reports the counterexample the explicit monitor confirms, with its message', async () => {
    const [r] = await checkWithSmt(load(HOG), ['irq-lock-safety'], { maxDepth: 10 });
    expect(r!.verdict).toBe('violated');
    if (r!.verdict !== 'violated') return;
    // sti; acquire L: L held with interrupts on ({HARDIRQ-ON-W}), and in the handler ({IN-HARDIRQ-W}) on
    // another path of the same length: the explicit engine reports it after 2 steps too.
    expect(r!.counterexample.length).toBe(2);
    expect(r!.counterexample.message).toMatch(/^inconsistent lock state: L is taken \(or waited for\) in interrupt context/);
  });

  it('refuses a step the explicit model does not enable', () => {
    const model = buildModel(load(HOG));
    const init = model.initialStates()[0]!;
    const notEnabled = 0x30000000; // an arrival... of line 0 on CPU 0 is enabled; a step at pc 0 on CPU 1 is not
    expect(() => replayPath(model, { states: [init, init], actions: [notEnabled + (1 << 20)] })).toThrow(EngineDisagreement);
  });

  it('refuses a step that leads elsewhere in the explicit model', () => {
    const model = buildModel(load(HOG));
    const init = model.initialStates()[0]!;
    const action = model.actions(init)[0]!;
    const wrong = model.successor(init, action).next.slice();
    wrong[0] = (wrong[0]! ^ 1) >>> 0;
    expect(() => replayPath(model, { states: [init, wrong], actions: [action] })).toThrow(/leads to a different state in the explicit model/);
  });

  it('refuses a path on which the explicit monitor sees no violation', () => {
    const model = buildModel(load(HOG));
    const init = model.initialStates()[0]!;
    const action = model.actions(init)[0]!;
    const path = { states: [init, model.successor(init, action).next], actions: [action] };
    expect(() => confirm(model, 'stack-integrity', [path], 1)).toThrow(/monitor sees no violation/);
  });
});

describe('lockdep plans', () => {
  it('enumerates every simple cycle of the dependency graph once', () => {
    expect(simpleCycles(3)).toEqual([
      [0, 1],
      [0, 1, 2],
      [0, 2],
      [0, 2, 1],
      [1, 2],
    ]);
    expect(simpleCycles(4).length).toBe(20);
  });

  it('decides a combination only when all its facts are reached, at the length of the last one', () => {
    const t = (key: string): Target => ({ key, kind: 'state', cond: null as never });
    const [a, b, c] = [t('a'), t('b'), t('c')];
    const plan: PropertyPlan = { property: 'lock-order', immediate: [], combos: [[a, b], [c]], partial: null, notCheckable: null };
    const reached = (length: number): Outcome => ({ status: 'reached', length, path: { states: [], actions: [] } });
    const unreachable: Outcome = { status: 'unreachable', k: 3, how: 'induction' };
    expect(decide(plan, new Map([['a', reached(2)]]))).toBeNull();
    expect(decide(plan, new Map([['a', reached(2)], ['b', reached(5)]]))).toMatchObject({ verdict: 'violated', length: 5 });
    expect(decide(plan, new Map([['a', reached(2)], ['b', unreachable]]))).toBeNull();
    expect(decide(plan, new Map([['a', reached(2)], ['b', unreachable], ['c', unreachable]]))).toEqual({ verdict: 'holds', k: 3, how: 'induction' });
  });
});
