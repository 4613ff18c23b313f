// A Graphviz abort (an internal assertion, seen on some graphs of thousands of nodes) throws out of render()
// and leaves that WebAssembly instance dead. renderSvg must answer it as data and use a fresh instance next.
import { describe, expect, it, vi } from 'vitest';

const renders: string[] = [];
let instances = 0;

vi.mock('@viz-js/viz', () => ({
  instance: async () => {
    instances++;
    const dead = instances === 1;
    return {
      render: (dot: string) => {
        renders.push(dot);
        if (dead) throw new Error('Aborted(Assertion failed: index < list.size)');
        return { status: 'success', output: '<svg/>', errors: [] };
      },
    };
  },
}));

describe('renderSvg after a Graphviz abort', () => {
  it('reports the abort and renders the next graph with a new instance', async () => {
    const { renderSvg } = await import('../../src/report/svg.js');
    expect(await renderSvg('digraph { a }')).toEqual({
      ok: false,
      errors: ['Graphviz failed: Aborted(Assertion failed: index < list.size)'],
      warnings: [],
    });
    expect(await renderSvg('digraph { b }')).toEqual({ ok: true, svg: '<svg/>', warnings: [] });
    expect(instances).toBe(2);
    expect(renders).toEqual(['digraph { a }', 'digraph { b }']);
  });
});
