// Liveness and the state-space reductions used for safety (symmetry over interchangeable threads, hash
// compaction). A reduced search does not keep what no-starvation needs (which thread is which along a loop, or
// the graph itself), so under a reduction it must never decide differently from the full search: the law is that
// it gives the same verdict, or none at all (inconclusive), and never a lasso found in a reduced graph.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore, type ExploreBounds } from '../../src/checker/explicit/explore.js';
import type { Monitor } from '../../src/checker/properties/property.js';
import { PROPERTIES } from '../../src/checker/properties/index.js';
import { symmetryOf } from '../../src/checker/explicit/symmetry.js';
import { buildModel } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import { checkProgram, type CheckOptions } from '../../src/checker/check.js';
import type { PropertyResult } from '../../src/checker/verdict.js';
import { load, result } from './helpers.js';

type Outcome = 'holds' | 'violated' | 'inconclusive';

function starvation(file: string, sets: string[], bounds: ExploreBounds): Outcome {
  const model = buildModel(load(readFileSync(file, 'utf8'), sets, file));
  const result = explore(model, (x) => {
    const monitor = PROPERTIES['no-starvation'].monitor(x);
    if ('notCheckable' in monitor) throw new Error(monitor.notCheckable);
    return new Map<PropertyId, Monitor>([['no-starvation', monitor]]);
  }, { progress: false, ...bounds });
  if (result.findings.has('no-starvation')) return 'violated';
  return result.stop !== null || result.unsupported.has('no-starvation') ? 'inconclusive' : 'holds';
}

const CASES: [string, string[]][] = [
  ['models/aethelos-001/option2-yield-pending.sched', ['THREADS=3']],
  ['models/aethelos-001/cpu-hog-cooperative.sched', ['THREADS=3']],
  ['models/executor-000/async-spawned-tasks.sched', ['THREADS=3']],
  ['models/executor-000/preemption-disabled.sched', ['PROCESSES=2']],
  ['test/checker/models/liveness-round-robin-yield.sched', []],
  ['test/checker/models/liveness-missing-eoi.sched', []],
];

describe('no-starvation under the reductions used for safety', () => {
  for (const [file, sets] of CASES) {
    it(`${file} ${sets.join(' ')}`, () => {
      // Arrange
      const model = buildModel(load(readFileSync(file, 'utf8'), sets, file));
      const symmetric = symmetryOf(model) !== null;

      // Act
      const full = starvation(file, sets, {});
      const bySymmetry = starvation(file, sets, { symmetry: true });
      const compacted = starvation(file, sets, { hashCompaction: true });

      // Assert: the full search decides; a reduction that changes the graph gives no verdict, one that finds
      // nothing to reduce gives the same verdict.
      expect(full).not.toBe('inconclusive');
      expect(bySymmetry).toBe(symmetric ? 'inconclusive' : full);
      expect(compacted).toBe('inconclusive');
    });
  }

  it('reports it through check: a reduced run says why no-starvation was not decided, never "holds"', async () => {
    // Arrange: the hog starves two interchangeable workers; the full search finds it.
    const file = 'models/aethelos-001/cpu-hog-cooperative.sched';
    const p = load(readFileSync(file, 'utf8'), ['THREADS=3'], file);
    const run = async (options: CheckOptions): Promise<PropertyResult> =>
      result(await checkProgram(p, { progress: false, properties: ['no-starvation', 'no-deadlock'], ...options }), 'no-starvation');

    // Act
    const full = await run({});
    const bySymmetry = await run({ symmetry: true });
    const compacted = await run({ hashCompaction: true });

    // Assert
    expect(full.verdict).toBe('violated');
    expect(bySymmetry).toMatchObject({ verdict: 'inconclusive', reason: 'not-checkable', detail: 'not checked: symmetry reduction does not keep which thread is which along a path' });
    expect(compacted).toMatchObject({ verdict: 'inconclusive', reason: 'not-checkable', detail: 'not checked: it needs the explored state graph, which hash compaction does not keep' });
  });

  it('has cases with interchangeable threads and without', () => {
    const symmetric = CASES.map(([file, sets]) => symmetryOf(buildModel(load(readFileSync(file, 'utf8'), sets, file))) !== null);
    expect(symmetric).toContain(true);
    expect(symmetric).toContain(false);
  });
});
