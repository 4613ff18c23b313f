// The gate end to end on small models written for the test: plan errors against the models (exit 2), results
// as expected (0), not as expected or stopped by a bound (1), not-checkable shown as such, and the JUnit report.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gateCommand } from '../../src/cli/commands/gate.js';
import { classify, loadPlans, runChecks } from '../../src/checker/gate.js';
import type { PropertyResult } from '../../src/checker/verdict.js';

const TICKER = `
const THREADS = 1
machine x86_64 { cpus 1  irq timer line 0 priority 1 }
thread t[THREADS] on 0 { sti; loop { work } }
handler timer { work; eoi timer; iret }
expect no-deadlock holds
expect eoi-discipline holds
expect irq-latency holds
`;

/** Claims a deadlock the model does not have: the gate must fail it, not excuse it. */
const WRONG = `
machine x86_64 { cpus 1  irq timer line 0 priority 1 }
thread t on 0 { sti; loop { work } }
handler timer { work; eoi timer; iret }
expect no-deadlock violated
`;

/** The handler forgets its EOI: eoi-discipline is violated, as the model says. */
const NO_EOI = `
machine x86_64 { cpus 1  irq timer line 0 priority 1 }
thread t on 0 { sti; loop { work } }
handler timer { work; iret }
expect eoi-discipline violated
expect stack-integrity holds
`;

let dir = '';
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-gate-'));
  file('ticker.sched', TICKER);
  // Interchangeable threads yielding round a run queue (test/checker/smt/learn.test.ts), with its claim.
  file('ring.sched', `${readFileSync('test/checker/smt/learn/yield-ring.sched', 'utf8')}\nexpect stack-integrity holds\n`);
  file('wrong.sched', WRONG);
  file('no-eoi.sched', NO_EOI);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  return { out: () => out, err: () => err };
}
afterEach(() => vi.restoreAllMocks());

describe('loadPlans against the models', () => {
  it('holds a plan to the model: contradiction G203, missing expectation G204, bad config G202, repeat G205', () => {
    const plan = file(
      'bad.plan',
      [
        'model ticker.sched',
        'config THREADS=1',
        'config THREADS=1',
        'config NOPE=3',
        'expect no-deadlock violated',
        'expect assertions holds',
        'model missing.sched',
        'expect assertions holds',
      ].join('\n'),
    );
    const { diagnostics, checks } = loadPlans([plan]);
    expect(diagnostics.map((d) => `${d.code} ${d.span.file === plan ? 'plan' : d.span.file}:${d.span.line}:${d.span.col}`)).toEqual([
      'G205 plan:3:1',
      'G202 plan:4:1',
      'G203 plan:5:1',
      'G204 plan:6:1',
      'G201 plan:7:7',
      `E601 ${join(dir, 'ticker.sched')}:1:1`,
    ]);
    expect(diagnostics.find((d) => d.code === 'G203')!.message).toBe(
      "The plan expects no-deadlock violated, but 'ticker.sched' (line 6) says holds.",
    );
    expect(checks.map((c) => c.label)).toEqual(['THREADS=1']);
  });

  it('loads each learn-from configuration on top of each configuration checked; refuses it for the explicit engine (G210)', () => {
    const plan = file(
      'learn.plan',
      ['model ring.sched', 'config THREADS=5', 'engine smt', 'learn-from THREADS=2', 'learn-from THREADS=3', 'expect stack-integrity holds'].join('\n'),
    );
    const { diagnostics, checks } = loadPlans([plan]);
    expect(diagnostics).toEqual([]);
    expect(checks.map((c) => [c.label, c.learnFrom.map((p) => p.constants)])).toEqual([['THREADS=5', [{ THREADS: 2 }, { THREADS: 3 }]]]);
    const bad = file('learn-bad.plan', ['model ring.sched', 'config THREADS=5', 'learn-from THREADS=2', 'learn-from NOPE=1', 'expect stack-integrity holds'].join('\n'));
    const refused = loadPlans([bad]).diagnostics.map((d) => `${d.code} ${d.span.file === bad ? 'plan' : 'model'}:${d.span.line}:${d.span.col}`);
    expect(refused).toEqual(['G210 plan:3:1', 'G202 plan:4:1', 'E601 model:1:1']);
  });

  it('reads no plan when the plan file is missing (G201) and none in an empty specs folder (G206)', () => {
    expect(loadPlans([join(dir, 'nothing.plan')]).diagnostics.map((d) => d.code)).toEqual(['G201']);
  });
});

