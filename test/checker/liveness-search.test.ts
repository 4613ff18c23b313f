// The search behind liveness on hand-made graphs: Tarjan's components (iterative, reusable across subgraphs)
// and the Emerson–Lei test for weak and strong fairness, with the lasso loops it builds; and the hardware's
// fairness classes on a few states of a real model.

import { describe, expect, it } from 'vitest';
import { FairCycles, HardwareFairness, type Fairness } from '../../src/checker/explicit/liveness.js';
import { SccFinder, type Csr } from '../../src/checker/explicit/scc.js';
import { actionsInto, maxActions } from '../../src/checker/explicit/compile.js';
import type { Model } from '../../src/ir/model.js';
import { machineOf } from '../../src/hw/build.js';
import { modelOf } from './helpers.js';

/** A graph from adjacency lists; edge ids are in list order. */
function csr(adjacency: number[][]): Csr {
  const offsets = new Int32Array(adjacency.length + 1);
  adjacency.forEach((out, v) => (offsets[v + 1] = offsets[v]! + out.length));
  return { nodes: adjacency.length, offsets, targets: Int32Array.from(adjacency.flat()) };
}

/** Components as sorted member lists, in the order they were reported, with their non-triviality. */
function components(graph: Csr, inside: (v: number) => boolean = () => true, finder = new SccFinder(graph)): string[] {
  const out: string[] = [];
  finder.components(graph.nodes, inside, (members, _id, nonTrivial) => {
    out.push(`${[...members].sort((a, b) => a - b).join(',')}${nonTrivial ? '' : ' (trivial)'}`);
  });
  return out;
}

/**
 * A fairness over a hand-made graph: `edges[e]` is the class of edge e, `enabled[s]` the classes enabled in
 * state s (an edge's class is enabled in its source state, as in any model), `strong` the strong classes.
 */
function fairness(graph: Csr, count: number, edges: number[], enabled: number[][], strong: number[] = []): Fairness {
  const on = enabled.map((classes, s) => {
    const set = new Set(classes);
    for (let e = graph.offsets[s]!; e < graph.offsets[s + 1]!; e++) set.add(edges[e]!);
    return set;
  });
  return {
    count,
    strong: (cls) => strong.includes(cls),
    edgeClass: (_s, e) => edges[e]!,
    enabled: (s, cls) => on[s]!.has(cls),
  };
}

const everything = (n: number): Uint8Array => new Uint8Array(n).fill(1);
const edgeAction = (_s: number, e: number): number => 100 + e;

describe('strongly connected components', () => {
  it('reports components in reverse topological order and tells cycles from single states', () => {
    // Arrange: 0→1→2→0 reaches 3⇄4; 5 loops on itself; 6 is alone.
    const graph = csr([[1], [2], [0, 3], [4], [3], [5], []]);

    // Act / Assert
    expect(components(graph)).toEqual(['3,4', '0,1,2', '5', '6 (trivial)']);
  });

  it('sees only the subgraph it is given', () => {
    const graph = csr([[1], [2], [0, 3], [4], [3], [5], []]);
    expect(components(graph, (v) => v !== 1 && v !== 4)).toEqual(['0 (trivial)', '3 (trivial)', '2 (trivial)', '5', '6 (trivial)']);
  });

  it('ignores edges to -1 (fatal steps)', () => {
    expect(components(csr([[-1, 1], [0, -1]]))).toEqual(['0,1']);
  });

  it('gives every run fresh component ids, so membership tests never see a stale one', () => {
    // Arrange
    const graph = csr([[1], [0]]);
    const finder = new SccFinder(graph);
    const ids: number[] = [];

    // Act
    for (let run = 0; run < 3; run++) finder.components(graph.nodes, () => true, (_m, id) => ids.push(id));

    // Assert
    expect(ids).toEqual([0, 1, 2]);
    expect([...finder.component]).toEqual([2, 2]);
  });

  it('walks a million-state cycle without recursion', () => {
    // Arrange: 0→1→…→999999→0, the shape of a long run around one loop.
    const n = 1_000_000;
    const offsets = Int32Array.from({ length: n + 1 }, (_, i) => i);
    const targets = Int32Array.from({ length: n }, (_, i) => (i + 1) % n);
    const sizes: number[] = [];

    // Act
    new SccFinder({ nodes: n, offsets, targets }).components(n, () => true, (members) => sizes.push(members.length));

    // Assert
    expect(sizes).toEqual([n]);
  });
});

