// Strongly connected components of subgraphs of the explored state graph (Tarjan's algorithm). Models reach
// about a million states, so the depth-first search keeps its own call stack in typed arrays instead of
// recursing: a recursive Tarjan would overflow Node's stack on the first long path. Liveness asks for the
// components of many subgraphs of one graph (one per thread, then ever smaller pieces of unfair components), so
// one finder keeps its scratch arrays and reuses them: a run touches only the nodes it reaches.

import { beat } from './heartbeat.js';

/** A directed graph in compressed sparse row form: the edges of node n are [offsets[n], offsets[n + 1]). */
export interface Csr {
  readonly nodes: number;
  readonly offsets: Int32Array;
  /** Target node of each edge; negative targets (a fatal step that leads nowhere) are ignored. */
  readonly targets: Int32Array;
}

/**
 * Called once per component, in reverse topological order (a component is reported before any component that
 * can reach it). `members` is a view that is only valid during the call; `nonTrivial` says whether the component
 * contains a cycle (more than one node, or one node with an edge to itself).
 */
export type ComponentVisitor = (members: Int32Array, id: number, nonTrivial: boolean) => void;

export class SccFinder {
  /**
   * Component id of each node, as assigned by the run that last reached it. Ids are never reused across runs,
   * so during a visit `component[v] === id` says exactly whether v belongs to the component being visited.
   */
  readonly component: Int32Array;
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly runOf: Int32Array; // index and low of v are valid only when runOf[v] is the current run
  private readonly onStack: Uint8Array;
  private readonly stack: Int32Array; // Tarjan's node stack
  private readonly callNode: Int32Array; // the explicit depth-first call stack: a node, and its next edge
  private readonly callEdge: Int32Array;
  private run = 0;
  private nextId = 0;
  private readonly single = new Int32Array(1);

  constructor(private readonly graph: Csr) {
    const n = graph.nodes;
    this.component = new Int32Array(n).fill(-1);
    this.index = new Int32Array(n);
    this.low = new Int32Array(n);
    this.runOf = new Int32Array(n);
    this.onStack = new Uint8Array(n);
    this.stack = new Int32Array(n);
    this.callNode = new Int32Array(n);
    this.callEdge = new Int32Array(n);
  }

  /**
   * The components of the subgraph induced by the nodes `inside` accepts, as far as they are reachable from
   * `roots` (tried in order; roots outside the subgraph are skipped). A number n stands for the roots 0..n-1.
   */
  components(roots: ArrayLike<number> | number, inside: (v: number) => boolean, visit: ComponentVisitor): void {
    const { offsets, targets } = this.graph;
    const { index, low, runOf, onStack, stack, callNode, callEdge, component } = this;
    const run = ++this.run;
    let nextIndex = 0;
    let stackTop = 0;
    let depth = 0;
    const enter = (v: number): void => {
      if ((nextIndex & 4095) === 0) beat();
      runOf[v] = run;
      index[v] = low[v] = nextIndex++;
      stack[stackTop++] = v;
      onStack[v] = 1;
      callNode[depth] = v;
      callEdge[depth] = offsets[v]!;
      depth++;
    };
    const rootCount = typeof roots === 'number' ? roots : roots.length;
    for (let r = 0; r < rootCount; r++) {
      const root = typeof roots === 'number' ? r : roots[r]!;
      if (runOf[root] === run || !inside(root)) continue;
      enter(root);
      while (depth > 0) {
        const v = callNode[depth - 1]!;
        const e = callEdge[depth - 1]!;
        if (e < offsets[v + 1]!) {
          callEdge[depth - 1] = e + 1;
          const w = targets[e]!;
          if (w < 0) continue;
          if (runOf[w] !== run) {
            if (inside(w)) enter(w);
          } else if (onStack[w] === 1 && index[w]! < low[v]!) {
            low[v] = index[w]!;
          }
          continue;
        }
        // Every edge of v is done: return to the caller.
        depth--;
        if (depth > 0) {
          const caller = callNode[depth - 1]!;
          if (low[v]! < low[caller]!) low[caller] = low[v]!;
        }
        if (low[v] !== index[v]) continue;
        let start = stackTop;
        do start--;
        while (stack[start] !== v);
        const id = this.nextId++;
        for (let i = start; i < stackTop; i++) {
          const u = stack[i]!;
          onStack[u] = 0;
          component[u] = id;
        }
        // Most components are single states: they share one array instead of a new view each.
        let members: Int32Array;
        if (stackTop - start === 1) {
          this.single[0] = v;
          members = this.single;
        } else members = stack.subarray(start, stackTop);
        const nonTrivial = members.length > 1 || this.hasSelfLoop(v);
        visit(members, id, nonTrivial);
        stackTop = start;
      }
    }
  }

  private hasSelfLoop(v: number): boolean {
    const { offsets, targets } = this.graph;
    for (let e = offsets[v]!; e < offsets[v + 1]!; e++) if (targets[e] === v) return true;
    return false;
  }
}

