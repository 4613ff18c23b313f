// Exact arithmetic: every expression's range is worked out in the type checker, and one that could pass
// 2^53 - 1 (where JavaScript numbers stop being exact integers) is refused with E409 at the operator.

import { describe, expect, it } from 'vitest';
import { loadModelFromText } from '../../src/lang/load.js';
import { check, result } from '../checker/helpers.js';

const model = (range: string, expr: string): string =>
  `machine x86_64 { cpus 1 }\nvar x : ${range} = 0\nthread t on 0 { assert ${expr} >= 0 "ok"; loop { work } }\n`;

function codes(text: string): string[] {
  return loadModelFromText(text, 'm.sched', []).diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`);
}

describe('exact arithmetic', () => {
  it('refuses x * x past 2^53 - 1 (the product of the issue, which doubles round to even)', () => {
    // 94906266^2 = 9007199326062756 > 2^53 - 1; 94906265^2 = 9007199136250225 is exact.
    expect(codes(model('0..94906266', 'x * x'))).toEqual(['E409 at 3:24']);
    expect(codes(model('0..94906265', 'x * x'))).toEqual([]);
    expect(codes(model('-94906266..0', 'x * x'))).toEqual(['E409 at 3:24']);
  });

  it('reports the innermost operator whose range leaves the exact integers', () => {
    // x * x fits (< 2^62 is not: 2147483647^2), so the first product is reported, not the sum.
    expect(codes(model('0..2147483647', '1 + x * x'))).toEqual(['E409 at 3:28']);
    // x * x * 2 fits for x < 67108864 (2^26)^2 * 2 = 2^53; the outer product of a larger x is reported.
    expect(codes(model('0..67108863', 'x * x * 2'))).toEqual([]);
    expect(codes(model('0..67108864', 'x * x * 2'))).toEqual(['E409 at 3:24']);
  });

  it('bounds intermediate results, not only the final one', () => {
    // (x * x * x) % 2 is always 0 or 1, but x * x * x is not exact for x up to 2^31.
    expect(codes(model('0..2147483647', '(x * x * x) % 2'))).toEqual(['E409 at 3:25']);
  });

  it('gives the exact verdict at the edge of the range', async () => {
    const text =
      'machine x86_64 { cpus 1 }\nvar x : 0..94906265 = 94906265\n' +
      'thread t on 0 { assert x * x % 2 == 1 "x*x is odd"; x := x - 1; assert x * x % 2 == 1 "x*x is odd"; loop { work } }\n';
    const r = result(await check(text, ['assertions']), 'assertions');
    expect(r.verdict).toBe('violated');
    if (r.verdict === 'violated') expect(r.counterexample.message).toContain('x*x is odd');
  });
});
