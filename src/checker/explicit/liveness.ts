// Fair cycles in the explored state graph: the search behind liveness properties. A liveness property is
// violated by a fair infinite path that stays in some set of states (for no-starvation: "thread t is ready").
// In a finite graph such a path ends inside one strongly connected component of that subgraph, and it can be
// chosen to be a lasso: a stem to the component and a loop inside it.
//
// Fairness is a set of classes of edges. A weak class (justice) that is enabled in every state of a path from
// some point on must be taken infinitely often; a strong class (compassion) that is enabled infinitely often
// must be taken infinitely often. Enabledness is always relative to the whole model in that state (edges that
// leave the subgraph, or are fatal, count), never to the subgraph's own edges.
//
// The search is Emerson–Lei's: a component C holds a fair cycle when every weak class is taken inside C or
// disabled somewhere in C, and every strong class enabled somewhere in C is taken inside C (a cycle through all
// of C is then fair). A weak class enabled everywhere in C and never taken inside it rules out every cycle within
// C. A strong class enabled in C but never taken inside rules out only the cycles through the states where it is
// enabled: those states are removed, and the components of what is left are tried in turn.

import { MAX_HARDIRQ } from '../../ir/layout.js';
import type { Machine } from '../../hw/machine.js';
import { ActionKind, actionArg, actionCpu, actionKind, type Action } from '../../ir/model.js';
import type { Exploration } from '../properties/property.js';
import { SccFinder, type Csr } from './scc.js';
import { beat } from './heartbeat.js';

/** Fairness classes over the edges and states of a graph. Class ids are 0..count-1. */
export interface Fairness {
  readonly count: number;
  /** Strong (enabled infinitely often → taken infinitely often); otherwise weak (always enabled → taken). */
  strong(cls: number): boolean;
  /** The class of edge `e`, one of the edges of state `s`. */
  edgeClass(s: number, e: number): number;
  enabled(s: number, cls: number): boolean;
}

// ---------------------------------------------------------------------------------------------------------
// The hardware's fairness

/** Interrupt levels a CPU can be at (0..MAX_HARDIRQ nested entries; deeper counts as the deepest). */
const LEVELS = MAX_HARDIRQ + 1;

/**
 * The fairness of the machine, with classes defined by what an action does:
 * - weak, per (CPU, line): the line's interrupt actions on that CPU (arrival, arrival-and-take, delivery). A line
 *   that can keep arriving on a CPU, or stays deliverable there, is eventually taken; except that an `at most N`
 *   source may stop firing at any time, so only its delivery, once pending, is expected.
 * - strong, per (CPU, interrupt level): the CPU's instruction steps (and mask-waits) taken at that level, the
 *   interrupt entries the code is nested in as the hardware counts them (Machine.interruptLevel: frames until
 *   their iret/eret), not the software's hardirq count, which a handler lowers with irq_exit before it returns.
 *   Code at one level that can execute again and again eventually does. This implies weak fairness of each CPU's
 *   instruction stream, and it rules out interrupt storms: a line arriving at every instruction boundary, so that
 *   the code it interrupts never executes another instruction, whatever the handler does after irq_exit. A CPU spinning on a held lock, halted after
 *   hlt, or halted in wfi with nothing pending has nothing it must execute at its level, so none of this forces
 *   it on. (A wfi wait may complete with nothing pending, the Arm ARM allows it: such a step is in the graph,
 *   in a class of its own that is never enabled, so a fair path may take it and need not.)
 * - strong, per (CPU, line), in a model with user-mode code: the line's interrupt actions taken while the CPU runs
 *   in user mode. A line's arrivals do not depend on the CPU's mode (a timer's period is no function of CPL or EL),
 *   so a line that is deliverable in user mode again and again is eventually taken there: a design that would
 *   only ever take its tick in kernel mode is not defended by an adversary that times the tick so. The weak class
 *   of the line then covers its actions in kernel mode only, and the two together imply it (a path that stays in
 *   kernel mode owes the weak class; one that keeps coming back to user mode owes the strong one).
 *
 * A state's enabled classes and its edges' classes are computed when first asked (asking again for
 * the state's actions, which are its edges in order) and kept in flat arrays.
 */
export class HardwareFairness implements Fairness {
  readonly count: number;
  private readonly lineClasses: number;
  /** The class of a `wfi` wait completing with nothing pending: never enabled, so never owed. */
  private readonly spurious: number;
  private readonly words: number;
  private readonly classes: Int32Array;
  private readonly enabledBits: Uint32Array;
  private readonly known: Uint8Array;
  /** A state's actions, as `x.enabled` writes them. */
  private readonly out: Int32Array;

