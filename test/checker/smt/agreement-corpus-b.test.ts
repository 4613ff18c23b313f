// Both engines agree on the corpus designs of models/corpus whose names start with m to z (see agreement.ts).

import { describe, it } from 'vitest';
import { assertEnginesAgree } from './agreement.js';
import { SEED_MODELS } from './model-files.js';

const MODELS = SEED_MODELS.filter((f) => /^models\/corpus\/[m-z]/.test(f));

describe('explicit and SMT engines agree on every property of the corpus', () => {
  it.each(MODELS)('%s', (file) => assertEnginesAgree(file), 240_000);
});
