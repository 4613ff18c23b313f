import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The longest test files (seconds on CI's two cores, the order to start them in). Without a cache of earlier
 * runs, as on a clean clone, vitest starts the largest files first, and these are small ones: they ran last, and
 * one core worked on alone for half a minute at the end. Longest first, the rest after in vitest's order.
 */
const LONGEST = [
  'test/checker/smt/agreement-test-models.test.ts', // 43
  'test/checker/smt/agreement-corpus-a.test.ts', // 29
  'test/checker/smt/differential.test.ts', // 26
  'test/bench/equal-states.test.ts', // 26
  'test/checker/smt/agreement-seeds-b.test.ts', // 21
  'test/kernel/qemu.test.ts', // 12
  'test/checker/whole-space.test.ts', // 12
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = LONGEST.findIndex((name) => f.moduleId.endsWith(name));
      return i < 0 ? LONGEST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // One test file per core (vitest's default leaves one core idle: on CI's 2 cores, a single worker).
    maxWorkers: availableParallelism(),
    sequence: { sequencer: LongestFirst },
  },
});
