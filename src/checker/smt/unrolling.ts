// A path of the symbolic system unrolled in one incremental solver: states S_0..S_L and actions C_0..C_{L-1}.
// Used both for bounded model checking (S_0 is the initial state) and for the induction step (S_0 is any
// state). Every interior step is a real, non-fatal transition, and the states before the last are pairwise
// distinct (a shortest path to anything is simple, so this loses no shortest counterexample, and it is the
// simple-path constraint that makes k-induction complete). What depends on the query (the last step may be
// fatal; the last state is distinct and satisfies the invariant only when that step is not fatal) is
// switched on by assumption literals.

import type { Action } from '../../ir/model.js';
import type { B, BV } from './sym.js';
import type { StepVars, SymbolicSystem } from './system.js';
import type { Target } from './targets.js';
import type { Model } from 'z3-solver';
import { bitVectorSolver, checkBy, withModel, type SatResult, type Z3, type Z3Solver } from './z3.js';

export interface DecodedPath {
  /** states.length = actions.length + 1. After a fatal last step the last state is whatever Z3 chose. */
  states: Uint32Array[];
  actions: Action[];
}

let unrollings = 0;

export class Unrolling {
  readonly solver: Z3Solver;
  private readonly steps: StepVars[] = [];
  private readonly prefix: string;
  /** The solver constrains transitions 0..built-1. */
  private built = 0;
  private literals = 0;
  private readonly nf: B[] = [];
  private readonly distinct: B[] = [];
  private readonly invariantAt: B[] = [];
  /** The conditions behind nf, distinct and invariantAt, for queries that need them inside a disjunction. */
  private readonly realCond: B[] = [];
  private readonly notTarget = new Map<string, B>();

  constructor(
    readonly ctx: Z3,
    readonly sys: SymbolicSystem,
    /** The initial states, or null for a path from any state. */
    readonly fromInit: Uint32Array[] | null,
    /** A proved invariant over the template pre-state, assumed of every state, or null. */
    readonly invariant: B | null,
    /**
     * Whether interior states are always pairwise distinct. The induction step needs it; a search from the
     * initial state does not (its first hit is shortest anyway, and distinctness constraints, quadratic in the
     * length, slow it down) and only assumes them to ask whether a simple path of some length exists.
     */
    readonly simple: boolean,
  ) {
    this.solver = bitVectorSolver(ctx);
    this.prefix = `u${unrollings++}_`;
    this.steps.push(sys.stepVars(this.prefix, 0));
    if (fromInit !== null) this.solver.add(ctx.Or(...fromInit.map((s) => sys.equals(this.steps[0]!.state, s))));
    if (invariant !== null) this.solver.add(this.invAt(0));
  }

  release(): void {
    this.solver.release();
  }

  /** A fresh literal that implies `cond`. */
  literal(cond: B): B {
    const lit = this.ctx.Bool.const(`${this.prefix}lit${this.literals++}`);
    this.solver.add(this.ctx.Implies(lit, cond));
    return lit;
  }

  private invAt(j: number): B {
    return this.sys.at(this.invariant!, this.steps[j]!);
  }

  /** Builds the path up to length L (states S_0..S_L); OutOfBudget when the run's budget is spent meanwhile. */
  extendTo(L: number): void {
    const sys = this.sys;
    while (this.built < L) {
      sys.budget.check();
      const j = this.built;
      const from = this.steps[j]!;
      const to = sys.stepVars(this.prefix, j + 1);
      this.steps.push(to);
      this.solver.add(sys.at(sys.moves, from, to.state));
      const nf = this.ctx.Not(sys.at(sys.fatal, from));
      const me = sys.packed(to.state);
      // An unrolling stopped part way (OutOfBudget) ends the search that owns it and is not used again.
      const distinct = this.ctx.And(
        ...this.steps.slice(0, j + 1).map((s) => {
          sys.budget.check();
          return me.neq(sys.packed(s.state));
        }),
      );
      const inv = this.invariant === null ? this.ctx.Bool.val(true) : this.invAt(j + 1);
      this.nf.push(this.literal(nf));
      this.distinct.push(this.literal(distinct));
      this.invariantAt.push(this.literal(inv));
      this.realCond.push(this.simple ? this.ctx.And(nf, distinct, inv) : this.ctx.And(nf, inv));
      // Step j - 1 is now interior: real, non-fatal, its target within the invariant (and distinct).
      if (j >= 1) this.solver.add(this.nf[j - 1]!, this.invariantAt[j - 1]!);
      if (j >= 1 && this.simple) this.solver.add(this.distinct[j - 1]!);
      this.built++;
    }
  }