  /**
   * @param x the enabled actions of a state, in the model's order (Exploration.enabled: the engine's compiled code
   *   where there is one), and the room they need; and state `id` (Exploration.view), read during the call only
   */
  constructor(
    private readonly m: Machine,
    private readonly x: Pick<Exploration, 'enabled' | 'actionRoom' | 'view'>,
    private readonly graph: Csr,
  ) {
    this.out = new Int32Array(x.actionRoom);
    this.lineClasses = m.cpus * m.program.lines.length;
    this.spurious = this.lineClasses + m.cpus * LEVELS;
    this.count = this.spurious + 1 + (m.userPcs.length > 0 ? this.lineClasses : 0);
    this.words = Math.ceil(this.count / 32);
    this.classes = new Int32Array(graph.targets.length);
    this.enabledBits = new Uint32Array(graph.nodes * this.words);
    this.known = new Uint8Array(graph.nodes);
  }

  lineClass(cpu: number, line: number): number {
    return cpu * this.m.program.lines.length + line;
  }
  /** The line's actions on the CPU in user mode (only in a model with user-mode code). */
  userLineClass(cpu: number, line: number): number {
    return this.spurious + 1 + this.lineClass(cpu, line);
  }
  levelClass(cpu: number, level: number): number {
    return this.lineClasses + cpu * LEVELS + level;
  }
  strong(cls: number): boolean {
    return cls >= this.lineClasses;
  }

  edgeClass(s: number, e: number): number {
    if (this.known[s] === 0) this.learn(s);
    return this.classes[e]!;
  }

  enabled(s: number, cls: number): boolean {
    if (this.known[s] === 0) this.learn(s);
    return (this.enabledBits[s * this.words + (cls >>> 5)]! & (1 << (cls & 31))) !== 0;
  }

  private enable(s: number, cls: number): void {
    this.enabledBits[s * this.words + (cls >>> 5)]! |= 1 << (cls & 31);
  }

  private classOf(state: Uint32Array, action: Action): number {
    const c = actionCpu(action);
    const kind = actionKind(action);
    if (kind === ActionKind.step && this.spuriousWakeUp(state, c)) return this.spurious;
    if (kind === ActionKind.step || kind === ActionKind.maskWait) return this.levelClass(c, this.level(state, c));
    if (this.m.inUserMode(state, c)) return this.userLineClass(c, actionArg(action));
    return this.lineClass(c, actionArg(action));
  }

  /** The interrupt level fairness counts a CPU's steps at: the hardware's nesting (Machine.interruptLevel). */
  private level(state: Uint32Array, c: number): number {
    return Math.min(this.m.interruptLevel(state, c), LEVELS - 1);
  }

  /**
   * CPU `c` is halted in `wfi` with nothing pending: its wait may complete (the Arm ARM allows it at any time) but
   * never has to, so fairness does not force it. A wait a pending line ends is owed like any instruction.
   */
  private spuriousWakeUp(state: Uint32Array, c: number): boolean {
    return this.m.spuriousWakeUp(state, c);
  }

  private mayStop(action: Action): boolean {
    const kind = actionKind(action);
    return (kind === ActionKind.arrive || kind === ActionKind.arriveTake) && !this.m.program.lines[actionArg(action)]!.fair;
  }

