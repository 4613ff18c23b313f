// Unbounded proofs. k-induction proves the safety properties of the fixed seed designs, and its strengthening
// invariants come from the model's own `invariant` lines or from the explicit state space, so that the user
// does not have to write them.

import { describe, expect, it } from 'vitest';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
import type { PropertyResult } from '../../../src/checker/verdict.js';
import type { PropertyId } from '../../../src/ir/ir.js';
import { loadModel } from '../../../src/lang/load.js';
import { load } from '../helpers.js';
import { modelPath } from './model-files.js';

/** Properties a k-induction proof decides completely. */
const PROVABLE: PropertyId[] = ['stack-integrity', 'lock-order', 'irq-lock-safety', 'atomic-sleep', 'assertions'];
/** Properties whose stuck-state / immediate-EOI part is proved, the rest left to the explicit engine. */
const PARTIAL: PropertyId[] = ['no-deadlock', 'eoi-discipline'];

function byProperty(results: PropertyResult[], property: PropertyId): PropertyResult {
  const r = results.find((x) => x.property === property);
  if (r === undefined) throw new Error(`no result for ${property}`);
  return r;
}

describe('k-induction proves the fixed seed designs', () => {
  // 004 at one CPU and two children (2 s): its own configuration, two CPUs (164,000 states, half a minute), is
  // proved the same way by specs/forkexec-004.plan, which the gate runs.
  it.each([
    ['004 redesign (need_resched, switch on the interrupt-return path)', 'models/forkexec-004/redesign-need-resched.sched', ['CPUS=1', 'THREADS=3']],
    ['001 Option 2 (yield pending, checked on interrupt return)', 'models/aethelos-001/option2-yield-pending.sched', []],
    ['002 option C (the stub restores from thread->context)', 'models/ckernel-002/option-c-context-stub.sched', []],
    ['003 with ELR/SPSR saved before unmasking', 'models/aarch64-003/elr-saved-before-unmask.sched', []],
  ])('%s', async (_name, file, sets) => {
    const { program } = loadModel(modelPath(file), sets);
    if (program === null) throw new Error(`${file} does not load`);
    const results = await checkWithSmt(program, [...PROVABLE, ...PARTIAL], { timeoutSeconds: 280 });
    for (const property of PROVABLE) {
      const r = byProperty(results, property);
      // irq-lock-safety of a design without locks has nothing to search for.
      const method = property === 'irq-lock-safety' && program.locks.length === 0 ? 'vacuous' : 'explicit-recheck';
      expect({ property, verdict: r.verdict, complete: r.verdict === 'holds' && r.complete, method: r.proof?.method }).toEqual({
        property,
        verdict: 'holds',
        complete: true,
        method,
      });
    }
    for (const property of PARTIAL) {
      const r = byProperty(results, property);
      expect(r.verdict === 'inconclusive' && r.reason, property).toBe('not-checkable');
      // The seed designs are small enough for a complete explicit search: the proof assumes its reachable set.
      expect(r.verdict === 'inconclusive' && r.detail, property).toMatch(/^the explicit result re-checked by SMT \(k-induction with k = \d+\), but /);
      expect([r.decidableBy, r.proof?.method], property).toEqual(['explicit', 'explicit-recheck']);
    }
  }, 300_000);
});

// x stays even, but the assertion looks at it only every eighth time round the loop: from an odd x a path runs
// 8 iterations without a violation, so k-induction alone needs a long window. With the invariant line, k = 2
// (the second step covers `n := n + 1` from an arbitrary n = 7, which only the branch before it rules out).
const EVEN = (withInvariant: boolean): string => `
machine x86_64 { cpus 1 }
var x : 0..15 = 0
var n : 0..7 = 0
thread t on 0 stack 2 {
  loop {
    x := (x + 2) % 16
    if n == 7 { n := 0; assert x % 2 == 0 "x stays even" } else { n := n + 1 }
  }
}
${withInvariant ? 'invariant even: x % 2 == 0' : ''}
`;

describe('strengthening invariants', () => {
  it('uses the model\'s invariant lines (Houdini keeps the inductive ones)', async () => {
    const [r] = await checkWithSmt(load(EVEN(true)), ['assertions'], { maxDepth: 6, mineStates: 0 });
    expect(r).toMatchObject({ property: 'assertions', engine: 'smt', verdict: 'holds', complete: true, stats: { depth: 2 } });
    // No state was enumerated: a proof for paths of any length that rests on Z3 alone.
    expect(r!.proof).toEqual({ method: 'k-induction', k: 2, configuration: {} });
  });

  it('without invariants and without mining, the same window is too short: inconclusive at the depth bound', async () => {
    const [r] = await checkWithSmt(load(EVEN(false)), ['assertions'], { maxDepth: 6, mineStates: 0 });
    expect(r).toMatchObject({ property: 'assertions', engine: 'smt', verdict: 'inconclusive', reason: 'max-depth' });
    expect(r!.verdict === 'inconclusive' && r!.detail).toBe('no violation on any path of up to 6 steps (bounded model checking)');
  });

  it('mines the invariant from the explicit state space when the model declares none', async () => {
    const [r] = await checkWithSmt(load(EVEN(false)), ['assertions'], { maxDepth: 6 });
    expect(r).toMatchObject({ property: 'assertions', engine: 'smt', verdict: 'holds', complete: true });
    // The exploration was complete: its reachable set is the invariant, and the proof re-checks it, no more.
    expect(r!.proof).toEqual({ method: 'explicit-recheck', k: 1, configuration: {} });
  });

  it('without k-induction, bounded model checking never claims a proof', async () => {
    const [r] = await checkWithSmt(load(EVEN(true)), ['assertions'], { maxDepth: 5, kInduction: false });
    expect(r).toMatchObject({ property: 'assertions', verdict: 'inconclusive', reason: 'max-depth', stats: { depth: 5 } });
  });
});
