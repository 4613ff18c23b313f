import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROPERTY_IDS } from '../../src/ir/ir.js';
import { artifactUri, formatSarif } from '../../src/report/sarif.js';
import { handlerSwitch, nestedException, sampleReports, starvation } from './fixtures.js';
import { expectGolden } from './golden.js';
import { validate, type Schema } from './jsonschema.js';

const SARIF_SCHEMA: Schema = JSON.parse(readFileSync('test/report/schemas/sarif-2.1.0-excerpt.schema.json', 'utf8'));

type Json = any;

function sarifOf(...fixtures: (() => { cex: Json; program: Json })[]): Json {
  const made = fixtures.map((f) => f());
  const reports = made.map((f) => ({
    model: f.program.file,
    results: [{ verdict: 'violated' as const, counterexample: f.cex, property: f.cex.property, engine: 'explicit' as const, stats: { states: 1, transitions: 1, depth: 1, seconds: 0 } }],
  }));
  return JSON.parse(formatSarif(reports, made.map((f) => f.program)));
}

describe('formatSarif', () => {
  it('matches the golden log of two models', () => {
    const { reports, programs } = sampleReports();
    expectGolden('test/report/golden/sample.sarif.json', formatSarif(reports, programs, { toolVersion: '0.1.0' }));
  });

  it('satisfies the SARIF 2.1.0 schema', () => {
    const { reports, programs } = sampleReports();
    expect(validate(SARIF_SCHEMA, JSON.parse(formatSarif(reports, programs, { toolVersion: '0.1.0' })))).toEqual([]);
    expect(validate(SARIF_SCHEMA, sarifOf(nestedException, starvation, handlerSwitch))).toEqual([]);
  });

  it('has one rule per property, with what GitHub code scanning requires of a rule', () => {
    const { reports, programs } = sampleReports();
    const log = JSON.parse(formatSarif(reports, programs));
    const rules = log.runs[0].tool.driver.rules;
    expect(log.runs[0].tool.driver.name).toBe('schedcheck');
    expect(rules.map((r: Json) => r.id)).toEqual([...PROPERTY_IDS]);
    for (const rule of rules) {
      for (const field of ['shortDescription', 'fullDescription', 'help']) expect(rule[field].text.length).toBeGreaterThan(10);
    }
  });

  it('locates each violation at the violating instruction, with the trace as a code flow', () => {
    const { reports, programs } = sampleReports();
    const results = JSON.parse(formatSarif(reports, programs)).runs[0].results;
    expect(results.map((r: Json) => [r.ruleId, r.ruleIndex, r.level])).toEqual([
      ['no-deadlock', 0, 'error'],
      ['lock-order', 2, 'error'],
    ]);
    // The timer handler's `acquire LOOM` (line 18), where CPU0 spins.
    expect(results[0].locations).toEqual([
      { physicalLocation: { artifactLocation: { uri: 'test/report/fixtures/timer-deadlock.sched' }, region: { startLine: 18, startColumn: 3, endLine: 18, endColumn: 15 } } },
    ]);
    expect(results[1].locations[0].physicalLocation.region).toEqual({ startLine: 20, startColumn: 3, endLine: 20, endColumn: 16 });
    const flow = results[0].codeFlows[0].threadFlows[0].locations;
    expect(flow.map((l: Json) => l.location.message.text)).toEqual([
      '#1 cpu0 thread worker: acquire LOOM (locks: LOOM)',
      '#2 cpu0 thread worker: timer becomes pending (pending: timer)',
      '#3 cpu0 thread worker: interrupt timer delivered (now: handler timer (on worker); IF 1 -> 0; hardirq depth 0 -> 1; pending: none; in service: timer)',
    ]);
    expect(flow.map((l: Json) => l.executionOrder)).toEqual([1, 2, 3]);
    expect(flow.map((l: Json) => l.importance)).toEqual(['important', 'unimportant', 'essential']);
    expect(flow[0].location.physicalLocation.region.startLine).toBe(11);
    // The delivery is located at the handler, the arrival at the handler too (its line's declaration).
    expect(flow[2].location.physicalLocation.region.startLine).toBe(17);
    expect(flow[2].kinds).toEqual(['enter', 'handler', 'danger']);
    expect(flow[2].state).toEqual({ context: { text: 'handler timer (on worker)' }, interrupts: { text: 'masked' }, locks: { text: 'LOOM' } });
  });

  it('falls back to the last located step when the violation is a hardware event', () => {
    const log = sarifOf(nestedException);
    // The uart delivery has no span of its own: it is located at handler uart (line 21).
    expect(log.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBe(21);
  });

  it('reports a lasso with its loop and no single essential step', () => {
    const result = sarifOf(starvation).runs[0].results[0];
    expect(result.codeFlows[0].message.text).toBe('counterexample, 6 steps; steps 2..6 repeat forever');
    expect(result.codeFlows[0].threadFlows[0].locations.some((l: Json) => l.importance === 'essential')).toBe(false);
  });

  it('reports inconclusive runs as notifications, not results', () => {
    const { reports, programs } = sampleReports();
    const run = JSON.parse(formatSarif(reports, programs)).runs[0];
    expect(run.invocations).toEqual([
      {
        executionSuccessful: true,
        toolExecutionNotifications: [
          {
            level: 'warning',
            message: { text: 'test/report/fixtures/timer-deadlock.sched: irq-latency inconclusive (max-states): stopped at 1000 states' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'test/report/fixtures/timer-deadlock.sched' } } }],
            associatedRule: { id: 'irq-latency', index: 7 },
          },
          {
            level: 'note',
            message: { text: 'test/report/fixtures/timer-deadlock.sched: assertions inconclusive (not-checkable): the model declares no latency bound' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'test/report/fixtures/timer-deadlock.sched' } } }],
            associatedRule: { id: 'assertions', index: 8 },
          },
        ],
      },
    ]);
  });

  it('lowers an expected violation to a note', () => {
    const { reports, programs } = sampleReports();
    const results = JSON.parse(formatSarif(reports, programs, { expected: (_m, p) => (p === 'no-deadlock' ? 'violated' : undefined) })).runs[0].results;
    expect(results[0].level).toBe('note');
    expect(results[0].message.text).toMatch(/^no-deadlock violated \(as the model expects\): /);
    expect(results[1].level).toBe('error');
  });

  it('finds the program by file when the lists are not aligned, and writes a log without one', () => {
    const { reports, programs } = sampleReports();
    const swapped = JSON.parse(formatSarif(reports, [programs[1]!, programs[0]!]));
    expect(swapped.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBe(18);
    const bare = JSON.parse(formatSarif(reports, []));
    expect(validate(SARIF_SCHEMA, bare)).toEqual([]);
    expect(bare.runs[0].results[0].locations[0].physicalLocation.region).toEqual({ startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 });
  });

  it('makes artifact URIs relative and portable', () => {
    expect(artifactUri('/repo/models/a b.sched', '/repo')).toBe('models/a%20b.sched');
    expect(artifactUri('models\\x.sched', '/repo')).toBe('models/x.sched');
    expect(artifactUri('/elsewhere/x.sched', '/repo')).toBe('/elsewhere/x.sched');
    // A name's `#`, `?` and `:` are the name's, not a fragment, a query or a scheme.
    expect(artifactUri('/repo/u/x#1.sched', '/repo')).toBe('u/x%231.sched');
    expect(artifactUri('/repo/q?.sched', '/repo')).toBe('q%3F.sched');
    expect(artifactUri('a:b.sched', '/repo')).toBe('a%3Ab.sched');
    expect(artifactUri('C:\\work\\m.sched', '/repo')).toBe('/C:/work/m.sched');
  });
});

describe('formatSarif and liveness', () => {
  it('records the fairness a liveness violation assumes', () => {
    const { cex, program } = starvation();
    const report = {
      model: program.file,
      results: [{ verdict: 'violated' as const, counterexample: cex, property: 'no-starvation' as const, engine: 'explicit' as const, fairness: 'weak fairness of CPUs', stats: { states: 8, transitions: 12, depth: 6, seconds: 0 } }],
    };
    const log = JSON.parse(formatSarif([report], [program]));
    expect(log.runs[0].results[0].properties).toEqual({ model: program.file, steps: 6, fairness: 'weak fairness of CPUs' });
    expect(validate(SARIF_SCHEMA, log)).toEqual([]);
  });
});