  private learn(s: number): void {
    const m = this.m;
    const state = this.x.view(s);
    const actions = this.out;
    const count = this.x.enabled(state, actions);
    const start = this.graph.offsets[s]!;
    if (count !== this.graph.offsets[s + 1]! - start) {
      throw new Error(`internal: state ${s} has ${this.graph.offsets[s + 1]! - start} recorded edges but ${count} enabled actions`);
    }
    const steps = new Uint8Array(m.cpus);
    for (let i = 0; i < count; i++) {
      const action = actions[i]!;
      const cls = this.classOf(state, action);
      this.classes[start + i] = cls;
      if (cls === this.spurious) continue; // taken where a path takes it, owed nowhere
      // An `at most N` source may stop at any time: that it could arrive obliges nothing (its delivery does).
      if (!this.mayStop(action)) this.enable(s, cls);
      if (cls >= this.lineClasses && cls < this.spurious) steps[actionCpu(action)] = 1;
    }
    for (let c = 0; c < m.cpus; c++) {
      // Whether the code at this level has an instruction it can execute, were no interrupt urgent (asked also
      // where an urgent delivery hides the step): the same function that decides the model's step actions.
      const canRun = m.stepKind(state, c) !== null && !this.spuriousWakeUp(state, c);
      // Where no delivery is urgent, the level can run exactly when the model lists a step: a cheap guard
      // against this file and the hardware semantics drifting apart.
      if (m.urgentLine(state, c) < 0 && canRun !== (steps[c] === 1)) {
        throw new Error(`internal: CPU ${c} in state ${s}: step enabledness disagrees with the model`);
      }
      if (canRun) this.enable(s, this.levelClass(c, this.level(state, c)));
    }
    this.known[s] = 1;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Fair components and lassos

/** A set of states that holds a fair cycle, named by its least state (the one breadth-first search met first). */
export interface FairComponent {
  entry: number;
  /** Its states, in no particular order. */
  members: Int32Array;
}

/** How the loop of a lasso meets one fairness class (step and state indices count from the loop's entry). */
export type Discharge =
  | { how: 'taken'; step: number } // the loop's edge `step` (0-based) is of this class
  | { how: 'disabled'; state: number } // weak: disabled in the loop's state `state` (0 = the entry)
  | { how: 'never-enabled' }; // strong: enabled nowhere on the loop

export interface Loop {
  /** States of the loop, entry first; the last action leads back to the entry. */
  states: number[];
  actions: Action[];
  /** Per fairness class, the first place in the loop that meets it. */
  discharges: Discharge[];
}

export class FairCycles {
  private readonly finder: SccFinder;
  private readonly mark: Int32Array;
  private stamp = 0;
  private readonly counts: Int32Array;
  private readonly taken: Uint8Array;

  constructor(
    private readonly graph: Csr,
    private readonly fairness: Fairness,
    private readonly actionOf: (s: number, e: number) => Action,
  ) {
    this.finder = new SccFinder(graph);
    this.mark = new Int32Array(graph.nodes);
    this.counts = new Int32Array(fairness.count);
    this.taken = new Uint8Array(fairness.count);
  }

  /**
   * The fair component of the subgraph `include` whose least state is least, or null when every infinite path
   * inside the subgraph is unfair. Components whose least state is not below `bound` are not tried.
   */
  leastFairComponent(include: Uint8Array, bound = Number.POSITIVE_INFINITY): FairComponent | null {
    let best: FairComponent | null = null;
    const limit = (): number => Math.min(bound, best?.entry ?? Number.POSITIVE_INFINITY);
    const work: Int32Array[] = [];
    const collect = (members: Int32Array, _id: number, nonTrivial: boolean): void => {
      if (nonTrivial && least(members) < limit()) work.push(members.slice());
    };
    this.finder.components(this.graph.nodes, (v) => include[v] === 1, collect);
    while (work.length > 0) {
      const piece = work.pop()!;
      const entry = least(piece);
      if (entry >= limit()) continue;
      const stamp = this.markAll(piece);
      const verdict = this.test(piece, stamp);
      if (verdict === 'fair') {
        best = { entry, members: piece };
      } else if (verdict !== 'unfair') {
        // Drop the states where a strong class is enabled but never taken inside, and try what is left.
        const rest = piece.filter((s) => !verdict.some((cls) => this.fairness.enabled(s, cls)));
        const restStamp = this.markAll(rest);
        this.finder.components(rest, (v) => this.mark[v] === restStamp, collect);
      }
    }
    return best;
  }

  private markAll(members: Int32Array): number {
    const stamp = ++this.stamp;
    for (let i = 0; i < members.length; i++) this.mark[members[i]!] = stamp;
    return stamp;
  }

  /** Emerson–Lei: 'fair', 'unfair' (no cycle within), or the strong classes that must be cut out. */
  private test(members: Int32Array, stamp: number): 'fair' | 'unfair' | number[] {
    const { offsets, targets } = this.graph;
    const f = this.fairness;
    const { counts, taken } = this;
    counts.fill(0);
    taken.fill(0);
    for (let i = 0; i < members.length; i++) {
      if ((i & 4095) === 0) beat();
      const s = members[i]!;
      for (let cls = 0; cls < f.count; cls++) if (f.enabled(s, cls)) counts[cls]!++;
      for (let e = offsets[s]!; e < offsets[s + 1]!; e++) {
        const t = targets[e]!;
        if (t >= 0 && this.mark[t] === stamp) taken[f.edgeClass(s, e)] = 1;
      }
    }
    const cut: number[] = [];
    for (let cls = 0; cls < f.count; cls++) {
      if (taken[cls] === 1) continue;
      if (!f.strong(cls) && counts[cls] === members.length) return 'unfair';
      if (f.strong(cls) && counts[cls]! > 0) cut.push(cls);
    }
    return cut.length === 0 ? 'fair' : cut;
  }

  /**
   * A fair loop through the component's entry: walks breadth-first (each leg shortest) to the nearest edge or
   * state that meets a class not met yet, until every weak class is met and every strong class enabled on the
   * way is taken, then back to the entry; again if the way back enabled a strong class not taken yet.
   */
  loop(found: FairComponent): Loop {
    const { offsets, targets } = this.graph;
    const f = this.fairness;
    const entry = found.entry;
    const stamp = this.markAll(found.members);
    const inside = (t: number): boolean => t >= 0 && this.mark[t] === stamp;
    const discharges: (Discharge | null)[] = Array.from({ length: f.count }, (_, cls) => (f.strong(cls) ? { how: 'never-enabled' } : null));
    const needed = new Uint8Array(f.count); // strong classes enabled on the loop and not taken yet
    let open = 0;
    for (const d of discharges) if (d === null) open++;
    const states: number[] = [entry];
    const actions: Action[] = [];

    const arrive = (s: number): void => {
      for (let cls = 0; cls < f.count; cls++) {
        const on = f.enabled(s, cls);
        if (!f.strong(cls) && discharges[cls] === null && !on) {
          discharges[cls] = { how: 'disabled', state: states.length - 1 };
          open--;
        } else if (f.strong(cls) && on && discharges[cls]!.how === 'never-enabled' && needed[cls] === 0) {
          needed[cls] = 1;
          open++;
        }
      }
    };
    const meets = (s: number, e: number): boolean => {
      const cls = f.edgeClass(s, e);
      return f.strong(cls) ? needed[cls] === 1 : discharges[cls] === null;
    };
    const meetsHere = (s: number): boolean => {
      for (let cls = 0; cls < f.count; cls++) if (!f.strong(cls) && discharges[cls] === null && !f.enabled(s, cls)) return true;
      return false;
    };
    const take = (s: number, e: number): void => {
      const cls = f.edgeClass(s, e);
      if (meets(s, e)) {
        discharges[cls] = { how: 'taken', step: actions.length };
        needed[cls] = 0;
        open--;
      }
      actions.push(this.actionOf(s, e));
      states.push(targets[e]!);
      arrive(targets[e]!);
    };

    // Breadth-first inside the component: the edges of a shortest path from `from` to the first edge `stop`
    // accepts, or to the first state `reached` accepts.
    const path = (from: number, stop: (s: number, e: number) => boolean, reached: (s: number) => boolean): number[] => {
      const parentEdge = new Map<number, number>([[from, -1]]);
      const sourceOf = new Map<number, number>();
      const back = (s: number): number[] => {
        const out: number[] = [];
        for (let at = s; at !== from; at = sourceOf.get(parentEdge.get(at)!)!) out.push(parentEdge.get(at)!);
        return out.reverse();
      };
      const queue = [from];
      for (let head = 0; head < queue.length; head++) {
        const s = queue[head]!;
        for (let e = offsets[s]!; e < offsets[s + 1]!; e++) {
          const t = targets[e]!;
          if (!inside(t)) continue;
          sourceOf.set(e, s);
          if (stop(s, e)) return [...back(s), e];
          if (parentEdge.has(t)) continue;
          parentEdge.set(t, e);
          if (reached(t)) return back(t);
          queue.push(t);
        }
      }
      throw new Error('internal: a fair component has no path to what makes its loop fair');
    };
    const follow = (edges: number[]): void => {
      for (const e of edges) take(states[states.length - 1]!, e);
    };
    const here = (): number => states[states.length - 1]!;

    arrive(entry);
    for (;;) {
      while (open > 0) follow(path(here(), meets, meetsHere));
      if (actions.length > 0 && here() === entry) break;
      follow(path(here(), (_s, e) => targets[e] === entry, () => false));
      if (open === 0) break;
    }
    states.pop(); // the last state is the entry again
    return { states, actions, discharges: discharges as Discharge[] };
  }
}

function least(members: Int32Array): number {
  let min = members[0]!;
  for (let i = 1; i < members.length; i++) if (members[i]! < min) min = members[i]!;
  return min;
}
