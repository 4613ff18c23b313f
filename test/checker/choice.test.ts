// Nondeterministic choice (`either { } or { }`, `x := any LO..HI`): each alternative is a step action of its own
// (src/hw/transition.ts, Machine.stepsAt), so the reference interpreter, the compiled successor function and the
// SMT encoding all explore every alternative; an `either` decides like a branch (no progress), `any` assigns.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import { checkProgram } from '../../src/checker/check.js';
import { compileModel, maxActions } from '../../src/checker/explicit/compile.js';
import { checkWithSmt } from '../../src/checker/smt/check.js';
import { machineOf } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import type { Model } from '../../src/ir/model.js';
import { check, enabled, load, modelOf, summary, walk } from './helpers.js';

function compiledActions(model: Model, state: Uint32Array): number[] {
  const compiled = compileModel(model);
  if (compiled === null) throw new Error('the model was not compiled');
  const out = new Int32Array(maxActions(model.program));
  return Array.from(out.subarray(0, compiled.actions(state, out)));
}

const PICK = `machine x86_64 { cpus 2 }
var x : 0..5 = 0
var y : 0..1 = 0
thread a on 0 { x := any 2..4 }
thread b on 1 { either { y := 1 } or { work } or { skip } }`;

describe('nondeterministic choice', () => {
  it('offers one step per alternative, in order, in the reference model and the compiled scan alike', () => {
    // Arrange
    const model = modelOf(PICK);
    const start = model.initialStates()[0]!;

    // Act
    const labels = enabled(model, start);

    // Assert
    expect(labels).toEqual(['0: x := any: 2', '0: x := any: 3', '0: x := any: 4', '1: either: block 1', '1: either: block 2', '1: either: block 3']);
    expect(compiledActions(model, start)).toEqual(model.actions(start));
    expect(model.actions(start).map((a) => model.progress(a))).toEqual([true, true, true, false, false, false]);
  });

  it('assigns the chosen value and continues after the choice; an either block continues at its own code', () => {
    const model = modelOf(PICK);
    const m = machineOf(model);
    const x = model.layout.slots.find((s) => s.name === 'x')!;
    const three = walk(model, 'x := any: 3');
    expect(m.read(three, x)).toBe(3);
    expect(enabled(model, three)).toEqual(['0: end of thread', '1: either: block 1', '1: either: block 2', '1: either: block 3']);
    expect(enabled(model, walk(model, ['either: block 1', 1]))).toContain('1: y := 1');
    expect(enabled(model, walk(model, ['either: block 2', 1]))).toContain('1: work');
    // The third block is empty: it goes straight to the end of the thread.
    expect(enabled(model, walk(model, ['either: block 3', 1]))).toContain('1: end of thread');
  });

  it('explores every combination, with pinned state counts', async () => {
    // Thread a: at the choice, then x = 2, 3 or 4 at its end and exited (7 states); thread b: at the choice, at
    // `y := 1`, at `work`, then y = 0 or 1 at its end and exited (7; the empty block and `work` meet). 7 x 7.
    const report = await check(PICK, ['assertions', 'no-deadlock']);
    expect(summary(report, 'assertions')).toBe('holds 49');
    expect(summary(report, 'no-deadlock')).toBe('holds 49');
  });

  it('a loop of either blocks that do nothing makes no progress (no-deadlock), a loop of any does', async () => {
    // Either block leads back to the choice: one state, from which no progress is reachable.
    const spin = await check(`machine x86_64 { cpus 1 }\nthread t on 0 { loop { either { skip } or { skip } } }`, ['no-deadlock']);
    expect(summary(spin, 'no-deadlock')).toBe('violated 1 0');
    const assign = await check(`machine x86_64 { cpus 1 }\nvar x : 0..1\nthread t on 0 { loop { x := any 0..1 } }`, ['no-deadlock']);
    expect(summary(assign, 'no-deadlock')).toBe('holds 2');
  });

  it('returns to the choice after an interrupt taken there, which then chooses afresh', () => {
    const model = modelOf(`machine x86_64 { cpus 1; irq timer line 0 }
var x : 0..1
thread t on 0 { x := any 0..1; loop { work } }
handler timer { eoi timer; iret }`);
    const back = walk(model, 'interrupt timer arrives and is taken', 'eoi timer', 'iret');
    expect(enabled(model, back)).toEqual(['0: x := any: 0', '0: x := any: 1', '0: interrupt timer arrives and is taken']);
  });
});

/** The regression models: exact verdicts, state counts and counterexample lengths in both engines. */
const MODELS: [string, PropertyId, string, string][] = [
  ['choice-either-order', 'no-deadlock', 'violated 27 4', 'violated 4'],
  ['choice-either-order', 'lock-order', 'violated 18 3', 'violated 3'],
  ['choice-any-budget', 'assertions', 'violated 21 4', 'violated 4'],
];

describe('the choice models in both engines', () => {
  it.each(MODELS)('%s %s', (name, property, explicit, smt) => expectBothEngines(name, property, explicit, smt, 4), 60_000);

  it('the over-large request is the one the counterexample chooses', async () => {
    const file = 'test/checker/models/choice-any-budget.sched';
    const report = await checkProgram(load(readFileSync(file, 'utf8'), [], file), { properties: ['assertions'], progress: false });
    const r = report.results[0]!;
    if (r.verdict !== 'violated') throw new Error('not violated');
    expect(r.counterexample.steps.map((s) => s.label)).toEqual(['initial state', 'cli', 'size := any: 3', 'test size <= budget + 1 (true)', 'budget := budget - size']);
  });

  it('k-induction proves the right grant test, choice-any-budget-ok', async () => {
    const file = 'test/checker/models/choice-any-budget-ok.sched';
    const [r] = await checkWithSmt(load(readFileSync(file, 'utf8'), [], file), ['assertions'], { timeoutSeconds: 60 });
    expect(r!.verdict === 'holds' && r!.complete).toBe(true);
  }, 60_000);
});
