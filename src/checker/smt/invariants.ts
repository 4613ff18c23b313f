// Strengthening invariants for k-induction, so that the user does not have to write them. The explicit state
// space is explored breadth-first up to a budget.
// - Explored completely: the reachable set itself (a decision diagram over the slots) is the invariant, once Z3
//   proves it closed under the symbolic relation. That re-checks the explicit result with an independent
//   encoding; it does not generalize it.
// - Cut by the budget: candidates generalized from what was seen (the values each slot takes, what each slot
//   holds whenever a CPU is at a given pc, slots that are always equal) and the model's own `invariant` lines go
//   through Houdini's iteration, which keeps the largest subset that is inductive (holds initially and is
//   preserved by every non-fatal step): whatever survives holds in every reachable state.

import type { Program } from '../../ir/ir.js';
import type { Model } from '../../ir/model.js';
import { evaluate, truth } from '../../hw/expr.js';
import { OutOfBudget, type Budget } from './budget.js';
import type { B, BV } from './sym.js';
import { slotValue, type SymbolicSystem } from './system.js';
import { EngineDisagreement } from './replay.js';
import { buildModel } from '../../hw/build.js';
import { learnCandidates, type SmallConfiguration } from './learn.js';
import { bitVectorSolver, checkBy, withModel, type Z3 } from './z3.js';

export interface Candidate {
  name: string;
  /** Over the system's pre-state template. */
  cond: B;
  /** Indexes of the slots it reads; null: any. An action that writes none of them preserves it. */
  slots: number[] | null;
  /**
   * Candidates of one orbit are images of one another under a permutation of interchangeable threads (learn.ts):
   * the step relation commutes with those permutations, so when every candidate assumed is of an orbit, one
   * member is preserved by every step exactly when all are. Houdini then checks the representative's post-state
   * only, and drops the orbit together (houdiniWhole).
   */
  orbit?: { key: string; representative: boolean };
}

/** States reachable from the initial states, breadth-first, not past a fatal step; at most `limit`. */
export function exploreStates(model: Model, limit: number, budget: Budget): { states: Uint32Array[]; complete: boolean } {
  const seen = new Set<string>();
  const states: Uint32Array[] = [];
  const admit = (s: Uint32Array): void => {
    const key = s.join(',');
    if (seen.has(key)) return;
    seen.add(key);
    states.push(s);
  };
  for (const s of model.initialStates()) admit(s);
  for (let i = 0; i < states.length; i++) {
    if (states.length >= limit || budget.spent()) return { states, complete: false };
    for (const a of model.actions(states[i]!)) {
      const { next, events } = model.successor(states[i]!, a);
      if (!events.some((e) => e.kind === 'violation' && e.fatal)) admit(next);
    }
  }
  return { states, complete: true };
}

/** Most values a "slot is one of these" candidate lists (pcs: any number). */
const MAX_SET = 64;
/** Most values an implied set may have. */
const MAX_IMPLIED = 4;
/**
 * Candidates generalized from explored states (a partial exploration: what was seen, not all there is).
 * OutOfBudget when the budget is spent meanwhile: the work grows with the slots times the states.
 */
