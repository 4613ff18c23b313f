// The compiled successor function against the reference interpreter on the whole state space of every seed
// model, in the bench's configuration (the largest its plan checks): both searches store the same number of
// states and make the same number of transitions, and the sets of states they store are the same (an
// order-independent fingerprint of the set: two 32-bit hashes of each state, summed). compiled.test.ts compares
// them transition by transition, events included, on the first states of each model; this covers the rest.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configLabel, modelLabel, SEED_CASES } from '../../bench/cases.js';
import { explore } from '../../src/checker/explicit/explore.js';
import type { Monitor } from '../../src/checker/properties/property.js';
import { buildModel } from '../../src/hw/build.js';
import type { PropertyId } from '../../src/ir/ir.js';
import type { Model } from '../../src/ir/model.js';
import { load } from './helpers.js';

interface Space {
  states: number;
  transitions: number;
  fingerprint: string;
}

function space(model: Model, successors: 'compiled' | 'reference'): Space {
  let a = 0;
  let b = 0;
  const fingerprint: Monitor = {
    needsGraph: false,
    onState(_id, state) {
      let h1 = 0x811c9dc5;
      let h2 = 0x9747b28c;
      for (let i = 0; i < state.length; i++) {
        h1 = Math.imul(h1 ^ state[i]!, 0x01000193);
        h2 = Math.imul(h2 ^ (state[i]! + i), 0x5bd1e995) ^ (h2 >>> 15);
      }
      a = (a + (h1 >>> 0)) % 2 ** 32;
      b = (b + (h2 >>> 0)) % 2 ** 32;
      return null;
    },
  };
  const result = explore(model, () => new Map<PropertyId, Monitor>([['assertions', fingerprint]]), { progress: false, successors });
  expect(result.stop).toBeNull();
  expect(result.decidedEarly).toBe(false);
  return { states: result.stats.states, transitions: result.stats.transitions, fingerprint: `${a.toString(16)}:${b.toString(16)}` };
}

describe('the compiled code and the reference interpreter explore the same whole state space', () => {
  for (const c of SEED_CASES) {
    it(`${modelLabel(c.model)} ${configLabel(c.sets)}`, () => {
      const sets = Object.entries(c.sets).map(([k, v]) => `${k}=${v}`);
      const model = buildModel(load(readFileSync(c.model, 'utf8'), sets, c.model));
      const compiled = space(model, 'compiled');
      expect(compiled.states).toBeGreaterThan(0);
      expect(space(model, 'reference')).toEqual(compiled);
    });
  }
});
