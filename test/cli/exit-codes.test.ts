// Exit codes a newcomer and CI rely on: a correct design exits 0 (irq-latency is not run without a `latency`
// bound), and `check --expect` makes a model its own test.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './run.js';

const FIXED = 'models/aethelos-001/spin-mutex-fixed.sched';
const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';

function model(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'schedcheck-exit-')), 'm.sched');
  writeFileSync(file, text);
  return file;
}

describe('exit codes', () => {
  it('a correct design without a latency bound exits 0, and irq-latency has no verdict at all', () => {
    const r = cli(['check', FIXED]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('irq-latency');
    const json = JSON.parse(cli(['check', FIXED, '--format', 'json']).out) as { results: { property: string }[] };
    expect(json.results.map((x) => x.property)).toEqual([
      'no-deadlock', 'stack-integrity', 'lock-order', 'irq-lock-safety', 'eoi-discipline', 'atomic-sleep', 'no-starvation', 'assertions',
    ]);
  });

  it('several models give a JSON array, also when one does not load (exit 2, its diagnostics on stderr)', () => {
    const bad = model('garbage\n');
    const r = cli(['check', FIXED, bad, '--format', 'json', '--property', 'assertions']);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.out) as { model: string }[]).map((x) => x.model)).toEqual([FIXED]);
    expect(r.err).toContain(`${bad}:1:1: error`);
  });

  it('an option of one value given twice is refused before anything runs (exit 2)', () => {
    const r = cli(['check', FIXED, '--junit', 'a.xml', '--junit=b.xml']);
    expect([r.code, r.out, r.err.split('\n')[0]]).toEqual([2, '', 'schedcheck: --junit is given twice: give it once']);
    // Repeatable options stay repeatable.
    expect(cli(['check', FIXED, '--property', 'assertions', '--property', 'lock-order', '--set', 'THREADS=2']).code).toBe(0);
  });

  it('irq-latency asked for by name on a model without a bound is not checkable: exit 3', () => {
    const r = cli(['check', FIXED, '--property', 'irq-latency']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('irq-latency  inconclusive: the model declares no latency bound (machine { latency N })');
  });

  it('a model with a latency bound is checked for it', () => {
    const m = model('machine x86_64 { cpus 1; latency 2 }\nthread t on 0 { cli; work; work; work; sti }\n');
    const r = cli(['check', m, '--property', 'irq-latency', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).results[0]).toMatchObject({ property: 'irq-latency', verdict: 'violated' });
  });

  it('--expect exits 0 when every verdict matches the expect lines, even violations', () => {
    expect(cli(['check', LOOM]).code).toBe(1);
    expect(cli(['check', LOOM, '--expect']).code).toBe(0);
  });

  it('--expect exits 1 when a verdict does not match, and a property without a line is expected to hold', () => {
    const holdsButExpectedViolated = model('machine x86_64 { cpus 1 }\nthread t on 0 { work }\nexpect no-deadlock violated\n');
    expect(cli(['check', holdsButExpectedViolated, '--property', 'no-deadlock', '--expect']).code).toBe(1);
    const unlistedViolation = model('machine x86_64 { cpus 1 }\nthread t on 0 { assert false "boom" }\n');
    expect(cli(['check', unlistedViolation, '--property', 'assertions', '--expect']).code).toBe(1);
    const listed = model('machine x86_64 { cpus 1 }\nthread t on 0 { assert false "boom" }\nexpect assertions violated\n');
    expect(cli(['check', listed, '--property', 'assertions', '--expect']).code).toBe(0);
  });

  it('--expect exits 3 when a verdict is not decided', () => {
    const r = cli(['check', FIXED, '--property', 'no-deadlock', '--max-states', '5', '--expect']);
    expect(r.code).toBe(3);
  });
});
