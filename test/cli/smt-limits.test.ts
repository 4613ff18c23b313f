// The SMT engine holds --timeout and --max-memory hard: a watchdog interrupts Z3 past either, the search
// looks at both before every unrolling and query, and the invariant mining (JavaScript no interrupt reaches)
// explores only what fits in the memory left. Run from dist/ (built by `npm ci`), as a user runs it.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Budget, OutOfBudget } from '../../src/checker/smt/budget.js';
import { checkWithSmt } from '../../src/checker/smt/check.js';
import { EVENT_PROPERTIES, SymbolicSystem } from '../../src/checker/smt/system.js';
import { Unrolling } from '../../src/checker/smt/unrolling.js';
import { z3 } from '../../src/checker/smt/z3.js';
import { load, modelOf } from '../checker/helpers.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const PRELOAD = join(ROOT, 'test/fixtures/cli/report-max-rss.mjs');
const MODEL = 'models/forkexec-004/redesign-need-resched.sched';

function check(...args: string[]): { code: number | null; out: string; maxRssMb: number; seconds: number } {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', PRELOAD, MAIN, 'check', ...args], { cwd: ROOT, encoding: 'utf8' });
  const kb = Number(/max-rss-kb (\d+)/.exec(child.stderr)?.[1] ?? NaN);
  return { code: child.status, out: child.stdout, maxRssMb: kb / 1024, seconds: (performance.now() - started) / 1000 };
}

describe('SMT limits', () => {
  it('takes a timeout past 2^31 ms as no timeout, not as one that fires at once', async () => {
    const hog = 'machine x86_64 { cpus 1 }\nthread t on 0 { loop { work } }\n';
    const [r] = await checkWithSmt(load(hog), ['stack-integrity'], { timeoutSeconds: 1e12, maxDepth: 3 });
    expect(r).toMatchObject({ verdict: 'holds', complete: true });
  });

  it('checks a state of more than 256 words (no size limit of its own)', async () => {
    const wide = 'machine x86_64 { cpus 1 }\nvar a : 0..2147483647[300]\nthread t on 0 { loop { work } }\n';
    const [r] = await checkWithSmt(load(wide), ['stack-integrity'], { maxDepth: 1, kInduction: false });
    expect(r).toMatchObject({ verdict: 'inconclusive', reason: 'max-depth', detail: 'no violation on any path of up to 1 steps (bounded model checking)' });
  });

  it('stops building the symbolic system and its unrollings when the budget is spent, at the first look after', async () => {
    const model = modelOf('machine x86_64 { cpus 1 }\nvar a : 0..1000[200]\nvar i : 0..199 = 0\nthread t on 0 { loop { a[i] := (a[i] + 1) % 1000; if i < 199 { i := i + 1 } } }\n');
    const ctx = await z3();
    // A budget spent after `allowed` looks (as the memory limit would be), counting them.
    let looks = 0;
    let allowed = 50;
    const budget = new Budget(null, () => ++looks > allowed);
    expect(() => new SymbolicSystem(ctx, model, budget)).toThrow(OutOfBudget);
    expect(looks).toBe(51);
    // The same build with room to finish looks once per action, per slot, per condition picked over the actions
    // (enabled, fatal, each event property's violation), and before the state events and before `stuck`.
    [looks, allowed] = [0, Infinity];
    const sys = new SymbolicSystem(ctx, model, budget);
    expect(looks).toBe(sys.actions.length + sys.slots.length + 2 + EVENT_PROPERTIES.length + 2);
    expect(looks).toBeGreaterThan(200);
    // An unrolling looks once before each step and once per earlier state: steps 1, 2 and 3 take 2 + 3 + 4.
    [looks, allowed] = [0, 9];
    const path = new Unrolling(ctx, sys, null, null, true);
    try {
      expect(() => path.extendTo(10)).toThrow(OutOfBudget);
      expect(looks).toBe(10);
    } finally {
      path.release();
    }
  });

  it('ends inconclusive (timeout) when the deadline comes while the symbolic system is built', async () => {
    const wide = 'machine x86_64 { cpus 1 }\nvar a : 0..1000[1000]\nvar i : 0..999 = 0\nthread t on 0 { loop { a[i] := (a[i] + 1) % 1000; if i < 999 { i := i + 1 } } }\n';
    const [r] = await checkWithSmt(load(wide), ['assertions'], { timeoutSeconds: 0 });
    expect(r).toMatchObject({ verdict: 'inconclusive', reason: 'timeout', detail: 'stopped by --timeout while the symbolic system was built' });
  });

  it.skipIf(!existsSync(MAIN))('stays under --max-memory, ending inconclusive (max-memory)', () => {
    const r = check(MODEL, '--engine', 'smt', '--property', 'assertions', '--max-memory', '300', '--timeout', '60');
    expect(r.code).toBe(3);
    expect(r.out).toContain('assertions  inconclusive: stopped at the memory limit (300 MB)  [smt]');
    expect(r.maxRssMb).toBeLessThan(300);
  });

  it.skipIf(!existsSync(MAIN))('ends at --timeout, not long after', () => {
    const r = check(MODEL, '--engine', 'smt', '--property', 'assertions', '--timeout', '2');
    // Decided in time (holds, exit 0), or stopped by the deadline (exit 3), depending on the machine's speed.
    if (r.code === 0) expect(r.out).toMatch(/assertions {2}holds: (the explicit result re-checked by SMT|proved for paths of any length|every path searched) {2}\[smt\]/);
    else expect(r.out).toMatch(/assertions {2}inconclusive: (.*stopped by --timeout|stopped before the first search finished)/);
    // Start-up (Node, Z3's WebAssembly) comes on top of the 2 s.
    expect(r.seconds).toBeLessThan(4);
  });
});
