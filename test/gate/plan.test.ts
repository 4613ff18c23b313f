// The plan format (docs/gate.md): what parses, and the exact diagnostic (code, line, column) of what does not.

import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../src/checker/gate.js';

/** `CODE line:col` for every diagnostic, in order. */
function codes(text: string): string[] {
  return parsePlan(text, 'p.plan').diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col}`);
}

describe('parsePlan', () => {
  it('reads blocks, configurations, bounds, engine and expectations', () => {
    const text = [
      '# a plan',
      'timeout 60',
      'max-states 5000   # plan-wide default',
      '',
      'model ../models/a.sched',
      'config THREADS=2',
      'config THREADS=3 CPUS=2',
      'engine both',
      'max-depth 40',
      'expect no-deadlock holds',
      'expect stack-integrity violated',
      'model b.sched',
      'timeout 5',
      'expect assertions holds',
    ].join('\n');
    const { diagnostics, plan } = parsePlan(text, '/specs/x.plan');
    expect(diagnostics).toEqual([]);
    expect(plan.blocks).toHaveLength(2);
    const [a, b] = plan.blocks;
    expect(a!.model).toBe('../models/a.sched');
    expect(a!.modelPath).toBe('/models/a.sched');
    expect(a!.configs.map((c) => c.sets)).toEqual([['THREADS=2'], ['THREADS=3', 'CPUS=2']]);
    expect(a!.engine).toBe('both');
    expect(a!.bounds).toEqual({ timeoutSeconds: 60, maxStates: 5000, maxDepth: 40 });
    expect(a!.expectations.map((e) => `${e.property} ${e.verdict} ${e.span.line}`)).toEqual([
      'no-deadlock holds 10',
      'stack-integrity violated 11',
    ]);
    expect(b!.modelPath).toBe('/specs/b.sched');
    expect(b!.configs).toEqual([]);
    expect(b!.engine).toBe('explicit');
    expect(b!.bounds).toEqual({ timeoutSeconds: 5, maxStates: 5000 });
  });

  it('takes bounds past 2^31 as written (max-states 3000000000 is a bound, not G103)', () => {
    const { diagnostics, plan } = parsePlan('max-states 3000000000\nmax-depth 4294967296\nmodel m.sched\nexpect assertions holds\n', 'p.plan');
    expect(diagnostics).toEqual([]);
    expect(plan.blocks[0]!.bounds).toEqual({ maxStates: 3000000000, maxDepth: 4294967296 });
    expect(codes('max-states 9999999999999999\nmodel m.sched\nexpect assertions holds\n')).toEqual(['G103 1:12']);
  });

  it('accepts CRLF line ends and a comment glued to a word', () => {
    const { diagnostics, plan } = parsePlan('model m.sched\r\nexpect assertions holds#why\r\n', 'p.plan');
    expect(diagnostics).toEqual([]);
    expect(plan.blocks[0]!.expectations[0]!.verdict).toBe('holds');
  });

  it('reports each kind of mistake at its position', () => {
    const text = [
      'expect no-deadlock holds', // 1: G108
      'enginee explicit', // 2: G101
      'model m.sched extra', // 3: G102 (and no block follows)
      'model m.sched', // 4
      'config THREADS3 CPUS=2', // 5: G104 at col 8
      'engine z3', // 6: G105 at col 8
      'max-states lots', // 7: G103 at col 12
      'expect no-deadlok holds', // 8: G106 at col 8
      'expect no-deadlock maybe', // 9: G107 at col 20
      'expect no-deadlock holds', // 10
      'expect no-deadlock violated', // 11: G109 at col 8
      'engine smt', // 12
      'engine explicit', // 13: G109 at col 1
      'expect assertions', // 14: G102 at col 1
      'model empty.sched', // 15: no `expect`: the model's own lines (G110 only when it has none, at load)
      'timeout 1 2', // 16: G102
      'caf\u00e9 1', // 17: G111 at col 4
    ].join('\n');
    expect(codes(text)).toEqual([
      'G108 1:1',
      'G101 2:1',
      'G102 3:1',
      'G104 5:8',
      'G105 6:8',
      'G103 7:12',
      'G106 8:8',
      'G107 9:20',
      'G109 11:8',
      'G109 13:1',
      'G102 14:1',
      'G102 16:1',
      'G111 17:4',
    ]);
  });

  it('spans cover the whole offending word', () => {
    const { diagnostics } = parsePlan('model m.sched\nexpect no-deadlok holds\n', 'p.plan');
    expect(diagnostics.map((d) => d.code)).toEqual(['G106']);
    expect(diagnostics[0]!.span).toEqual({ file: 'p.plan', line: 2, col: 8, endLine: 2, endCol: 18 });
  });

  it('names of object properties are not directives', () => {
    expect(codes('model m.sched\ntoString 5\nconstructor 1\nexpect assertions holds')).toEqual(['G101 2:1', 'G101 3:1']);
  });

  it('hash-compaction and symmetry switch on the explicit engine\'s reductions, plan-wide or per block', () => {
    const { diagnostics, plan } = parsePlan('symmetry\nmodel a.sched\nhash-compaction\nexpect assertions holds\nmodel b.sched\nexpect assertions holds', 'p.plan');
    expect(diagnostics).toEqual([]);
    expect(plan.blocks.map((b) => b.bounds)).toEqual([{ symmetry: true, hashCompaction: true }, { symmetry: true }]);
    expect(codes('model a.sched\nhash-compaction on\nsymmetry\nsymmetry\nexpect assertions holds')).toEqual(['G102 2:1', 'G109 4:1']);
  });

  it('learn-from lines are a block\'s smaller configurations, NAME=VALUE like config', () => {
    const { diagnostics, plan } = parsePlan('model m.sched\nengine smt\nlearn-from THREADS=2\nlearn-from THREADS=3 CPUS=1\nexpect assertions holds\n', 'p.plan');
    expect(diagnostics).toEqual([]);
    expect(plan.blocks[0]!.learnFrom.map((c) => `${c.sets.join(' ')} ${c.span.line}`)).toEqual(['THREADS=2 3', 'THREADS=3 CPUS=1 4']);
    expect(plan.blocks[0]!.configs).toEqual([]);
    expect(codes('model m.sched\nlearn-from THREADS\nexpect assertions holds')).toEqual(['G104 2:12']);
  });

  it('an empty plan has no blocks and no diagnostics', () => {
    expect(parsePlan('', 'p.plan')).toEqual({ diagnostics: [], plan: { file: 'p.plan', blocks: [] } });
    expect(parsePlan('# only a comment\n\n', 'p.plan').plan.blocks).toEqual([]);
  });

  it('a config or expect before any model is G108, a bound is a plan default', () => {
    expect(codes('config THREADS=2\nmax-states 10\nmodel m.sched\nexpect assertions holds')).toEqual(['G108 1:1']);
    expect(codes('learn-from THREADS=2\nmodel m.sched\nexpect assertions holds')).toEqual(['G108 1:1']);
  });

  it('stays linear and bounded on a huge garbage plan', () => {
    const text = 'nonsense here\n'.repeat(200_000);
    const started = performance.now();
    const { diagnostics } = parsePlan(text, 'p.plan');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(diagnostics).toHaveLength(100);
    expect(diagnostics[0]!.code).toBe('G101');
  });
});
