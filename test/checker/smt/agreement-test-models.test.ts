// Both engines agree on the checker's and the SMT engine's test models (see agreement.ts).

import { describe, it } from 'vitest';
import { assertEnginesAgree } from './agreement.js';
import { TEST_MODELS } from './model-files.js';

const MODELS = TEST_MODELS;

describe('explicit and SMT engines agree on every property', () => {
  it.each(MODELS)('%s', (file) => assertEnginesAgree(file), 240_000);
});