describe('fair components (Emerson–Lei)', () => {
  it('rejects a cycle on which a weak class is enabled everywhere and never taken', () => {
    // Arrange: 0⇄1 by class 0 edges; weak class 1 enabled in both states (its edges leave to 2).
    const graph = csr([[1, 2], [0, 2], []]);
    const f = fairness(graph, 2, [0, 1, 0, 1], [[], [], []]);

    // Act / Assert
    expect(new FairCycles(graph, f, edgeAction).leastFairComponent(everything(3).fill(0, 2))).toBeNull();
  });

  it('accepts it once the weak class is disabled somewhere on it, and the loop passes there', () => {
    // Arrange: as above, but state 1 has no class 1 edge.
    const graph = csr([[1, 2], [0], []]);
    const f = fairness(graph, 2, [0, 1, 0], [[], [], []]);
    const cycles = new FairCycles(graph, f, edgeAction);

    // Act
    const found = cycles.leastFairComponent(everything(3).fill(0, 2))!;
    const loop = cycles.loop(found);

    // Assert
    expect(found.entry).toBe(0);
    expect(loop.states).toEqual([0, 1]);
    expect(loop.actions).toEqual([100, 102]);
    expect(loop.discharges).toEqual([{ how: 'taken', step: 0 }, { how: 'disabled', state: 1 }]);
  });

  it('builds a loop that takes a weak class where the component takes it', () => {
    // Arrange: 0→1→2→0 and 1→0; weak class 1 is enabled everywhere and only the edge 2→0 takes it.
    const graph = csr([[1], [0, 2], [0]]);
    const f = fairness(graph, 2, [0, 0, 0, 1], [[1], [1], [1]]);
    const cycles = new FairCycles(graph, f, edgeAction);

    // Act
    const loop = cycles.loop(cycles.leastFairComponent(everything(3))!);

    // Assert: the short cycle 0→1→0 would be unfair; the loop goes round by 2.
    expect(loop.states).toEqual([0, 1, 2]);
    expect(loop.discharges[1]).toEqual({ how: 'taken', step: 2 });
  });

  it('cuts out the states where a strong class is enabled but never taken, and tries what is left', () => {
    // Arrange: 0⇄1⇄2, all by class 0; strong class 1 is enabled in state 2 only and never taken.
    const graph = csr([[1], [0, 2], [1]]);
    const f = fairness(graph, 2, [0, 0, 0, 0], [[], [], [1]], [1]);
    const cycles = new FairCycles(graph, f, edgeAction);

    // Act
    const found = cycles.leastFairComponent(everything(3))!;
    const loop = cycles.loop(found);

    // Assert: the fair part is 0⇄1, and the loop stays out of 2.
    expect([...found.members].sort()).toEqual([0, 1]);
    expect(loop.states).toEqual([0, 1]);
    expect(loop.discharges[1]).toEqual({ how: 'never-enabled' });
  });

  it('finds nothing when every cycle passes a state where the strong class is enabled', () => {
    const graph = csr([[1], [0, 2], [1]]);
    const f = fairness(graph, 2, [0, 0, 0, 0], [[], [1], []], [1]);
    expect(new FairCycles(graph, f, edgeAction).leastFairComponent(everything(3))).toBeNull();
  });

  it('takes a strong class that the loop enables on its way, even on the way back to the entry', () => {
    // Arrange: 0→1→0 and 1→2→0; strong class 1 is enabled in state 1, taken only by 1→2.
    const graph = csr([[1], [0, 2], [0]]);
    const f = fairness(graph, 2, [0, 0, 1, 0], [[], [], []], [1]);
    const cycles = new FairCycles(graph, f, edgeAction);

    // Act
    const loop = cycles.loop(cycles.leastFairComponent(everything(3))!);

    // Assert
    expect(loop.states).toEqual([0, 1, 2]);
    expect(loop.discharges[1]).toEqual({ how: 'taken', step: 1 });
  });

  it('names the fair component breadth-first search reached first, and respects a bound', () => {
    // Arrange: 0→1, 0→3; 1⇄2 and 3⇄4 are both fair.
    const graph = csr([[1, 3], [2], [1], [4], [3]]);
    const f = fairness(graph, 1, [0, 0, 0, 0, 0, 0], [[], [], [], [], []]);
    const cycles = new FairCycles(graph, f, edgeAction);

    // Act / Assert
    expect(cycles.leastFairComponent(everything(5))!.entry).toBe(1);
    expect(cycles.leastFairComponent(everything(5), 1)).toBeNull();
    expect(cycles.leastFairComponent(everything(5).fill(0, 1, 3))!.entry).toBe(3);
  });

  it('needs a cycle: a state with no edge back is not a fair component', () => {
    const graph = csr([[1], []]);
    expect(new FairCycles(graph, fairness(graph, 1, [0], [[], []]), edgeAction).leastFairComponent(everything(2))).toBeNull();
  });
});

