import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // One test file per core (vitest's default leaves one core idle: on CI's 2 cores, a single worker).
    maxWorkers: availableParallelism(),
  },
});