describe('runChecks', () => {
  it('classifies every expectation, and not-checkable liveness as neither pass nor fail', async () => {
    // irq-latency of a model that declares no latency bound is not checkable, and never will be.
    const plan = file('ok.plan', 'model ticker.sched\nexpect no-deadlock holds\nexpect eoi-discipline holds\nexpect irq-latency holds\nmodel no-eoi.sched\nexpect eoi-discipline violated\n');
    const { diagnostics, checks } = loadPlans([plan]);
    expect(diagnostics).toEqual([]);
    const run = await runChecks(checks);
    expect(run.rows.map((r) => `${r.property} ${r.expected} ${r.result.verdict} ${r.status}`)).toEqual([
      'no-deadlock holds holds ok',
      'eoi-discipline holds holds ok',
      'irq-latency holds inconclusive not-checkable',
      'eoi-discipline violated violated ok',
    ]);
    expect(run.reports).toHaveLength(2);
  });

  it('a run stopped by a bound is a failure, not a pass', async () => {
    const plan = file('bound.plan', 'max-states 3\nmodel ticker.sched\nexpect no-deadlock holds\n');
    const run = await runChecks(loadPlans([plan]).checks);
    expect(run.rows.map((r) => `${r.result.verdict} ${r.status}`)).toEqual(['inconclusive fail']);
    // The row's got column says `inconclusive (max-states)`; the note says what stopped it, once.
    expect(run.rows[0]!.note).toBe('stopped after 3 states (--max-states 3)');
  });
});

describe('runChecks with learn-from', () => {
  it('proves a configuration from invariants learned from smaller ones, and the report says which', async () => {
    const plan = file(
      'learned.plan',
      ['model ring.sched', 'config THREADS=5', 'engine smt', 'max-depth 4', 'learn-from THREADS=2', 'learn-from THREADS=3', 'learn-from THREADS=4', 'expect stack-integrity holds'].join('\n'),
    );
    const run = await runChecks(loadPlans([plan]).checks);
    expect(run.rows.map((r) => `${r.check.label} ${r.property} ${r.result.verdict} ${r.status}`)).toEqual(['THREADS=5 stack-integrity holds ok']);
    expect(run.rows[0]!.result.proof).toEqual({ method: 'k-induction', k: 1, configuration: { THREADS: 5 }, learnedFrom: [{ THREADS: 2 }, { THREADS: 3 }, { THREADS: 4 }] });
  }, 60_000);
});

describe('classify', () => {
  const stats = { states: 1, transitions: 0, depth: 0, seconds: 0 };
  const base = { property: 'no-deadlock', engine: 'explicit', stats } as const;
  it('maps each verdict to a status', () => {
    const holds: PropertyResult = { ...base, verdict: 'holds', complete: true };
    const bounded: PropertyResult = { ...base, engine: 'smt', verdict: 'holds', complete: false };
    const skip: PropertyResult = { ...base, verdict: 'inconclusive', reason: 'not-checkable', detail: 'later' };
    const timeout: PropertyResult = { ...base, verdict: 'inconclusive', reason: 'timeout', detail: '1 s' };
    expect(classify('holds', holds)).toEqual({ status: 'ok', note: null });
    expect(classify('violated', holds).status).toBe('fail');
    expect(classify('holds', bounded).status).toBe('bounded');
    expect(classify('holds', skip)).toEqual({ status: 'not-checkable', note: 'later' });
    expect(classify('violated', skip).status).toBe('not-checkable');
    expect(classify('holds', timeout)).toEqual({ status: 'fail', note: '1 s' });
  });
});