export function mineCandidates(sys: SymbolicSystem, states: Uint32Array[], budget: Budget): Candidate[] {
  const { ctx, slots, pre } = sys;
  const out: Candidate[] = [];
  const val = (i: number, v: number): BV => ctx.BitVec.val(v, slots[i]!.bits);
  const inSet = (i: number, values: number[]): B => (values.length === 1 ? pre[i]!.eq(val(i, values[0]!)) : ctx.Or(...values.map((v) => pre[i]!.eq(val(i, v)))));
  const columns = slots.map((slot) => {
    budget.check();
    return states.map((s) => slotValue(s, slot));
  });
  const sets = columns.map((col) => [...new Set(col)].sort((a, b) => a - b));

  const pcSlots = sys.model.layout.cpus.map((cpu) => slots.indexOf(cpu.pc));
  sets.forEach((values, i) => {
    budget.check();
    const name = slots[i]!.name;
    if (values.length <= MAX_SET || pcSlots.includes(i)) out.push({ name: `${name} in {${values.join(',')}}`, cond: inSet(i, values), slots: [i] });
    else {
      const cond = ctx.And(pre[i]!.uge(val(i, values[0]!)), pre[i]!.ule(val(i, values[values.length - 1]!)));
      out.push({ name: `${name} in ${values[0]}..${values[values.length - 1]}`, cond, slots: [i] });
    }
  });

  // What each slot holds while a CPU is at a given pc.
  const implications = (keys: number[]): void => {
    const groups = new Map<string, number[]>();
    states.forEach((s, n) => {
      const k = keys.map((i) => columns[i]![n]).join(',');
      const list = groups.get(k);
      if (list === undefined) groups.set(k, [n]);
      else list.push(n);
    });
    for (const [k, rows] of groups) {
      budget.check();
      const values = k.split(',').map(Number);
      const at = ctx.And(...keys.map((i, j) => pre[i]!.eq(val(i, values[j]!))));
      const label = keys.map((i, j) => `${slots[i]!.name} = ${values[j]}`).join(' & ');
      slots.forEach((slot, i) => {
        if (keys.includes(i)) return;
        const implied = [...new Set(rows.map((n) => columns[i]![n]!))].sort((a, b) => a - b);
        if (implied.length >= sets[i]!.length || implied.length > MAX_IMPLIED) return;
        out.push({ name: `${label} -> ${slot.name} in {${implied.join(',')}}`, cond: ctx.Implies(at, inSet(i, implied)), slots: [...keys, i] });
      });
    }
  };
  for (const k of pcSlots) implications([k]);

  // Slots of equal width that are always equal (and not constant).
  for (let i = 0; i < slots.length; i++) {
    budget.check();
    if (sets[i]!.length < 2) continue;
    for (let j = i + 1; j < slots.length; j++) {
      if (slots[j]!.bits !== slots[i]!.bits || sets[j]!.length < 2) continue;
      if (columns[i]!.every((v, n) => v === columns[j]![n])) {
        out.push({ name: `${slots[i]!.name} = ${slots[j]!.name}`, cond: pre[i]!.eq(pre[j]!), slots: [i, j] });
      }
    }
  }
  return out;
}

/**
 * `states` as a multi-valued decision diagram over the slots, equal sub-diagrams built once: nodes are
 * hash-consed by (depth, value -> child) before any Z3 term is made. OutOfBudget when the budget is spent
 * meanwhile.
 */
export function reachableSet(sys: SymbolicSystem, states: Uint32Array[], budget: Budget): B {
  const { ctx, pre, slots } = sys;
  const columns = slots.map((slot) => {
    budget.check();
    return states.map((s) => slotValue(s, slot));
  });
  const sets = columns.map((col) => [...new Set(col)]);
  // Layout order keeps each CPU's, thread's and lock's slots together, which shares sub-diagrams best (on the
  // 004 redesign, less than half the nodes of ordering by number of values).
  const order = slots.map((_, i) => i).filter((i) => sets[i]!.length > 1);
  const constants = slots.map((_, i) => i).filter((i) => sets[i]!.length === 1);
  // Node 0 is "true" (the end of every row); node n > 0 is [depth, value, child, value, child, ...].
  const nodes: number[][] = [[]];
  const ids = new Map<string, number>();
  const build = (depth: number, rows: number[]): number => {
    if (depth === order.length) return 0;
    budget.check();
    const column = columns[order[depth]!]!;
    const byValue = new Map<number, number[]>();
    for (const r of rows) {
      const list = byValue.get(column[r]!);
      if (list === undefined) byValue.set(column[r]!, [r]);
      else list.push(r);
    }
    const node = [depth];
    for (const [v, group] of [...byValue].sort((a, b) => a[0] - b[0])) node.push(v, build(depth + 1, group));
    const key = node.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      id = nodes.length;
      nodes.push(node);
      ids.set(key, id);
    }
    return id;
  };
  const root = build(0, states.map((_, r) => r));
  if (process.env.SCHEDCHECK_DEBUG_SMT) process.stderr.write(`reachable-set diagram: ${nodes.length} nodes ${Date.now()}\n`);
  // Children have smaller ids than their parents: build the terms bottom-up.
  // Every call into Z3 crosses into WebAssembly: the tests "slot = value" are made once each.
  const tests = new Map<number, B>();
  const testOf = (slot: number, value: number): B => {
    const key = slot * 2 ** 32 + value;
    let test = tests.get(key);
    if (test === undefined) tests.set(key, (test = pre[slot]!.eq(ctx.BitVec.val(value, slots[slot]!.bits))));
    return test;
  };
  const terms: B[] = [ctx.Bool.val(true)];
  for (let id = 1; id < nodes.length; id++) {
    budget.check();
    const [depth, ...pairs] = nodes[id]!;
    const slot = order[depth!]!;
    const branches: B[] = [];
    for (let k = 0; k < pairs.length; k += 2) {
      const test = testOf(slot, pairs[k]!);
      branches.push(pairs[k + 1] === 0 ? test : ctx.And(test, terms[pairs[k + 1]!]!));
    }
    terms.push(branches.length === 1 ? branches[0]! : ctx.Or(...branches));
  }
  const fixed = constants.map((i) => pre[i]!.eq(ctx.BitVec.val(sets[i]![0]!, slots[i]!.bits)));
  return ctx.And(...fixed, terms[root]!);
}

