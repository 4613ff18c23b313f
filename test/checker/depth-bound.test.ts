// --max-depth: a state at the bound is expanded when every step it has leads to a state already found, so the
// monitors and the graph analyses see all of its transitions; if one leads somewhere new, the run is cut.

import { describe, expect, it } from 'vitest';
import { check, result, summary } from './helpers.js';

// One state: the hog's `work` leads back to the state it started from.
const HOG = `
machine x86_64 { cpus 1 }
thread hog on 0 { loop { work } }
`;

// Two states: the thread's first `work` leads to a new state (its pc moves), the second back to the first.
const TWO = `
machine x86_64 { cpus 1 }
thread t on 0 { loop { work; work } }
`;

describe('the depth bound', () => {
  it('expands a state at the bound whose steps all lead to known states, so no false livelock is reported', async () => {
    // Arrange / Act
    const bounded = await check(HOG, ['no-deadlock'], { maxDepth: 0 });
    const unbounded = await check(HOG, ['no-deadlock']);

    // Assert
    expect(summary(bounded, 'no-deadlock')).toBe('holds 1');
    expect(summary(unbounded, 'no-deadlock')).toBe('holds 1');
    expect(result(bounded, 'no-deadlock').stats.transitions).toBe(1);
  });

  it('cuts the search where a step at the bound leads to a new state, and says so', async () => {
    const bounded = await check(TWO, ['no-deadlock'], { maxDepth: 0 });
    const deep = await check(TWO, ['no-deadlock'], { maxDepth: 1 });

    expect(summary(bounded, 'no-deadlock')).toBe('inconclusive max-depth');
    expect(summary(deep, 'no-deadlock')).toBe('holds 2');
    expect(result(deep, 'no-deadlock').stats.transitions).toBe(2);
  });

  it('treats bounds past 2^31 as bounds, not as 32-bit values that wrap to a small one', async () => {
    for (const maxStates of [2 ** 31, 3e9, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
      expect(summary(await check(TWO, ['no-deadlock'], { maxStates }), 'no-deadlock')).toBe('holds 2');
    }
    for (const maxDepth of [2 ** 31, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
      expect(summary(await check(TWO, ['no-deadlock'], { maxDepth }), 'no-deadlock')).toBe('holds 2');
    }
  });
});
