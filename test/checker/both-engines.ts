// A regression model's property in both engines, as the tests of each language feature check it: the explicit
// engine's verdict, state count and counterexample length (`summary`), and the SMT engine's answer within the same
// depth (bounded model checking as deep as the explicit counterexample; k-induction where the property holds),
// whose counterexample must replay on the reference model.

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { checkProgram } from '../../src/checker/check.js';
import { checkWithSmt } from '../../src/checker/smt/check.js';
import { buildModel } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { load, summary } from './helpers.js';
import { assertCounterexampleReplays, bfsDepths } from './laws.js';

/**
 * Checks test/checker/models/NAME.sched for `property`: the explicit summary must be `explicit` (`violated 27 4`,
 * `holds 32`) and the SMT answer `smt` (`violated 4`, or `holds`: proved, for paths of any length). `depth` bounds
 * the SMT search of a property that holds (the explicit counterexample's length bounds it otherwise).
 */
export async function expectBothEngines(name: string, property: PropertyId, explicit: string, smt: string, depth: number): Promise<void> {
  const file = `test/checker/models/${name}.sched`;
  const program = load(readFileSync(file, 'utf8'), [], file);
  const report = await checkProgram(program, { properties: [property], progress: false });
  expect(summary(report, property)).toBe(explicit);
  const kInduction = smt === 'holds';
  const [r] = await checkWithSmt(program, [property], { maxDepth: Number(explicit.split(' ')[2] ?? depth), kInduction, timeoutSeconds: 60 });
  expect(r!.verdict === 'violated' ? `violated ${r!.counterexample.length}` : r!.verdict === 'holds' && r!.complete ? 'holds' : r!.verdict).toBe(smt);
  if (r!.verdict !== 'violated') return;
  const model = buildModel(program);
  assertCounterexampleReplays(model, r!.counterexample, bfsDepths(model));
}