/** The model's `invariant` lines as candidates (an invariant that cannot be evaluated is false). */
export function declaredCandidates(sys: SymbolicSystem): Candidate[] {
  const { encoder, sym } = sys;
  return sys.model.program.invariants.map((inv) => {
    const s = encoder.state(sys.preVals);
    const holds = truth(encoder.machine, evaluate(encoder.machine, s, -1, inv.cond));
    return { name: `invariant ${inv.name}`, cond: sym.bool(sym.and(s.alive, holds)), slots: null };
  });
}

/**
 * Houdini: drops candidates until the rest is inductive. Returns the survivors, or null when the deadline came
 * first (a set that was not shown inductive proves nothing). The step is checked one action at a time, and for
 * each action only against the candidates that read a slot it may write: small queries, and an action that
 * fails is re-checked only after candidates were dropped.
 */
export async function houdini(ctx: Z3, sys: SymbolicSystem, initial: Uint32Array[], candidates: Candidate[], budget: Budget): Promise<Candidate[] | null> {
  const deadline = budget.deadline;
  // Candidates must hold in every initial state.
  const initially = await holdInitially(ctx, sys, initial, candidates, deadline);
  if (initially === null) return null;
  let alive: Candidate[] = initially;
  const solver = bitVectorSolver(ctx);
  try {
    const guard = new Map(alive.map((c, i) => [c, ctx.Bool.const(`houdini_${i}`)]));
    for (const c of alive) solver.add(ctx.Implies(guard.get(c)!, c.cond));
    const actions = sys.encodings.map((e, i) => {
      budget.check();
      const written = sys.slots.map((_, j) => j).filter((j) => e.next[j] !== sys.preVals[j]);
      const pairs = written.map((j): [BV, BV] => [sys.pre[j]!, sys.nextAt(i, j)]);
      const step = ctx.Bool.const(`houdini_step_${i}`);
      solver.add(ctx.Implies(step, ctx.And(sys.sym.bool(e.enabled), ctx.Not(sys.sym.bool(e.fatal)))));
      return { written: new Set(written), pairs, step, post: new Map<Candidate, B>() };
    });
    const touches = (c: Candidate, written: Set<number>): boolean => c.slots === null || c.slots.some((j) => written.has(j));
    let queries = 0;
    let work = actions.map((_, i) => i);
    while (work.length > 0) {
      const i = work.shift()!;
      const a = actions[i]!;
      const relevant = alive.filter((c) => touches(c, a.written));
      if (relevant.length === 0) continue;
      for (const c of relevant) {
        budget.check();
        if (!a.post.has(c)) a.post.set(c, ctx.substitute(c.cond, ...a.pairs) as B);
      }
      const broken = ctx.Bool.const(`houdini_q${queries++}`);
      solver.add(ctx.Implies(broken, ctx.Or(...relevant.map((c) => ctx.Not(a.post.get(c)!)))));
      const r = await checkBy(ctx, solver, deadline, [...alive.map((c) => guard.get(c)!), a.step, broken]);
      if (r === 'unknown') return null;
      if (r === 'unsat') continue;
      const dropped = withModel(solver, (m) => new Set(relevant.filter((c) => !ctx.isTrue(m.eval(a.post.get(c)!, true)))));
      alive = alive.filter((c) => !dropped.has(c));
      // Weaker assumptions: every action must be checked again (this one first: it may fail again).
      work = [i, ...actions.map((_, k) => k).filter((k) => k !== i)];
    }
    return alive;
  } finally {
    solver.release();
  }
}

/**
 * Houdini, one query over the whole transition relation per round: a step from a state satisfying every candidate
 * left that breaks one of them drops every candidate it breaks. For candidates that each read most slots (learned
 * views), where checking action by action repeats the same large formulas in every query.
 */
