// The code catalogue, its documentation and the fixtures agree: every code is documented once, every
// documented code exists, and every code a model can cause is exercised by a bad-input fixture.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/lang/codes.js';

const ROOT = join(import.meta.dirname, '../..');
const documented = [...readFileSync(join(ROOT, 'docs/diagnostics.md'), 'utf8').matchAll(/^\| (E\d{3}) \|/gm)].map((m) => m[1]!);
const fixtures = join(ROOT, 'test/fixtures/bad');
const exercised = new Set(
  readdirSync(fixtures).flatMap((f) => [...readFileSync(join(fixtures, f), 'utf8').matchAll(/^\/\/ expect: (E\d{3})/gm)].map((m) => m[1]!)),
);

describe('diagnostic codes', () => {
  it('are each documented exactly once in docs/diagnostics.md', () => {
    expect([...documented].sort()).toEqual(Object.keys(CODES).sort());
  });

  it('are each exercised by a fixture, except those no model text can cause', () => {
    // E000 is a bug, E001 and E603 are tested where they arise (a generated 10 MB input, an unreadable file).
    const notFromFixtures = new Set(['E000', 'E001', 'E603']);
    const missing = Object.keys(CODES).filter((c) => !notFromFixtures.has(c) && !exercised.has(c));
    expect(missing).toEqual([]);
  });
});
