// What the HTML report shows, before any browser: the report data of seed counterexamples (htmldata.ts).

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';
import type { Counterexample } from '../../src/checker/verdict.js';
import type { Program, PropertyId } from '../../src/ir/ir.js';
import { reportData, sourceFiles, traceLockEdges } from '../../src/report/htmldata.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOOM = 'models/aethelos-001/spin-mutex-loom.sched';
const ABBA = 'models/forkexec-004/old-handler-abba.sched';

async function counterexample(model: string, property: PropertyId): Promise<{ cex: Counterexample; program: Program }> {
  const { program, report } = await checkModelFile(model, [], { properties: [property], progress: false });
  const result = report?.results.find((r) => r.property === property);
  if (program === null || result?.verdict !== 'violated') throw new Error(`${model}: ${property} is not violated`);
  return { cex: result.counterexample, program };
}

beforeAll(() => {
  process.chdir(ROOT);
});

describe('reportData', () => {
  it('gives each step its lane, class, span and changes, and the whole state after it', async () => {
    const { cex, program } = await counterexample(LOOM, 'no-deadlock');
    const data = reportData(cex, program, { [LOOM]: 'line one\nline two\r\n' });
    expect(data.steps.map((s) => [s.index, s.cpu, s.cls])).toEqual([
      [0, null, 'instruction'],
      [1, 0, 'instruction'],
      [2, 0, 'instruction'],
      [3, 0, 'instruction'],
      [4, 0, 'instruction'],
      [5, 0, 'instruction'],
      [6, 0, 'instruction'],
      [7, 0, 'interrupt'],
      [8, 0, 'instruction'],
    ]);
    expect(data.steps.map((s) => s.span?.line ?? null)).toEqual([null, 35, 37, 38, 39, 40, 45, null, 53]);
    expect(data.steps[6]!.changes).toEqual([{ kind: 'change', text: 'locks: LOOM' }]);
    expect(data.steps[6]!.state).toBe(cex.steps[6]!.state);
    expect(data.sources).toEqual({ [LOOM]: ['line one', 'line two', ''] });
    // The deadlock's place: the acquire the CPU is stuck at, not the last step that ran.
    expect([data.machineLane, data.cpus, data.arch, data.violation, data.violationLocation]).toEqual([false, 1, 'x86_64', 8, `${LOOM}:54`]);
    expect(data.locks).toEqual([
      { name: 'LOOM', kind: 'spin' },
      { name: 'WRITER', kind: 'spin' },
    ]);
    expect(data.scenario).toEqual(cex.scenario ?? []);
  });

  it('reads the model and every file a step names', async () => {
    const { cex, program } = await counterexample(LOOM, 'no-deadlock');
    expect(sourceFiles(cex, program)).toEqual([LOOM]);
  });
});

describe('traceLockEdges', () => {
  it('finds the edges a trace takes: an acquire while the CPU holds another lock', async () => {
    const { cex } = await counterexample(ABBA, 'lock-order');
    expect(traceLockEdges(cex)).toEqual([
      { from: 'PROC', to: 'SCHED', context: 'thread boot[0]', span: cex.steps[7]!.span, location: `${ABBA}:58` },
    ]);
    // The checker's graph, when there is one, is what the report draws: both edges, one from another path.
    const data = reportData(cex, undefined, {});
    expect(data.lockGraph.observedInTrace).toBe(false);
    expect(data.lockGraph.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['SCHED -> PROC', 'PROC -> SCHED']);
  });

  it('has none when no lock is taken while another is held', async () => {
    const { cex } = await counterexample(LOOM, 'no-deadlock');
    expect(traceLockEdges(cex)).toEqual([]);
  });
});
