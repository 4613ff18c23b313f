// Invariants learned from smaller configurations (src/checker/smt/learn.ts): the views of one and of two
// interchangeable threads seen in complete explorations of THREADS = 2, 3 and 4 are proved inductive at
// THREADS = 5 by Houdini, and k-induction proves the property there, without exploring THREADS = 5. The proof
// says for which configuration it holds and where its invariant came from.

import { describe, expect, it } from 'vitest';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
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
