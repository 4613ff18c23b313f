// Both engines agree on the seed models of 000, 001 and 002 (see agreement.ts).

import { describe, expect, it } from 'vitest';
import { assertEnginesAgree } from './agreement.js';
import { SEED_MODELS } from './model-files.js';

const MODELS = SEED_MODELS.filter((f) => /executor-000|aethelos-001|ckernel-002/.test(f));

describe('explicit and SMT engines agree on every property', () => {
  it('with agreement-seeds-b and agreement-corpus-a/b, covers every model of models/', () => {
    expect(SEED_MODELS.filter((f) => !/executor-000|aethelos-001|ckernel-002|aarch64-003|forkexec-004|corpus\//.test(f))).toEqual([]);
    expect(MODELS).toHaveLength(16);
  });
  it.each(MODELS)('%s', (file) => assertEnginesAgree(file), 240_000);
});
