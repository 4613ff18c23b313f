import { describe, expect, it } from 'vitest';
import { formatJunit, traceSummary } from '../../src/report/junit.js';
import { sampleReports, starvation } from './fixtures.js';
import { expectGolden } from './golden.js';
import { validateJunit } from './junitschema.js';
import { allText, descendants, parseXml, type XmlNode } from './xmlparse.js';

function cases(root: XmlNode): XmlNode[] {
  return descendants(root).filter((n) => n.name === 'testcase');
}

describe('formatJunit', () => {
  it('matches the golden report of two models', () => {
    expectGolden('test/report/golden/sample.junit.xml', formatJunit(sampleReports().reports));
  });

  it('is well-formed and satisfies the JUnit schema essentials', () => {
    const root = parseXml(formatJunit(sampleReports().reports));
    expect(validateJunit(root)).toEqual([]);
  });

  it('has one test case per model and property, with the verdict as the outcome', () => {
    const root = parseXml(formatJunit(sampleReports().reports));
    expect(root.attrs).toEqual({ name: 'schedcheck', tests: '6', failures: '2', errors: '1', skipped: '1', time: '4.013' });
    const outcome = (c: XmlNode) => c.children.find((x) => x.name !== 'system-out')?.name ?? 'pass';
    expect(cases(root).map((c) => [c.attrs.classname, c.attrs.name, outcome(c)])).toEqual([
      ['test/report/fixtures/timer-deadlock.sched', 'no-deadlock', 'failure'],
      ['test/report/fixtures/timer-deadlock.sched', 'stack-integrity', 'pass'],
      ['test/report/fixtures/timer-deadlock.sched', 'eoi-discipline', 'pass'],
      ['test/report/fixtures/timer-deadlock.sched', 'irq-latency', 'error'],
      ['test/report/fixtures/timer-deadlock.sched', 'assertions', 'skipped'],
      ['test/report/fixtures/abba.sched', 'lock-order', 'failure'],
    ]);
    const failure = cases(root)[0]!.children[0]!;
    expect(failure.attrs.message).toBe('CPU0 spins forever in handler timer on LOOM, held by worker, the thread it interrupted');
    expect(allText(failure)).toContain('  3 cpu0 thread worker: interrupt timer delivered\n');
    expect(allText(failure)).toContain('  <Interrupt>');
  });

  it('passes a violation the plan expects and fails a verdict it does not', () => {
    const { reports } = sampleReports();
    const expected = (_model: string, property: string) => (property === 'no-deadlock' ? 'violated' : property === 'lock-order' ? 'holds' : undefined);
    const root = parseXml(formatJunit(reports, { name: 'gate', expected }));
    expect(validateJunit(root)).toEqual([]);
    expect(root.attrs.name).toBe('gate');
    const [deadlock] = cases(root);
    expect(deadlock!.children.map((c) => c.name)).toEqual(['system-out']);
    expect(allText(deadlock!)).toMatch(/^violated, as expected:\nno-deadlock violated: CPU0 spins/);
    const lockOrder = cases(root)[5]!.children[0]!;
    expect(lockOrder.name).toBe('failure');
    expect(lockOrder.attrs.type).toBe('unexpected-verdict');
    expect(lockOrder.attrs.message).toMatch(/^expected lock-order to hold: lock order cycle/);
    const holdsButExpectedViolated = parseXml(formatJunit(reports, { expected: () => 'violated' }));
    expect(cases(holdsButExpectedViolated)[1]!.children[0]!.attrs).toEqual({
      message: 'expected stack-integrity violated, but it holds',
      type: 'unexpected-verdict',
    });
  });

  it('writes an empty run as an empty suite set', () => {
    expect(formatJunit([])).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="schedcheck" tests="0" failures="0" errors="0" skipped="0" time="0.000"/>\n');
    const root = parseXml(formatJunit([{ model: 'm & <n>.sched', results: [] }]));
    expect(validateJunit(root)).toEqual([]);
    expect(root.children[0]!.attrs.name).toBe('m & <n>.sched');
  });

  it('summarises long traces and marks where a lasso loops', () => {
    const { cex } = starvation();
    expect(traceSummary(cex)[1]).toBe('  2 cpu0 thread hog: timer becomes pending   <- loop starts');
    const long = { ...cex, steps: Array.from({ length: 80 }, (_, i) => ({ ...cex.steps[1]!, index: i })), length: 79 };
    const lines = traceSummary(long);
    expect(lines).toHaveLength(51);
    expect(lines[40]).toBe('    ... 29 steps ...');
    expect(lines[50]).toMatch(/^ 79 cpu0 thread hog: work/);
  });
});

describe('the JUnit essentials check', () => {
  it('rejects what CI systems would not read', () => {
    const bad = [
      ['<testsuite name="x" tests="1"/>', 'root is <testsuite>, expected <testsuites>'],
      ['<testsuites><testsuite tests="1"/></testsuites>', '/testsuites/testsuite[0]: missing required attribute name'],
      ['<testsuites><testsuite name="x" tests="one"/></testsuites>', '/testsuites/testsuite[0]: tests="one" is not int'],
      ['<testsuites><testsuite name="x" tests="1"><testcase name="a"><system-out/><failure/></testcase></testsuite></testsuites>', '/testsuites/testsuite[0]/testcase[0]: <failure> is not allowed here (or out of order)'],
      ['<testsuites><testsuite name="x" tests="1"><testcase name="a"><skipped/><skipped/></testcase></testsuite></testsuites>', '/testsuites/testsuite[0]/testcase[0]: more than 1 <skipped>'],
      ['<testsuites><testsuite name="x" tests="1"><testcase/></testsuite></testsuites>', '/testsuites/testsuite[0]/testcase[0]: missing required attribute name'],
      ['<testsuites><testsuite name="x" tests="1">text</testsuite></testsuites>', '/testsuites/testsuite[0]: text is not allowed here'],
      ['<testsuites><testsuite name="x" tests="1"><properties/></testsuite></testsuites>', '/testsuites/testsuite[0]/properties[0]: needs at least 1 <property>'],
    ];
    for (const [xml, error] of bad) expect(validateJunit(parseXml(xml!))).toContain(error);
  });
});

describe('formatJunit and liveness', () => {
  it('says which fairness a liveness verdict assumes', () => {
    const { cex } = starvation();
    const report = {
      model: 'hog.sched',
      results: [{ verdict: 'violated' as const, counterexample: cex, property: 'no-starvation' as const, engine: 'explicit' as const, fairness: 'weak fairness of CPUs', stats: { states: 8, transitions: 12, depth: 6, seconds: 0 } }],
    };
    const out = cases(parseXml(formatJunit([report])))[0]!.children.find((c) => c.name === 'system-out')!;
    expect(allText(out)).toBe('engine explicit: 8 states, 12 transitions, depth 6\nassuming weak fairness of CPUs');
  });
});
