import { describe, expect, it } from 'vitest';
import type { LockEdge } from '../../src/checker/verdict.js';
import { cycleEdges, lockCycle, renderLockGraphDot } from '../../src/report/lockgraph.js';
import { renderSvg } from '../../src/report/svg.js';
import { abba } from './fixtures.js';
import { expectGolden } from './golden.js';

const edge = (from: string, to: string, location: string | null = null): LockEdge => ({ from, to, context: 'thread t', span: null, location });

describe('lock dependency graph', () => {
  it('matches the golden graph of the ABBA fixture', () => {
    const { cex, program } = abba();
    expectGolden('test/golden/dot/abba.locks.dot', renderLockGraphDot(cex.lockGraph!, program));
  });

  it('finds the cycle and the edges on it, leaving the others black', () => {
    const edges = abba().cex.lockGraph!;
    expect(lockCycle(edges)).toEqual(['SCHED', 'PROC', 'SCHED']);
    // SCHED -> STATS is not on the cycle.
    expect([...cycleEdges(edges)].sort()).toEqual([1, 2]);
  });

  it('finds the shortest of several cycles and every edge of every cycle', () => {
    const edges = [edge('A', 'B'), edge('B', 'C'), edge('C', 'A'), edge('C', 'D'), edge('D', 'C'), edge('D', 'E')];
    expect(lockCycle(edges)).toEqual(['C', 'D', 'C']);
    expect([...cycleEdges(edges)].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('treats recursive locking as a cycle of one lock', () => {
    const edges = [edge('A', 'B'), edge('B', 'B')];
    expect(lockCycle(edges)).toEqual(['B', 'B']);
    expect([...cycleEdges(edges)]).toEqual([1]);
  });

  it('says so when there is no cycle', async () => {
    const edges = [edge('A', 'B'), edge('B', 'C'), edge('A', 'C')];
    expect(lockCycle(edges)).toBeNull();
    expect(cycleEdges(edges).size).toBe(0);
    const dot = renderLockGraphDot(edges);
    expect(dot).toContain('no cycle');
    expect(dot).not.toContain('#e03131');
    const svg = await renderSvg(dot);
    expect(svg.ok && svg.warnings).toEqual([]);
  });

  it('labels every edge with the context and place it was observed', () => {
    const { cex, program } = abba();
    const dot = renderLockGraphDot(cex.lockGraph!, program);
    expect(dot).toMatch(/"lock PROC" -> "lock SCHED" \[label=<[^\]]*thread fork[^\]]*abba\.sched:20[^\]]*color="#e03131", penwidth="2.5"/);
    expect(dot).toMatch(/"lock SCHED" -> "lock STATS" \[label=<[^\]]*thread tick[^\]]*abba\.sched:11[^\]]*tooltip/);
    expect(dot).not.toMatch(/"lock SCHED" -> "lock STATS" [^\n]*#e03131/);
  });
});
