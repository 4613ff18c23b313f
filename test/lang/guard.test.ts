// The pipeline's guard: a bug that throws inside a pass becomes one E000 diagnostic, not a stack trace.
// (Every other test asserts that no E000 appears, so the guard cannot hide a bug there.)

import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/lang/lower.js', () => ({
  lower: () => {
    throw new TypeError('simulated bug in lowering');
  },
}));

const { loadModelFromText } = await import('../../src/lang/load.js');

describe('internal errors', () => {
  it('become E000 at 1:1 and no program', () => {
    const text = 'machine x86_64 { cpus 1; irq timer line 0 }\nhandler timer { eoi timer }\nthread main on 0 { work }\n';
    expect(loadModelFromText(text, 'g.sched', [])).toEqual({
      diagnostics: [
        {
          code: 'E000',
          severity: 'error',
          message: 'Internal error: simulated bug in lowering',
          span: { file: 'g.sched', line: 1, col: 1, endLine: 1, endCol: 2 },
        },
      ],
      program: null,
    });
  });
});