describe('the hardware fairness classes', () => {
  // One CPU masks interrupts, lets the timer become pending, and unmasks: once the sti shadow has passed, the
  // timer is urgent and the CPU's next instruction is no action of the model.
  const MODEL = `machine x86_64 { cpus 1; irq timer line 0 }
    thread t on 0 { cli; work; sti; work; loop { work } }
    handler timer { eoi timer; iret }`;

  function walk(model: Model, labels: string[]): Uint32Array {
    let s = model.initialStates()[0]!;
    for (const text of labels) {
      const a = model.actions(s).find((x) => model.label(x).text === text);
      if (a === undefined) throw new Error(`no action ${text}`);
      s = model.successor(s, a).next;
    }
    return s;
  }

  /** The classes of one state, seen through a one-state graph whose edges are its actions. */
  function classes(model: Model, s: Uint32Array): { fairness: HardwareFairness; edges: number[] } {
    const n = model.actions(s).length;
    const graph: Csr = { nodes: 1, offsets: Int32Array.of(0, n), targets: new Int32Array(n).fill(-1) };
    const x = { enabled: (state: Uint32Array, out: Int32Array) => actionsInto(model, null, state, out), actionRoom: maxActions(model.program), view: () => s };
    const fairness = new HardwareFairness(machineOf(model), x, graph);
    return { fairness, edges: Array.from({ length: n }, (_, e) => fairness.edgeClass(0, e)) };
  }

  it('counts an instruction hidden by an urgent interrupt as executable at its level (no storms)', () => {
    // Arrange
    const model = modelOf(MODEL);
    const urgent = walk(model, ['cli', 'timer becomes pending', 'work', 'sti', 'work']);

    // Act
    const { fairness, edges } = classes(model, urgent);

    // Assert: the only action is the delivery (line class 0), yet thread code (level 0) is enabled.
    expect(model.actions(urgent).map((a) => model.label(a).text)).toEqual(['interrupt timer taken']);
    expect(edges).toEqual([fairness.lineClass(0, 0)]);
    expect(fairness.enabled(0, fairness.levelClass(0, 0))).toBe(true);
    expect(fairness.strong(fairness.levelClass(0, 0))).toBe(true);
    expect(fairness.strong(fairness.lineClass(0, 0))).toBe(false);
  });

  it('classes a step by the interrupt level it runs at', () => {
    const model = modelOf(MODEL);
    const inHandler = walk(model, ['interrupt timer arrives and is taken']);
    const { fairness, edges } = classes(model, inHandler);
    expect(model.actions(inHandler).map((a) => model.label(a).text)).toEqual(['eoi timer', 'timer becomes pending']);
    expect(edges).toEqual([fairness.levelClass(0, 1), fairness.lineClass(0, 0)]);
    expect(fairness.enabled(0, fairness.levelClass(0, 0))).toBe(false);
  });
});