describe('gateCommand', () => {
  it('exits 0 and prints the table when everything is as expected', async () => {
    const plan = file('pass.plan', 'model no-eoi.sched\nexpect eoi-discipline violated\nexpect stack-integrity holds\n');
    const io = capture();
    const code = await gateCommand({ plans: [plan], format: 'text' });
    expect(code).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^model +config +property +expected +got +states +seconds +status$/);
    expect(lines[1]).toMatch(/no-eoi\.sched +- +eoi-discipline +violated +violated +\d+ +\d+\.\d\d +ok$/);
    expect(lines[2]).toMatch(/stack-integrity +holds +holds +\d+ +\d+\.\d\d +ok$/);
    expect(lines[3]).toMatch(/^gate: 2 checks over 1 model configurations: 2 as expected, 0 FAILED, 0 not yet checkable/);
  });

  it('shows a not-checkable result as "not yet checkable", which neither passes nor fails the gate', async () => {
    const plan = file('skip.plan', 'model ticker.sched\nexpect irq-latency holds\n');
    const io = capture();
    expect(await gateCommand({ plans: [plan], format: 'text' })).toBe(0);
    expect(io.out()).toMatch(/irq-latency +holds +inconclusive \(not-checkable\) +\d+ +\d+\.\d\d +not yet checkable\n/);
    expect(io.out()).toMatch(/gate: 1 checks over 1 model configurations: 0 as expected, 0 FAILED, 1 not yet checkable/);
  });

  it('exits 1 when a verdict differs from the expectation, and says which', async () => {
    const plan = file('fail.plan', 'model wrong.sched\nexpect no-deadlock violated\n');
    const io = capture();
    expect(await gateCommand({ plans: [plan], format: 'text' })).toBe(1);
    expect(io.out()).toMatch(/no-deadlock +violated +holds +\d+ +\d+\.\d\d +FAIL/);
    expect(io.out()).toMatch(/FAIL \S*wrong\.sched \[-\] no-deadlock: expected violated, got holds: expected a violation, but no-deadlock holds/);
  });

  it('exits 2 on a bad plan and runs nothing', async () => {
    const plan = file('syntax.plan', 'model ticker.sched\nexpect no-deadlock hold\n');
    const io = capture();
    expect(await gateCommand({ plans: [plan], format: 'text' })).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain(`${plan}:2:20: error G107: Expect \`holds\` or \`violated\`, found 'hold'.`);
  });

  it('writes JUnit: one test case per model, configuration and property; not-checkable is <skipped/>', async () => {
    const plan = file('junit.plan', 'model ticker.sched\nexpect no-deadlock holds\nexpect irq-latency holds\nmodel wrong.sched\nexpect no-deadlock violated\n');
    const output = join(dir, 'gate.xml');
    capture();
    expect(await gateCommand({ plans: [plan], format: 'junit', output })).toBe(1);
    const xml = readFileSync(output, 'utf8');
    const cases = [...xml.matchAll(/<testcase name="([^"]+)" classname="([^"]+)"/g)].map((m) => `${m[2]!.replace(/^.*\//, '')} ${m[1]}`);
    expect(cases).toEqual(['ticker.sched [THREADS=1] no-deadlock', 'ticker.sched [THREADS=1] irq-latency', 'wrong.sched [-] no-deadlock']);
    expect(xml).toContain('<failure message="expected no-deadlock violated, but it holds" type="unexpected-verdict">');
    expect(xml).toContain('<skipped message="not checkable: the model declares no latency bound (machine { latency N })"/>');
    expect(xml).toContain('<testsuites name="schedcheck gate" tests="3" failures="1" errors="0" skipped="1"');
  });
});
