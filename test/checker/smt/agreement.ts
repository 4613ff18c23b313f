// No silent disagreement, at the level of verdicts: for every model (the seeds, the checker's test models, the
// SMT test models), the explicit engine (breadth-first, complete) and the SMT engine's bounded model checking
// give compatible answers for every property, up to a depth the SMT engine reaches in seconds: the longest
// counterexample the explicit engine finds that the SMT engine searches for, when it is at most 10 steps, and at
// least 4 steps (each step of the relation is held to the explicit one on reachable states by differential.test.ts).
// - a violation the explicit engine finds within that depth, the SMT engine finds too, with a counterexample of
//   the same length (both are shortest) that replays through the Model;
// - a violation beyond it, or none at all: the SMT engine reports none up to that depth;
// - the parts the SMT engine cannot see (a livelock, a line left in service forever, liveness) it never claims.
// Its proofs are tested in kinduction.test.ts. The models are split over several files (agreement-*.test.ts)
// so that the test runner spreads them over its workers.

import { expect } from 'vitest';
import { checkProgram } from '../../../src/checker/check.js';
import type { Model } from '../../../src/ir/model.js';
import { checkWithSmt } from '../../../src/checker/smt/check.js';
import type { Counterexample, PropertyResult } from '../../../src/checker/verdict.js';
import { buildModel } from '../../../src/hw/build.js';
import { PROPERTY_IDS, type PropertyId } from '../../../src/ir/ir.js';
import { loadModel } from '../../../src/lang/load.js';
import { assertCounterexampleReplays, bfsDepths, replay } from '../laws.js';
import { explicitStateFacts } from './differential.js';
import { modelPath } from './model-files.js';

/** The depth of the comparison: at least MIN_DEPTH, and every searchable counterexample up to MAX_DEPTH. */
const MIN_DEPTH = 4;
const MAX_DEPTH = 10;

/**
 * Whether an explicit counterexample is one the SMT engine searches for: not a liveness lasso, no-deadlock's
 * stuck state (not the "no progress reachable" found after a complete search), eoi-discipline's violations on a
 * step (not "left in service forever").
 */
function searchable(model: Model, cex: Counterexample): boolean {
  if (cex.property === 'no-starvation') return false;
  if (cex.property !== 'no-deadlock' && cex.property !== 'eoi-discipline') return true;
  const { states, actions } = replay(model, cex);
  if (cex.property === 'no-deadlock') return explicitStateFacts(model, states[states.length - 1]!).includes('stuck');
  const last = actions[actions.length - 1];
  if (last === undefined) return false;
  const events = model.successor(states[states.length - 2]!, last).events;
  return events.some((e) => e.kind === 'violation' && e.property === 'eoi-discipline');
}

function describeResult(r: PropertyResult): string {
  if (r.verdict === 'violated') return `violated in ${r.counterexample.length}`;
  if (r.verdict === 'holds') return `holds${r.complete ? '' : ' (bounded)'}`;
  return `inconclusive (${r.reason})`;
}

/** Asserts that both engines agree on `file`. */
export async function assertEnginesAgree(file: string): Promise<void> {
  const { program } = loadModel(modelPath(file), []);
  if (program === null) throw new Error(`${file} does not load`);
  const model = buildModel(program);
  const properties: PropertyId[] = [...PROPERTY_IDS];
  const explicit = await checkProgram(program, { properties, progress: false });
  const depths = bfsDepths(model);
  const lengths = explicit.results.flatMap((r) => (r.verdict === 'violated' && searchable(model, r.counterexample) && r.counterexample.length <= MAX_DEPTH ? [r.counterexample.length] : []));
  const depth = Math.max(MIN_DEPTH, ...lengths);
  const smt = await checkWithSmt(program, properties, { maxDepth: depth, kInduction: false, timeoutSeconds: 200 });
  expect(smt.map((r) => r.property)).toEqual(properties);
  for (const property of properties) {
    const e = explicit.results.find((r) => r.property === property)!;
    const s = smt.find((r) => r.property === property)!;
    const context = `${property}: explicit ${describeResult(e)}, smt ${describeResult(s)}`;
    expect(s.engine, context).toBe('smt');
    if (e.verdict === 'violated' && searchable(model, e.counterexample) && e.counterexample.length <= depth) {
      expect(s.verdict, context).toBe('violated');
      if (s.verdict !== 'violated') continue;
      expect(s.counterexample.length, context).toBe(e.counterexample.length);
      assertCounterexampleReplays(model, s.counterexample, depths);
      continue;
    }
    // Nothing the SMT engine can see within its bound: no violation, and (without k-induction) no proof, but
    // for a property with nothing to search for (irq-lock-safety of a model without locks).
    expect(s.verdict, context).not.toBe('violated');
    if (s.verdict === 'holds') {
      expect(e.verdict, context).toBe('holds');
      expect(s.complete, context).toBe(true);
      continue;
    }
    if (s.verdict !== 'inconclusive') continue;
    if (s.reason === 'not-checkable') {
      expect(['no-starvation', 'irq-latency'], context).toContain(property);
      continue;
    }
    expect(s.reason, context).toBe('max-depth');
    expect(s.stats.depth, context).toBe(depth);
  }
}
