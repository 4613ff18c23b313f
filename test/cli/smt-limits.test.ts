// The SMT engine holds --timeout and --max-memory hard: a watchdog interrupts Z3 past either, the search
// looks at both before every unrolling and query, and the invariant mining (JavaScript no interrupt reaches)
// explores only what fits in the memory left. Run from dist/ (built by `npm ci`), as a user runs it.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkWithSmt } from '../../src/checker/smt/check.js';
import { load } from '../checker/helpers.js';

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

  it('refuses a state past 256 words as not checkable, at once: building its symbolic system alone outlasted any bound', async () => {
    const wide = 'machine x86_64 { cpus 1 }\nvar a : 0..2147483647[300]\nthread t on 0 { loop { work } }\n';
    const started = performance.now();
    const [r] = await checkWithSmt(load(wide), ['assertions'], { timeoutSeconds: 5 });
    expect(r).toMatchObject({ verdict: 'inconclusive', reason: 'not-checkable', detail: 'the model is too large for the SMT engine: a state of 305 words, over 256; the explicit engine decides it', decidableBy: 'explicit' });
    expect(performance.now() - started).toBeLessThan(1000);
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
