// An allocation the system refuses outside the search (here, building the model) ends every property
// inconclusive at the memory limit, exit 3, never E000.

import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/hw/build.js', async (original) => ({
  ...(await original<typeof import('../../src/hw/build.js')>()),
  buildModel: () => {
    throw new RangeError('Array buffer allocation failed');
  },
}));

const { checkModelFile } = await import('../../src/checker/check.js');

describe('a refused allocation', () => {
  it('is the memory limit, not an internal error', async () => {
    const { diagnostics, report } = await checkModelFile('models/aethelos-001/spin-mutex-loom.sched', [], { properties: ['no-deadlock', 'assertions'], progress: false });
    expect(diagnostics.filter((d) => d.code === 'E000')).toEqual([]);
    expect(report!.results.map((r) => [r.property, r.verdict, r.verdict === 'inconclusive' && r.reason])).toEqual([
      ['no-deadlock', 'inconclusive', 'max-memory'],
      ['assertions', 'inconclusive', 'max-memory'],
    ]);
    expect(report!.results[0]!.verdict === 'inconclusive' && report!.results[0]!.detail).toBe(
      'stopped at the memory limit: the process could not allocate memory (Array buffer allocation failed)',
    );
  });
});
