// Both engines agree on the seed models of 003 and 004 (see agreement.ts).

import { describe, it } from 'vitest';
import { assertEnginesAgree } from './agreement.js';
import { SEED_MODELS } from './model-files.js';

const MODELS = SEED_MODELS.filter((f) => /aarch64-003|forkexec-004/.test(f));

describe('explicit and SMT engines agree on every property', () => {
  it.each(MODELS)('%s', (file) => assertEnginesAgree(file), 240_000);
});
