// The laws are themselves tested: a tampered or roundabout counterexample must fail them. And every
// counterexample the checker finds for the seed models in models/ obeys them.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';
import type { Counterexample } from '../../src/checker/verdict.js';
import { traceOf } from '../../src/checker/view.js';
import { buildModel } from '../../src/hw/build.js';
import { cexOf, check, modelOf } from './helpers.js';
import { assertCounterexampleReplays, bfsDepths, replay } from './laws.js';

const LOST_UPDATE = `machine x86_64 { cpus 2 }
var counter : 0..2 = 0
var x : 0..1 = 0
percpu var seen : 0..2 = 0
thread p on 0 { seen := counter; counter := seen + 1; assert counter == 2 "lost" }
thread q on 1 { seen := counter; counter := seen + 1; loop { x := 1; x := 0 } }`;

describe('assertCounterexampleReplays', () => {
  it('accepts the counterexample the checker found', async () => {
    const cex = cexOf(await check(LOST_UPDATE, ['assertions']), 'assertions');
    expect(cex.length).toBe(3);
    assertCounterexampleReplays(modelOf(LOST_UPDATE), cex);
  });

  it('rejects a step whose state was changed, a relabelled step and a missing step', async () => {
    const model = modelOf(LOST_UPDATE);
    const cex = cexOf(await check(LOST_UPDATE, ['assertions']), 'assertions');
    const changed: Counterexample = structuredClone(cex);
    changed.steps[2]!.state.vars.counter = '2';
    expect(() => replay(model, changed)).toThrow('not a path of the model');
    const relabelled: Counterexample = structuredClone(cex);
    relabelled.steps[1]!.label = 'work';
    expect(() => replay(model, relabelled)).toThrow('not a path of the model');
    const shortened: Counterexample = { ...cex, steps: [cex.steps[0]!, ...cex.steps.slice(2)] };
    expect(() => replay(model, shortened)).toThrow('not a path of the model');
  });

  it('rejects a real path that takes a detour', async () => {
    const model = modelOf(LOST_UPDATE);
    // q finishes its increment first, loops once (x := 1; x := 0: back where it was), then p runs and fails.
    const labels = ['1:seen := counter', '1:counter := seen + 1', '1:x := 1', '1:x := 0', '0:seen := counter', '0:counter := seen + 1', '0:assert counter == 2'];
    const states = [model.initialStates()[0]!];
    const actions: number[] = [];
    for (const l of labels) {
      const [cpu, text] = [Number(l[0]), l.slice(2)];
      const a = model.actions(states.at(-1)!).find((x) => model.label(x).cpu === cpu && model.label(x).text === text)!;
      actions.push(a);
      states.push(model.successor(states.at(-1)!, a).next);
    }
    const cex: Counterexample = { property: 'assertions', message: 'x', length: actions.length, steps: traceOf(model, states, actions), violationSpan: null };
    expect(replay(model, cex).actions).toEqual(actions);
    expect(() => assertCounterexampleReplays(model, cex)).toThrow('shortest');
  });
});

describe('seed models', () => {
  const files = readdirSync('models', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sched'))
    .sort();

  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`every counterexample of ${file} replays and is shortest`, async () => {
      const { program, report } = await checkModelFile(`models/${file}`, [], { maxStates: 300_000, progress: false });
      expect(report, `${file} loads and checks`).not.toBeNull();
      const model = buildModel(program!);
      const violated = report!.results.flatMap((r) => (r.verdict === 'violated' ? [r.counterexample] : []));
      const depths = violated.length > 0 ? bfsDepths(model) : new Map<string, number>();
      for (const cex of violated) assertCounterexampleReplays(model, cex, depths);
    });
  }
});
