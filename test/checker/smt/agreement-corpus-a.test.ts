// Both engines agree on the corpus designs of models/corpus whose names start with a to l (see agreement.ts).

import { describe, expect, it } from 'vitest';
import { assertEnginesAgree } from './agreement.js';
import { SEED_MODELS } from './model-files.js';

const CORPUS = SEED_MODELS.filter((f) => f.startsWith('models/corpus/'));
const MODELS = CORPUS.filter((f) => /^models\/corpus\/[a-l]/.test(f));

describe('explicit and SMT engines agree on every property of the corpus', () => {
  it('with agreement-corpus-b, covers every corpus model', () => {
    expect(CORPUS).toHaveLength(65);
    expect(MODELS).toHaveLength(52);
  });
  it.each(MODELS)('%s', (file) => assertEnginesAgree(file), 240_000);
});