  /** Assumptions under which S_L is a real state of the path: the last step is not fatal (and S_L is new). */
  lastStateReal(L: number): B[] {
    if (L === 0) return [];
    return this.simple ? [this.nf[L - 1]!, this.distinct[L - 1]!, this.invariantAt[L - 1]!] : [this.nf[L - 1]!, this.invariantAt[L - 1]!];
  }

  /** Assumptions under which S_0..S_L is a simple path of real steps. */
  simplePath(L: number): B[] {
    return [...this.lastStateReal(L), ...this.distinct.slice(0, L)];
  }

  /** The target's condition at length L of the path (its last state, or its last step). */
  targetAt(t: Target, L: number): B {
    if (t.kind === 'state') return this.sys.at(t.cond, this.steps[L]!);
    if (L === 0) return this.ctx.Bool.val(false);
    return this.sys.at(t.cond, this.steps[L - 1]!);
  }

  /** Assumptions that make the query "t is reached at length L". */
  reach(t: Target, L: number): B[] {
    this.extendTo(L);
    const at = this.literal(this.targetAt(t, L));
    return t.kind === 'state' ? [...this.lastStateReal(L), at] : [at];
  }

  /**
   * Assumptions that make the query "one of `targets` is reached at length L" (a state target needs S_L to be
   * real; a transition target does not).
   */
  reachAny(targets: Target[], L: number): B[] {
    if (targets.length === 1) return this.reach(targets[0]!, L);
    this.extendTo(L);
    const states = targets.filter((t) => t.kind === 'state').map((t) => this.targetAt(t, L));
    const steps = targets.filter((t) => t.kind === 'transition').map((t) => this.targetAt(t, L));
    const real = L === 0 ? this.ctx.Bool.val(true) : this.realCond[L - 1]!;
    const stateHit = states.length === 0 ? this.ctx.Bool.val(false) : this.ctx.And(real, this.ctx.Or(...states));
    return [this.literal(this.ctx.Or(stateHit, ...steps))];
  }

  /** After a satisfiable reachAny: the targets the model reaches at length L. */
  hits(targets: Target[], L: number): Target[] {
    return withModel(this.solver, (model) => {
      const real = L === 0 || this.ctx.isTrue(model.eval(this.realCond[L - 1]!, true));
      return targets.filter((t) => (t.kind === 'transition' || real) && this.ctx.isTrue(model.eval(this.targetAt(t, L), true)));
    });
  }

  /** A literal: none of `targets` is reached at length j (for the induction hypothesis). */
  avoid(targets: Target[], j: number): B {
    const key = `${targets.map((t) => t.key).join('|')}@${j}`;
    let lit = this.notTarget.get(key);
    if (lit === undefined) {
      lit = this.literal(this.ctx.Not(this.ctx.Or(...targets.map((t) => this.targetAt(t, j)))));
      this.notTarget.set(key, lit);
    }
    return lit;
  }

  check(assumptions: B[], deadline: number | null): Promise<SatResult> {
    return checkBy(this.ctx, this.solver, deadline, assumptions);
  }

  /** The path of length L in the last model. */
  decode(L: number): DecodedPath {
    return withModel(this.solver, (model) => this.decodeIn(model, L));
  }

  private decodeIn(model: Model<'main'>, L: number): DecodedPath {
    const sys = this.sys;
    const states = this.steps.slice(0, L + 1).map((step) => {
      const words = new Uint32Array(sys.model.layout.words);
      step.state.forEach((v: BV, i) => {
        const slot = sys.slots[i]!;
        const value = Number(model.eval(v, true).value());
        words[slot.word] = (words[slot.word]! | (slot.bits === 32 ? value : value << slot.shift)) >>> 0;
      });
      return words;
    });
    const actions = this.steps.slice(0, L).map((step) => {
      const index = Number(model.eval(step.choice, true).value());
      const action = sys.actions[index];
      if (action === undefined) throw new Error(`internal: Z3 chose action index ${index} of ${sys.actions.length}`);
      return action;
    });
    return { states, actions };
  }
}
