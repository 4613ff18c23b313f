// Golden graphs of real counterexamples: the seed models in models/, checked by the real checker, drawn and
// exported. A changed golden file is a changed trace or drawing that the change must explain.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';
import type { CheckReport } from '../../src/checker/verdict.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { renderCounterexampleDot } from '../../src/report/dot.js';
import { fromItf, toItf } from '../../src/report/itf.js';
import { formatJunit } from '../../src/report/junit.js';
import { renderLockGraphDot } from '../../src/report/lockgraph.js';
import { formatSarif } from '../../src/report/sarif.js';
import { renderSvg } from '../../src/report/svg.js';
import { expectGolden } from './golden.js';
import { validate, type Schema } from './jsonschema.js';
import { validateJunit } from './junitschema.js';
import { parseXml } from './xmlparse.js';

const SEEDS: { name: string; file: string; property: PropertyId }[] = [
  { name: 'seed-spin-mutex-loom', file: 'models/aethelos-001/spin-mutex-loom.sched', property: 'no-deadlock' },
  { name: 'seed-elr-unsaved', file: 'models/aarch64-003/elr-unsaved.sched', property: 'stack-integrity' },
  { name: 'seed-early-release', file: 'models/aarch64-003/context-switch-lock-early-release.sched', property: 'stack-integrity' },
  { name: 'seed-stub-ret-switch', file: 'models/ckernel-002/stub-ret-switch.sched', property: 'stack-integrity' },
  { name: 'seed-old-handler-abba', file: 'models/forkexec-004/old-handler-abba.sched', property: 'lock-order' },
];

async function checked(file: string, property: PropertyId): Promise<{ report: CheckReport; program: Program }> {
  const { diagnostics, program, report } = await checkModelFile(file, [], { properties: [property], progress: false });
  if (program === null || report === null) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return { report, program };
}

describe('graphs of the seed models', () => {
  for (const seed of SEEDS) {
    it(`draws ${seed.file} ${seed.property} as its golden graph, and exports it unchanged`, async () => {
      const { report, program } = await checked(seed.file, seed.property);
      const result = report.results[0]!;
      if (result.verdict !== 'violated') throw new Error(`${seed.file}: ${seed.property} ${result.verdict}`);
      const cex = result.counterexample;
      const dot = renderCounterexampleDot(cex, program);
      expectGolden(`test/golden/dot/${seed.name}.dot`, dot);
      const svg = await renderSvg(dot);
      expect(svg.ok && svg.warnings).toEqual([]);
      if (svg.ok) parseXml(svg.svg);
      if (cex.lockGraph !== undefined) expectGolden(`test/golden/dot/${seed.name}.locks.dot`, renderLockGraphDot(cex.lockGraph, program));
      const read = fromItf(JSON.parse(JSON.stringify(toItf(cex, program))));
      if (!read.ok) throw new Error(read.problem.message);
      expect(read.counterexample).toStrictEqual(cex);
      expect(renderCounterexampleDot(read.counterexample, read.model)).toBe(dot);
    });
  }

  it('writes valid JUnit and SARIF for the seed reports', async () => {
    const runs = await Promise.all(SEEDS.map((s) => checked(s.file, s.property)));
    const reports = runs.map((r) => r.report);
    expect(validateJunit(parseXml(formatJunit(reports)))).toEqual([]);
    const sarifSchema: Schema = JSON.parse(readFileSync('test/report/schemas/sarif-2.1.0-excerpt.schema.json', 'utf8'));
    const log = JSON.parse(formatSarif(reports, runs.map((r) => r.program)));
    expect(validate(sarifSchema, log)).toEqual([]);
    // Every violation is located in its model file, at a real line.
    for (const [i, result] of log.runs[0].results.entries()) {
      const location = result.locations[0].physicalLocation;
      expect(location.artifactLocation.uri).toBe(SEEDS[i]!.file);
      const lines = readFileSync(SEEDS[i]!.file, 'utf8').split('\n');
      expect(location.region.startLine).toBeGreaterThan(0);
      expect(location.region.startLine).toBeLessThanOrEqual(lines.length);
    }
  });
});
