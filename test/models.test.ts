// Every verification plan in specs/, run as `schedcheck gate` runs it: every plan loads and agrees with its models,
// every model of models/ is planned with every verdict it states, every result is the expected verdict (or not
// yet checkable), and the state counts and counterexample lengths are the pinned ones (test/gate/pins.ts).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { displayPath, loadPlans, planFiles, runChecks, type GateRun, type LoadedPlans } from '../src/checker/gate.js';
import { loadModel } from '../src/lang/load.js';
import { PINS, REDUCED_PINS, type Pin } from './gate/pins.js';

let plans: LoadedPlans;
let run: GateRun;

beforeAll(async () => {
  const { files, diagnostics } = planFiles([]);
  expect(diagnostics).toEqual([]);
  plans = loadPlans(files);
  // The explicit engine's checks. The plans' `engine smt` blocks are run by the gate step of CI (and the SMT
  // engine's own tests hold it to the explicit engine's verdicts and lengths on every model).
  run = await runChecks(plans.checks.filter((c) => c.block.engine === 'explicit'));
}, 600_000);

function modelFiles(dir = 'models'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modelFiles(join(dir, e.name)) : e.name.endsWith('.sched') ? [join(dir, e.name)] : [],
  );
}

describe('the seed models and their plans', () => {
  it('every plan loads and agrees with the expect lines of its models', () => {
    expect(plans.diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.col}: ${d.code} ${d.message}`)).toEqual([]);
    expect(plans.checks.length).toBeGreaterThanOrEqual(40);
  });

  it('every model in models/ is checked by a plan', () => {
    const planned = new Set(plans.checks.map((c) => displayPath(c.block.modelPath)));
    expect(modelFiles().filter((f) => !planned.has(f))).toEqual([]);
  });

  it('every verdict a model states is checked by some plan', () => {
    const planned = new Set(plans.checks.flatMap((c) => c.block.expectations.map((e) => `${displayPath(c.block.modelPath)} ${e.property}`)));
    const unplanned = modelFiles().flatMap((f) => {
      const { program } = loadModel(f, []);
      return (program?.expectations ?? []).map((e) => `${f} ${e.property}`).filter((k) => !planned.has(k));
    });
    expect(unplanned).toEqual([]);
  });

  it('every result is the expected verdict, or not yet checkable, never a pass by default', () => {
    const wrong = run.rows
      .filter((r) => (r.result.verdict === 'inconclusive' ? r.result.reason !== 'not-checkable' : r.result.verdict !== r.expected))
      .map((r) => `${displayPath(r.check.block.modelPath)} [${r.check.label}] ${r.property}: expected ${r.expected}, got ${r.result.verdict} (${r.note})`);
    expect(wrong).toEqual([]);
    for (const r of run.rows) {
      expect(r.status).toBe(r.result.verdict === 'inconclusive' ? 'not-checkable' : 'ok');
    }
  });

  it('covers the seed kernels with the configurations the issue asks for', () => {
    const configs = (model: string): string[] =>
      plans.checks.filter((c) => c.block.engine === 'explicit' && c.block.bounds.hashCompaction !== true && c.block.bounds.symmetry !== true && displayPath(c.block.modelPath) === `models/${model}.sched`).map((c) => c.label);
    expect(configs('executor-000/async-spawned-tasks')).toEqual(['THREADS=2', 'THREADS=3']);
    expect(configs('aethelos-001/option2-yield-pending')).toEqual(['THREADS=2', 'THREADS=3']);
    expect(configs('aarch64-003/context-switch-lock')).toEqual(['CPUS=1 THREADS=2', 'CPUS=1 THREADS=3', 'CPUS=2 THREADS=3', 'CPUS=2 THREADS=4']);
    expect(configs('forkexec-004/redesign-need-resched')).toEqual(['CPUS=1 THREADS=2', 'CPUS=1 THREADS=3', 'CPUS=2 THREADS=2', 'CPUS=2 THREADS=3']);
    expect(configs('forkexec-004/old-handler-abba')).toEqual(['CPUS=2 THREADS=2', 'CPUS=1 THREADS=2']);
  });

  it('explores the pinned number of states and finds counterexamples of the pinned lengths', () => {
    const actual: Record<string, Pin> = {};
    for (const r of run.rows) {
      const { hashCompaction, symmetry } = r.check.block.bounds;
      const reduced = `${hashCompaction === true ? ' [hc]' : ''}${symmetry === true ? ' [symmetry]' : ''}`;
      const key = `${displayPath(r.check.block.modelPath)} ${r.check.label}${reduced}`;
      const pin = (actual[key] ??= { states: 0, cex: {} });
      pin.states = Math.max(pin.states, r.result.stats.states);
      if (r.result.verdict === 'violated') pin.cex[r.property] = r.result.counterexample.length;
    }
    expect(actual).toEqual({ ...PINS, ...REDUCED_PINS });
  });
});
