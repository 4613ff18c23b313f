// The language server knows wait queues: declared by `wq`, referenced by the wait-queue statements, and completed
// after them (and only there).

import { describe, expect, it } from 'vitest';
import { completions } from '../../src/lsp/server.js';
import { symbolsOf } from '../../src/lsp/symbols.js';

const TEXT = `machine x86_64 { cpus 1; scheduler s }
lock L : spin
wq WQ
thread t on 0 { sleep WQ; wake_all WQ; loop { work } }
proc s { work }
`;

describe('wait queues in the language server', () => {
  it('declares a wait queue and finds its references', () => {
    const symbols = symbolsOf(TEXT, 'm.sched');
    expect(symbols.declarations.filter((d) => d.kind === 'wait queue').map((d) => `${d.name} ${d.span.line}:${d.span.col}`)).toEqual(['WQ 3:4']);
    expect(symbols.references.filter((r) => r.namespace === 'wq').map((r) => `${r.name} ${r.span.line}:${r.span.col}`)).toEqual(['WQ 4:23', 'WQ 4:36']);
  });

  it('completes wait queues after a wait-queue statement, locks after acquire', () => {
    const symbols = symbolsOf(TEXT, 'm.sched');
    expect(completions(symbols, '  sleep ').map((c) => c.label)).toEqual(['WQ']);
    expect(completions(symbols, '  wake_one W').map((c) => c.label)).toEqual(['WQ']);
    expect(completions(symbols, '  acquire ').map((c) => c.label)).toEqual(['L']);
  });
});
