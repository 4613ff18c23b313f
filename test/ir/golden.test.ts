// Golden IR: each test/golden/ir/NAME.sched lowers to exactly NAME.ir.txt (as `schedcheck parse --ir` prints
// it). A difference is a changed lowering or layout that must be looked at; UPDATE_GOLDEN=1 rewrites the files.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printProgram } from '../../src/ir/print.js';
import { loadModelFromText } from '../../src/lang/load.js';

const DIR = join(import.meta.dirname, '../golden/ir');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('golden IR', () => {
  const models = readdirSync(DIR).filter((f) => f.endsWith('.sched')).sort();

  it('has at least 5 models', () => {
    expect(models.length).toBeGreaterThanOrEqual(5);
  });

  it.each(models)('%s', (model) => {
    const { diagnostics, program } = loadModelFromText(readFileSync(join(DIR, model), 'utf8'), model, []);
    expect(diagnostics).toEqual([]);
    const text = printProgram(program!);
    const golden = join(DIR, model.replace(/\.sched$/, '.ir.txt'));
    if (UPDATE || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});
