// The explored state graph, kept only when a property needs to look at it after the search (no-deadlock's "no
// progress can ever happen again", eoi-discipline's "never EOIed again"). A breadth-first search expands states
// in id order, so the edges are recorded directly in compressed sparse row form: the edges of state i are
// [offsets[i], offsets[i + 1]).

import { ActionKind, actionCpu, actionKind, type Action, type Model } from '../../ir/model.js';
import { MemoryBudgetExceeded } from './store.js';
import { beat } from './heartbeat.js';

/** The sweeps canReach makes over the edges before it goes on with a queue over the reversed graph. */
const SWEEPS = 16;

export const EDGE_PROGRESS = 1;
export const EDGE_FATAL = 2;
/** The edge takes an interrupt (a delivery, or an arrival taken at once). */
export const EDGE_DELIVERY = 4;
/** The CPU that takes the edge's action is the flags' bits from this one on. */
const EDGE_CPU_SHIFT = 3;

/** The flags of an edge that takes `action` (`fatal`: a step that leads nowhere). */
export function edgeFlags(model: Model, action: Action, fatal: boolean): number {
  const kind = actionKind(action);
  const delivery = kind === ActionKind.deliver || kind === ActionKind.arriveTake;
  return (model.progress(action) ? EDGE_PROGRESS : 0) | (fatal ? EDGE_FATAL : 0) | (delivery ? EDGE_DELIVERY : 0) | (actionCpu(action) << EDGE_CPU_SHIFT);
}

/** The CPU that takes an edge, from its flags. */
export function edgeCpu(flags: number): number {
  return flags >>> EDGE_CPU_SHIFT;
}

/** The most transitions a state graph holds: its offsets are 32-bit, and one past 2^31 - 1 would read negative. */
export const MAX_EDGES = 2 ** 31 - 1;

/** The search made more transitions than a state graph holds (MAX_EDGES): it ends inconclusive. */
export class StateGraphFull extends Error {}

export class StateGraph {
  private offsets: Int32Array = new Int32Array(1024);
  private targets: Int32Array = new Int32Array(4096);
  private flags: Uint8Array = new Uint8Array(4096);
  private edges = 0;
  private states = 0;
  /** Edges that send an EOI, as (edge index, cpu * lines + line) pairs. */
  private eois: Int32Array = new Int32Array(256);
  private eoiCount = 0;
  private reverse: { offsets: Int32Array; sources: Int32Array } | null = null;

  /** @param maxEdges the most transitions it holds (MAX_EDGES; tests set fewer) */
  constructor(
    private readonly canGrow: (extraBytes: number) => boolean,
    private readonly maxEdges = MAX_EDGES,
  ) {}

  get bytes(): number {
    return this.offsets.byteLength + this.targets.byteLength + this.flags.byteLength;
  }

  get stateCount(): number {
    return this.states;
  }

  /**
   * The forward edges as stored, for analyses that walk the graph themselves (liveness: SCCs and lassos). The
   * edges of state s are [offsets[s], offsets[s + 1]), one per action the model listed for s, in that order (a
   * state not expanded, because of --max-depth, has none); a target of -1 is a fatal step. Views, valid until
   * the next `add`.
   */
  edgeView(): { offsets: Int32Array; targets: Int32Array; flags: Uint8Array } {
    return {
      offsets: this.offsets.subarray(0, this.states + 1),
      targets: this.targets.subarray(0, this.edges),
      flags: this.flags.subarray(0, this.edges),
    };
  }

  /** Starts the edges of state `id`; states must be begun in id order, each once. */
  begin(id: number): void {
    if (id !== this.states) throw new Error(`internal: graph state ${id} begun out of order`);
    if (id + 2 > this.offsets.length) this.offsets = this.grow(this.offsets, (id + 2) * 2) as Int32Array;
    this.offsets[id] = this.edges;
    this.states = id + 1;
    this.offsets[this.states] = this.edges;
  }

  /** An edge from the state begun last to `target` (-1 for a fatal step that leads nowhere). */
  add(target: number, flags: number, eoiKeys: readonly number[]): void {
    if (this.edges >= this.maxEdges) throw new StateGraphFull(`the state graph holds at most ${this.maxEdges} transitions`);
    if (this.edges === this.targets.length) {
      const length = Math.min(this.edges * 2, this.maxEdges);
      this.targets = this.grow(this.targets, length) as Int32Array;
      this.flags = this.grow(this.flags, length) as Uint8Array;
    }
    for (const key of eoiKeys) {
      if (this.eoiCount + 2 > this.eois.length) this.eois = this.grow(this.eois, this.eois.length * 2) as Int32Array;
      this.eois[this.eoiCount++] = this.edges;
      this.eois[this.eoiCount++] = key;
    }
    this.targets[this.edges] = target;
    this.flags[this.edges] = flags;
    this.edges++;
    this.offsets[this.states] = this.edges;
  }

  private grow(array: Int32Array | Uint8Array, length: number): Int32Array | Uint8Array {
    // The whole new array: the old one stays resident until it is collected, and the memory gauge only
    // re-reads the process's size now and then (memory.ts).
    if (!this.canGrow(length * array.BYTES_PER_ELEMENT)) throw new MemoryBudgetExceeded();
    const bigger = array instanceof Int32Array ? new Int32Array(length) : new Uint8Array(length);
    bigger.set(array);
    return bigger;
  }

