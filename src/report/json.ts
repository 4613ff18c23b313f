// `--format json`: per model one object `{ model, results: [{ property, verdict, engine, complete, stats,
// counterexample? }] }` (DESIGN.md's CLI contract), plus the inconclusive reason, the model's expectation and
// the figures, and `reductions` when --hash-compaction or --symmetry was given. One model prints one object;
// several print an array of them.

import type { CheckReport, PropertyResult } from '../checker/verdict.js';
import type { Program } from '../ir/ir.js';
import { expectationOf } from './text.js';

function resultJson(r: PropertyResult, program: Program | null): Record<string, unknown> {
  const expected = expectationOf(program, r.property)?.verdict;
  const base: Record<string, unknown> = {
    property: r.property,
    verdict: r.verdict,
    engine: r.engine,
    complete: r.verdict === 'holds' ? r.complete : r.verdict === 'violated',
    stats: r.stats,
  };
  if (r.fairness !== undefined) base.fairness = r.fairness;
  if (r.proof !== undefined) base.proof = r.proof;
  if (r.decidableBy !== undefined) base.decidableBy = r.decidableBy;
  if (r.verdict === 'violated') base.counterexample = r.counterexample;
  if (r.verdict === 'inconclusive') {
    base.reason = r.reason;
    base.detail = r.detail;
  }
  if (expected !== undefined) {
    base.expected = expected;
    base.matchesExpectation = r.verdict === 'inconclusive' ? null : r.verdict === expected;
  }
  return base;
}

export function reportJson(report: CheckReport, program: Program | null): Record<string, unknown> {
  const out: Record<string, unknown> = { model: report.model, results: report.results.map((r) => resultJson(r, program)) };
  if (report.figures !== undefined) out.figures = report.figures;
  if (report.reductions !== undefined) out.reductions = report.reductions;
  return out;
}

/** One report as its object; `several`: the reports of a check given several models, as an array (also of one). */
export function formatJson(reports: { report: CheckReport; program: Program | null }[], several: boolean): string {
  const objects = reports.map(({ report, program }) => reportJson(report, program));
  return `${JSON.stringify(several ? objects : objects[0], null, 2)}\n`;
}
