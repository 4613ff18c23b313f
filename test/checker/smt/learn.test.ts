// Invariants learned from smaller configurations (src/checker/smt/learn.ts): the views of one and of two
// interchangeable threads seen in complete explorations of THREADS = 2, 3 and 4 are proved inductive at
// THREADS = 5 by Houdini, and k-induction proves the property there, without exploring THREADS = 5. The proof
// says for which configuration it holds and where its invariant came from.

import { describe, expect, it } from 'vitest';
import { Budget } from '../../../src/checker/smt/budget.js';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
import { exploreStates, houdiniWhole } from '../../../src/checker/smt/invariants.js';
import { learnCandidates } from '../../../src/checker/smt/learn.js';
import { SymbolicSystem } from '../../../src/checker/smt/system.js';
import { exclusive, z3 } from '../../../src/checker/smt/z3.js';
import { buildModel } from '../../../src/hw/build.js';
import type { Program } from '../../../src/ir/ir.js';
import { loadModel } from '../../../src/lang/load.js';
import { modelPath } from './model-files.js';

const RING = 'test/checker/smt/learn/yield-ring.sched';

function ring(threads: number): Program {
  const { program } = loadModel(modelPath(RING), [`THREADS=${threads}`]);
  if (program === null) throw new Error(`${RING} does not load`);
  return program;
}

describe('invariants learned from smaller configurations', () => {
  it('prove THREADS = 5 from the views of THREADS = 2, 3, 4, and say so', async () => {
    const [r] = await checkWithSmt(ring(5), ['stack-integrity'], { learnFrom: [ring(2), ring(3), ring(4)], maxDepth: 4 });
    expect(r).toMatchObject({ property: 'stack-integrity', engine: 'smt', verdict: 'holds', complete: true });
    expect(r!.proof).toEqual({
      method: 'k-induction',
      k: 1,
      configuration: { THREADS: 5 },
      learnedFrom: [{ THREADS: 2 }, { THREADS: 3 }, { THREADS: 4 }],
    });
  }, 60_000);
});

describe('Houdini over learned views', () => {
  async function learned(target: number, from: number[]) {
    const ctx = await z3();
    const sys = new SymbolicSystem(ctx, buildModel(ring(target)), Budget.NONE);
    const small = from.map((n) => ({ program: ring(n), states: exploreStates(buildModel(ring(n)), 10_000, Budget.NONE).states }));
    const { candidates, breaking } = learnCandidates(sys, small)!;
    return { ctx, sys, candidates, breaking };
  }

  it('learns one orbit per kind of view: every thread, every pair, one representative each', async () => {
    const { candidates } = await learned(5, [2, 3, 4]);
    // worker[0..4]: 5 views of one thread and 10 of two; the boot thread is fixed.
    const orbits = new Map<string, string[]>();
    for (const c of candidates) orbits.set(c.orbit!.key, [...(orbits.get(c.orbit!.key) ?? []), `${c.name}${c.orbit!.representative ? ' *' : ''}`]);
    expect([...orbits.keys()]).toEqual(['0/1', '0/2']);
    expect(orbits.get('0/1')).toEqual(['view of worker[0] *', 'view of worker[1]', 'view of worker[2]', 'view of worker[3]', 'view of worker[4]']);
    expect(orbits.get('0/2')!.length).toBe(10);
    expect(orbits.get('0/2')![0]).toBe('view of worker[0], worker[1] *');
    expect(orbits.get('0/2')!.filter((n) => n.endsWith('*'))).toHaveLength(1);
  }, 60_000);

  it('keeps every view that is inductive, and drops an orbit whole when its representative breaks', async () => {
    const five = await learned(5, [2, 3, 4]);
    const kept = await exclusive(() => houdiniWhole(five.ctx, five.sys, five.sys.model.initialStates(), five.candidates, null, undefined, five.breaking));
    expect(kept!.length).toBe(15);
    // The views of THREADS = 2, 3 are not inductive at 4 (a view names more threads than 3 have): the pairs'
    // representative breaks first and takes its 5 images with it, then the views of one thread go.
    const four = await learned(4, [2, 3]);
    expect(four.candidates.length).toBe(4 + 6);
    // With the symmetry breaking assumed (the threads other than worker[0] and worker[1] first appear in id
    // order), and without it, the same rounds.
    for (const breaking of [four.breaking, undefined]) {
      const rounds: [string[], number][] = [];
      const none = await exclusive(() => houdiniWhole(four.ctx, four.sys, four.sys.model.initialStates(), four.candidates, null, (broken, left) => rounds.push([broken, left]), breaking));
      expect(none).toEqual([]);
      expect(rounds).toEqual([
        [['view of worker[0], worker[1]'], 4],
        [['view of worker[0]'], 0],
      ]);
    }
    // A candidate of no orbit (a model's invariant line may name one thread) turns both shortcuts off: every
    // candidate is checked (which members a round drops then depends on the model Z3 finds), and the lone
    // candidate, not inductive, goes like the views.
    const lone = { ...four.candidates[3]!, name: 'lone copy of the view of worker[3]', orbit: undefined };
    const rounds: string[][] = [];
    const left = await exclusive(() => houdiniWhole(four.ctx, four.sys, four.sys.model.initialStates(), [...four.candidates, lone], null, (broken) => rounds.push(broken), four.breaking));
    expect(left).toEqual([]);
    expect(rounds.flat()).toContain('lone copy of the view of worker[3]');
  }, 60_000);
});