  /** The reversed graph: the sources of the edges into state t are sources[offsets[t] .. offsets[t + 1]). */
  reversed(): { offsets: Int32Array; sources: Int32Array } {
    this.reverse ??= this.reversedWithout(null);
    return this.reverse;
  }

  /**
   * States from which some path reaches a marked edge: an edge with one of the `flags` bits, or one `marks`
   * has a 1 for (one byte per edge, as `eoiEdges` gives); or a state `start` has a 1 for (one byte per state).
   * Seeded with those states and the sources of marked edges, then closed backwards over all edges but those
   * `skip` has a 1 for. It reads every edge of a graph of millions, so it takes data, not a predicate.
   *
   * The closure sweeps the edges in order, from the last state to the first, marking a state whose edge leads to
   * a marked one: the states are numbered in breadth-first order, so most edges lead to a later state and one
   * sweep carries the marks back along all of them; an edge to an earlier state waits for the next sweep. On the
   * large corpus models 2 to 6 sweeps reach the closure, each reading the edges in order, where a queue over the
   * reversed graph read them at random (xv6-swtch-ptable CPUS=2 PROCS=5, 23 million edges: 50-160 ms a question
   * instead of 540-1,020). After SWEEPS sweeps that still mark states, the queue over the reversed graph finishes
   * the closure from the states the last sweep marked (every state marked before has had its edges in, earlier
   * ones and later ones, swept since).
   */
  canReach(flags: number, marks: Uint8Array | null = null, skip: Uint8Array | null = null, start: Uint8Array | null = null): Uint8Array {
    const n = this.states;
    const good = new Uint8Array(n);
    const queue = new Int32Array(n);
    let tail = 0;
    beat();
    for (let s = 0; s < n; s++) {
      if (start !== null && start[s] === 1) {
        good[s] = 1;
        queue[tail++] = s;
        continue;
      }
      for (let e = this.offsets[s]!; e < this.offsets[s + 1]!; e++) {
        if ((this.flags[e]! & flags) !== 0 || (marks !== null && marks[e] === 1)) {
          good[s] = 1;
          queue[tail++] = s;
          break;
        }
      }
    }
    const { offsets: out, targets } = this;
    for (let sweep = 0; sweep < SWEEPS && tail > 0; sweep++) {
      // The queue holds the states the sweep marks, for the queue below if it is the last.
      tail = 0;
      beat();
      for (let s = n - 1; s >= 0; s--) {
        if (good[s] === 1) continue;
        for (let e = out[s]!; e < out[s + 1]!; e++) {
          if (good[targets[e]!] === 1 && (skip === null || skip[e] !== 1)) {
            good[s] = 1;
            queue[tail++] = s;
            break;
          }
        }
      }
    }
    if (tail === 0) return good;
    const { offsets, sources } = skip === null ? this.reversed() : this.reversedWithout(skip);
    for (let head = 0; head < tail; head++) {
      const t = queue[head]!;
      for (let i = offsets[t]!; i < offsets[t + 1]!; i++) {
        const s = sources[i]!;
        if (good[s] === 0) {
          good[s] = 1;
          queue[tail++] = s;
        }
      }
    }
    return good;
  }

  /**
   * In place, each state's value becomes the least value of the states some path from it reaches, itself
   * included (`values` one byte per state); by sweeps over the edges from the last state to the first, as
   * canReach's. False, and `values` part of the way there, when SWEEPS sweeps still lowered some value: a call
   * again goes on from there, or the caller closes it another way.
   */
  leastReachable(values: Uint8Array): boolean {
    const { offsets: out, targets } = this;
    const n = this.states;
    for (let sweep = 0; sweep < SWEEPS; sweep++) {
      let lowered = false;
      beat();
      for (let s = n - 1; s >= 0; s--) {
        let v = values[s]!;
        if (v === 0) continue;
        for (let e = out[s]!; e < out[s + 1]!; e++) {
          const t = targets[e]!;
          if (t >= 0 && t < n && values[t]! < v) v = values[t]!;
        }
        if (v < values[s]!) {
          values[s] = v;
          lowered = true;
        }
      }
      if (!lowered) return true;
    }
    return false;
  }

  /** The reversed graph, without the edges `skip` has a 1 for. */
  private reversedWithout(skip: Uint8Array | null): { offsets: Int32Array; sources: Int32Array } {
    const n = this.states;
    const offsets = new Int32Array(n + 1);
    for (let e = 0; e < this.edges; e++) {
      const t = this.targets[e]!;
      if ((skip === null || skip[e] !== 1) && t >= 0 && t < n) offsets[t + 1]!++;
    }
    for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
    const fill = offsets.slice(0, n);
    const sources = new Int32Array(offsets[n]!);
    for (let s = 0; s < n; s++) {
      for (let e = this.offsets[s]!; e < this.offsets[s + 1]!; e++) {
        const t = this.targets[e]!;
        if ((skip === null || skip[e] !== 1) && t >= 0 && t < n) sources[fill[t]!++] = s;
      }
    }
    return { offsets, sources };
  }

  /** One byte per edge: 1 where the edge EOIs `key` (cpu * lines + line). */
  eoiEdges(key: number): Uint8Array {
    const marks = new Uint8Array(this.edges);
    for (let i = 0; i < this.eoiCount; i += 2) if (this.eois[i + 1] === key) marks[this.eois[i]!] = 1;
    return marks;
  }
}
