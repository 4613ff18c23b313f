// Names the language server finds in every place the grammar puts one, and texts it must survive: deep nesting,
// a file of nothing but lexical errors.

import { describe, expect, it } from 'vitest';
import { definitionOf, hoverText } from '../../src/lsp/server.js';
import { symbolsOf } from '../../src/lsp/symbols.js';

const TEXT = `const N = 2
machine aarch64 { cpus 1  controller gic  irq timer line 0 priority 1 }
lock L[N] : spin
runqueue rq[N]
var prio : 0..255 = 0
var ok : bool = true
thread t on 0 { tpr := prio; loop { work } }
handler timer { work; deactivate timer; eret }
invariant ok: ok
`;

const uses = (text: string, name: string): string[] =>
  symbolsOf(text, 'm.sched')
    .references.filter((r) => r.name === name)
    .map((r) => `${r.namespace} ${r.span.line}:${r.span.col}`);

describe('names in the language server', () => {
  it('finds the uses in an array length, `tpr := e` and `deactivate L`', () => {
    expect(uses(TEXT, 'N')).toEqual(['value 3:8', 'value 4:13']);
    expect(uses(TEXT, 'prio')).toEqual(['value 7:24']);
    expect(uses(TEXT, 'timer')).toContain('line 8:34');
  });

  it('keeps invariant names apart from variables: `invariant ok: ok` uses the variable', () => {
    const symbols = symbolsOf(TEXT, 'm.sched');
    expect(hoverText(symbols, 9, 15)?.text).toBe('(var) **ok**, line 6\n\n```sched\nvar ok : bool = true\n```');
    expect(definitionOf(symbols, 'file:///m.sched', 9, 15)).toEqual([{ uri: 'file:///m.sched', range: { start: { line: 5, character: 4 }, end: { line: 5, character: 6 } } }]);
  });

  it('reads the names before a nesting too deep, and of a file of lexical errors', () => {
    const deep = `lock L : spin\nvar x : 0..1[2]\nthread t on 0 { x[0] := ${'x['.repeat(500)}0${']'.repeat(500)} }\n`;
    expect(symbolsOf(deep, 'm.sched').declarations.map((d) => d.name)).toEqual(['L', 'x', 't']);
    const errors = `lock LOOM : spin\n${'$\n'.repeat(200_000)}`;
    expect(symbolsOf(errors, 'm.sched').declarations.map((d) => d.name)).toEqual(['LOOM']);
  });
});