export async function houdiniWhole(
  ctx: Z3,
  sys: SymbolicSystem,
  initial: Uint32Array[],
  candidates: Candidate[],
  deadline: number | null,
  /** Told after each round that drops candidates: the names of those a step broke, and how many are left. */
  onRound?: (broken: string[], left: number) => void,
  /**
   * Assumed of the pre-state when every candidate is of an orbit: a symmetry breaking constraint that changes no
   * round's answer for the representatives (learn.ts).
   */
  breaking?: B,
): Promise<Candidate[] | null> {
  const initially = await holdInitially(ctx, sys, initial, candidates, deadline);
  if (initially === null) return null;
  // An orbit stands or falls whole: a member an initial state breaks takes its orbit with it (the initial states
  // need not be symmetric).
  const refuted = new Set(candidates.filter((c) => !initially.includes(c)).flatMap((c) => (c.orbit === undefined ? [] : [c.orbit.key])));
  let alive: Candidate[] = initially.filter((c) => c.orbit === undefined || !refuted.has(c.orbit.key));
  // Checking representatives only, and the symmetry breaking, need every candidate assumed to be closed under the
  // renamings: a member of an orbit each (a model's `invariant` line may name one thread).
  const symmetric = alive.every((c) => c.orbit !== undefined);
  const solver = bitVectorSolver(ctx);
  try {
    const pairs = sys.pre.map((v, i): [BV, BV] => [v, sys.post[i]!]);
    const guard = new Map(alive.map((c, i) => [c, ctx.Bool.const(`houdini_${i}`)]));
    const post = new Map(alive.map((c) => [c, ctx.substitute(c.cond, ...pairs) as B]));
    for (const c of alive) solver.add(ctx.Implies(guard.get(c)!, c.cond));
    solver.add(sys.moves, ctx.Not(sys.fatal));
    if (breaking !== undefined && symmetric) solver.add(breaking);
    for (let round = 0; alive.length > 0; round++) {
      const broken = ctx.Bool.const(`houdini_round${round}`);
      const checked = symmetric ? alive.filter((c) => c.orbit!.representative) : alive;
      solver.add(ctx.Implies(broken, ctx.Or(...checked.map((c) => ctx.Not(post.get(c)!)))));
      const r = await checkBy(ctx, solver, deadline, [...alive.map((c) => guard.get(c)!), broken]);
      if (r === 'unknown') return null;
      if (r === 'unsat') break;
      const dropped = withModel(solver, (m) => new Set(checked.filter((c) => !ctx.isTrue(m.eval(post.get(c)!, true)))));
      const orbits = new Set([...dropped].flatMap((c) => (c.orbit === undefined ? [] : [c.orbit.key])));
      alive = alive.filter((c) => !dropped.has(c) && (c.orbit === undefined || !orbits.has(c.orbit.key)));
      onRound?.([...dropped].map((c) => c.name), alive.length);
    }
    return alive;
  } finally {
    solver.release();
  }
}

/** The candidates that hold in every initial state, or null when the deadline came first. */
async function holdInitially(ctx: Z3, sys: SymbolicSystem, initial: Uint32Array[], candidates: Candidate[], deadline: number | null): Promise<Candidate[] | null> {
  let alive = candidates;
  for (const state of initial) {
    const init = bitVectorSolver(ctx);
    try {
      init.add(sys.equals(sys.pre, state));
      if ((await checkBy(ctx, init, deadline)) !== 'sat') return null;
      alive = withModel(init, (m) => alive.filter((c) => ctx.isTrue(m.eval(c.cond, true))));
    } finally {
      init.release();
    }
  }
  return alive;
}

export interface InvariantOptions {
  deadline: number | null;
  mineStates?: number;
  /** Smaller configurations of the same model to learn per-thread candidates from (learn.ts). */
  learnFrom?: Program[];
}

/** Without a deadline, the search for invariants still stops after this long. */
const DEFAULT_BUDGET_MS = 120_000;

export const DEFAULT_MINE_STATES = 300_000;

/** What the induction step may assume, and where it came from. */
export interface ProvedInvariant {
  cond: B;
  /** `reachable-set`: the explicit reachable set, proved closed; `houdini`: the inductive subset of candidates. */
  source: 'reachable-set' | 'houdini';
  /** Number of conjuncts (1 for the reachable set). */
  size: number;
  /** Houdini kept candidates learned from these smaller configurations (their constants). */
  learnedFrom?: Record<string, number>[];
}

/**
 * The strongest invariant this engine can prove, or null. With every reachable state explored (within the
 * budget), that is the reachable set itself: Z3 proves it closed under the symbolic relation (one query), which
 * re-checks the explicit result independently; were it not closed, the two engines would disagree, and that is
 * an internal error. Otherwise candidates generalized from the explored states and the model's `invariant`
 * lines go through Houdini.
 */
