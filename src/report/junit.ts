// JUnit XML, the test-report format every CI system displays: one <testsuite> per model, one <testcase> per
// property. A violation is a <failure> carrying the message and a short trace; an inconclusive run is an
// <error> (the check did not finish), except `not-checkable`, which is <skipped> (nothing to run).
//
// The gate checks verdicts against expectations (`expect no-deadlock violated`): given `expected`, a result
// that matches its expectation passes, whatever the verdict, and one that does not is the failure.

import type { CheckReport, Counterexample, PropertyResult } from '../checker/verdict.js';
import { escapeXml, xmlElement, xmlOpen } from './xml.js';

export interface JunitOptions {
  /** Suite-set name (the `<testsuites name>`). */
  name?: string;
  /** The verdict a plan expects for a model's property, if any. */
  expected?: (model: string, property: string) => 'holds' | 'violated' | undefined;
}

/** How many trace steps the failure text lists before eliding the middle. */
const TRACE_HEAD = 40;
const TRACE_TAIL = 10;

/** The trace as numbered lines: `  3 cpu0 handler timer (on worker): interrupt timer delivered`. */
export function traceSummary(cex: Counterexample): string[] {
  const lines = cex.steps.slice(1).map((s) => {
    const where = s.location === null ? '' : `  [${s.location}]`;
    const cpu = s.cpu === null ? '' : `cpu${s.cpu} `;
    return `${String(s.index).padStart(3)} ${cpu}${s.context}: ${s.label}${where}${cex.loop === s.index ? '   <- loop starts' : ''}`;
  });
  if (lines.length > TRACE_HEAD + TRACE_TAIL) {
    const skipped = lines.length - TRACE_HEAD - TRACE_TAIL;
    lines.splice(TRACE_HEAD, skipped, `    ... ${skipped} steps ...`);
  }
  return lines;
}

function failureText(cex: Counterexample): string {
  const lines = [`${cex.property} violated: ${cex.message}`, '', `trace (${cex.length} steps):`, ...traceSummary(cex)];
  if (cex.loop !== undefined) lines.push(`    steps ${cex.loop}..${cex.length} repeat forever`);
  if (cex.scenario !== undefined) lines.push('', ...cex.scenario);
  if (cex.details !== undefined) lines.push('', ...cex.details);
  return lines.join('\n');
}

type Outcome =
  | { kind: 'pass'; note: string | null }
  | { kind: 'failure'; message: string; type: string; text: string }
  | { kind: 'error'; message: string; type: string; text: string }
  | { kind: 'skipped'; message: string };

function outcome(model: string, r: PropertyResult, options: JunitOptions): Outcome {
  const expected = options.expected?.(model, r.property);
  switch (r.verdict) {
    case 'holds': {
      const note = r.complete ? null : 'holds up to the search bound (not a complete proof)';
      if (expected === 'violated') {
        return { kind: 'failure', message: `expected ${r.property} violated, but it holds`, type: 'unexpected-verdict', text: note ?? 'holds' };
      }
      return { kind: 'pass', note };
    }
    case 'violated': {
      const text = failureText(r.counterexample);
      if (expected === 'violated') return { kind: 'pass', note: `violated, as expected:\n${text}` };
      const message = expected === 'holds' ? `expected ${r.property} to hold: ${r.counterexample.message}` : r.counterexample.message;
      return { kind: 'failure', message, type: expected === 'holds' ? 'unexpected-verdict' : 'violated', text };
    }
    case 'inconclusive':
      if (r.reason === 'not-checkable') return { kind: 'skipped', message: `not checkable: ${r.detail}` };
      return { kind: 'error', message: `inconclusive (${r.reason}): ${r.detail}`, type: 'inconclusive', text: `stopped by ${r.reason} after ${r.stats.states} states, depth ${r.stats.depth}` };
  }
}

function seconds(value: number): string {
  return value.toFixed(3);
}

function stats(r: PropertyResult): string {
  const fairness = r.fairness === undefined ? '' : `\nassuming ${r.fairness}`;
  if (r.engine === 'smt') return `engine smt: paths of up to ${r.stats.depth} steps${fairness}`;
  return `engine ${r.engine}: ${r.stats.states} states, ${r.stats.transitions} transitions, depth ${r.stats.depth}${fairness}`;
}

function testcase(model: string, r: PropertyResult, o: Outcome): string {
  const children: string[] = [];
  if (o.kind === 'failure' || o.kind === 'error') {
    children.push(`${xmlOpen(o.kind, { message: o.message, type: o.type })}${escapeXml(o.text)}</${o.kind}>`);
  } else if (o.kind === 'skipped') {
    children.push(xmlElement('skipped', { message: o.message }));
  }
  const out = o.kind === 'pass' && o.note !== null ? `${o.note}\n${stats(r)}` : stats(r);
  children.push(`<system-out>${escapeXml(out)}</system-out>`);
  return `    ${xmlElement('testcase', { name: r.property, classname: model, time: seconds(r.stats.seconds) }, children)}`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
}

function count(counts: Counts, o: Outcome, time: number): void {
  counts.tests++;
  counts.time += time;
  if (o.kind === 'failure') counts.failures++;
  if (o.kind === 'error') counts.errors++;
  if (o.kind === 'skipped') counts.skipped++;
}

function countAttrs(c: Counts): Record<string, string | number> {
  return { tests: c.tests, failures: c.failures, errors: c.errors, skipped: c.skipped, time: seconds(c.time) };
}

/** JUnit XML for a run over several models: one <testsuite> per report, one <testcase> per property. */
export function formatJunit(reports: CheckReport[], options: JunitOptions = {}): string {
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const suites = reports.map((report) => {
    const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
    const cases = report.results.map((r) => {
      const o = outcome(report.model, r, options);
      count(counts, o, r.stats.seconds);
      count(total, o, r.stats.seconds);
      return testcase(report.model, r, o);
    });
    const attrs = { name: report.model, ...countAttrs(counts) };
    return cases.length === 0 ? `  ${xmlElement('testsuite', attrs)}` : `  ${xmlOpen('testsuite', attrs)}\n${cases.join('\n')}\n  </testsuite>`;
  });
  const attrs = { name: options.name ?? 'schedcheck', ...countAttrs(total) };
  const body = suites.length === 0 ? xmlElement('testsuites', attrs) : `${xmlOpen('testsuites', attrs)}\n${suites.join('\n')}\n</testsuites>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`;
}
