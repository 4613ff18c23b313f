import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../src/checker/check.js';
import { buildModel } from '../../src/hw/build.js';
import type { Program } from '../../src/ir/ir.js';
import { loadModel } from '../../src/lang/load.js';
import { exploreStateGraph, matchPath, renderStateGraphDot } from '../../src/report/stategraph.js';
import { renderSvg } from '../../src/report/svg.js';
import { expectGolden } from './golden.js';

function program(file: string): Program {
  const { program, diagnostics } = loadModel(file, []);
  if (program === null) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return program;
}

describe('the state graph', () => {
  it('holds every reachable state once and every transition', () => {
    // Pinned: a changed count is a changed semantics that must be explained.
    const counts = ['tiny', 'hog', 'handler-switch', 'timer-deadlock'].map((name) => {
      const built = exploreStateGraph(buildModel(program(`test/report/fixtures/${name}.sched`)));
      if (!built.ok) throw new Error('too large');
      return [name, built.graph.nodes.length, built.graph.edges.length];
    });
    expect(counts).toEqual([
      ['tiny', 12, 18],
      ['hog', 8, 12],
      ['handler-switch', 17, 23],
      ['timer-deadlock', 67, 86],
    ]);
  });

  it('refuses past the node limit', () => {
    const model = buildModel(program('test/report/fixtures/timer-deadlock.sched'));
    expect(exploreStateGraph(model, 66)).toEqual({ ok: false, limit: 66 });
    expect(exploreStateGraph(model, 67).ok).toBe(true);
  });

  it('finds the counterexample as a path of the graph and colours it', async () => {
    const file = 'test/report/fixtures/handler-switch.sched';
    const built = exploreStateGraph(buildModel(program(file)));
    if (!built.ok) throw new Error('too large');
    const { report } = await checkModelFile(file, [], { properties: ['stack-integrity'], progress: false });
    const result = report!.results[0]!;
    if (result.verdict !== 'violated') throw new Error('expected a violation');
    const path = matchPath(built.graph, result.counterexample)!;
    expect(path).toHaveLength(result.counterexample.length);
    // The path is connected, starts at an initial state and ends where the trace ends.
    const edges = path.map((i) => built.graph.edges[i]!);
    expect(built.graph.nodes[edges[0]!.from]!.initial).toBe(true);
    edges.slice(1).forEach((e, i) => expect(e.from).toBe(edges[i]!.to));
    const last = built.graph.nodes[edges[edges.length - 1]!.to]!;
    expect(last.view).toEqual(result.counterexample.steps[result.counterexample.length]!.state);
    expect(last.fatal).toBe('switch_to resumes worker through an interrupt frame, not a switch frame');
    const dot = renderStateGraphDot(built.graph, { title: `${file}: state graph`, arch: 'x86_64', path, pathNote: 'stack-integrity violated' });
    expectGolden('test/golden/dot/state-graph-handler-switch.dot', dot);
    expect(dot.match(/color="#e8590c", fontcolor="#e8590c", penwidth="2.5"/g)).toHaveLength(path.length);
    const svg = await renderSvg(dot);
    expect(svg.ok && svg.warnings).toEqual([]);
  });

  it('does not find a trace that is not a path of the graph', async () => {
    const built = exploreStateGraph(buildModel(program('test/report/fixtures/tiny.sched')));
    const { report } = await checkModelFile('test/report/fixtures/handler-switch.sched', [], { properties: ['stack-integrity'], progress: false });
    const result = report!.results[0]!;
    if (!built.ok || result.verdict !== 'violated') throw new Error('setup');
    expect(matchPath(built.graph, result.counterexample)).toBeNull();
  });
});

describe('a large state graph', () => {
  it('is laid out with the cheaper settings and still renders cleanly', async () => {
    const built = exploreStateGraph(buildModel(program('models/aethelos-001/option2-yield-pending.sched')));
    if (!built.ok) throw new Error('too large');
    expect(built.graph.nodes.length).toBe(630);
    const dot = renderStateGraphDot(built.graph, { title: 'option2', arch: 'x86_64' });
    expect(dot).toContain('splines="line", mclimit="0.1", nslimit="2", nslimit1="2"');
    const svg = await renderSvg(dot);
    expect(svg.ok && svg.warnings).toEqual([]);
    const small = exploreStateGraph(buildModel(program('test/report/fixtures/tiny.sched')));
    if (!small.ok) throw new Error('too large');
    expect(renderStateGraphDot(small.graph, { title: 'tiny', arch: 'x86_64' })).not.toContain('splines');
  });
});