export async function provedInvariant(ctx: Z3, sys: SymbolicSystem, options: InvariantOptions): Promise<ProvedInvariant | null> {
  try {
    return await proveInvariant(ctx, sys, options);
  } catch (error) {
    // The engine's watchdog interrupts Z3 at the deadline or the memory limit, wherever it is: inside a model
    // evaluation as well as a check. No invariant then, as when the deadline comes between two checks, or
    // while terms are built (OutOfBudget).
    if (error instanceof OutOfBudget || (error instanceof Error && error.message === 'canceled')) return null;
    throw error;
  }
}

async function proveInvariant(ctx: Z3, sys: SymbolicSystem, options: InvariantOptions): Promise<ProvedInvariant | null> {
  const limit = options.mineStates ?? DEFAULT_MINE_STATES;
  const initial = sys.model.initialStates();
  // At most half the time left: the searches need the rest (with a strong invariant, little of it).
  const now = Date.now();
  const deadline = options.deadline === null ? now + DEFAULT_BUDGET_MS : now + Math.max(0, options.deadline - now) / 2;
  const budget = sys.budget.until(deadline);
  const explored = limit > 0 ? exploreStates(sys.model, limit, budget) : { states: initial, complete: false };
  if (explored.complete) {
    const cond = reachableSet(sys, explored.states, budget);
    const closed = await isClosed(ctx, sys, cond, deadline);
    if (closed === null) return null;
    if (!closed) throw new EngineDisagreement('a step of the symbolic relation leaves the explicit reachable set');
    return { cond, source: 'reachable-set', size: 1 };
  }
  if (process.env.SCHEDCHECK_DEBUG_SMT) process.stderr.write(`invariant search starts ${Date.now()}\n`);
  const learned = options.learnFrom === undefined || options.learnFrom.length === 0 ? null : learnFrom(sys, options.learnFrom, budget);
  const candidates = [...declaredCandidates(sys), ...(limit > 0 ? mineCandidates(sys, explored.states, budget) : []), ...(learned?.candidates ?? [])];
  // Learned views each read every slot: one query over the whole relation per round beats one per action.
  const debug = process.env.SCHEDCHECK_DEBUG_SMT ? (broken: string[], left: number): void => void process.stderr.write(`houdini: broken ${broken.join('; ')}; ${left} left ${Date.now()}\n`) : undefined;
  if (debug !== undefined) process.stderr.write(`houdini: ${candidates.length} candidates (${learned?.candidates.length ?? 0} learned, ${learned?.views ?? 0} views) ${Date.now()}\n`);
  const proved = learned === null ? await houdini(ctx, sys, initial, candidates, budget) : await houdiniWhole(ctx, sys, initial, candidates, deadline, debug, learned.breaking);
  if (process.env.SCHEDCHECK_DEBUG_SMT) process.stderr.write(`houdini: ${proved === null ? 'out of time' : `${proved.length} survive`} ${Date.now()}\n`);
  if (proved === null || proved.length === 0) return null;
  const fromLearning = learned !== null && proved.some((c) => learned.candidates.includes(c));
  return { cond: ctx.And(...proved.map((c) => c.cond)), source: 'houdini', size: proved.length, ...(fromLearning ? { learnedFrom: learned.from } : {}) };
}

/** Most states a smaller configuration may have: its exploration must be complete. */
const MAX_SMALL_STATES = 200_000;

/** Candidates learned from the complete explorations of `small`, or null when one is not complete. */
function learnFrom(sys: SymbolicSystem, small: Program[], budget: Budget): ReturnType<typeof learnCandidates> {
  const explored: SmallConfiguration[] = [];
  for (const program of small) {
    const { states, complete } = exploreStates(buildModel(program), MAX_SMALL_STATES, budget);
    if (!complete) return null;
    explored.push({ program, states });
  }
  return learnCandidates(sys, explored);
}

/** Whether every non-fatal step from a state satisfying `cond` leads to one that does (null: out of time). */
async function isClosed(ctx: Z3, sys: SymbolicSystem, cond: B, deadline: number | null): Promise<boolean | null> {
  const solver = bitVectorSolver(ctx);
  try {
    const pairs: [BV, BV][] = sys.pre.map((v, i) => [v, sys.post[i]!]);
    solver.add(cond, sys.moves, ctx.Not(sys.fatal), ctx.Not(ctx.substitute(cond, ...pairs) as B));
    const r = await checkBy(ctx, solver, deadline);
    return r === 'unknown' ? null : r === 'unsat';
  } finally {
    solver.release();
  }
}
