// Bounded model checking and k-induction over a set of property plans, length by length. At each length L every
// target still needed is searched at exactly that length from the initial state (so the first hit is a
// shortest one, as breadth-first search finds it); then, with k-induction on, two proofs are tried:
// - exhaustion: no simple path of length L exists from the initial state, so every reachable state and step has
//   been searched: every target not reached is unreachable;
// - induction: no simple path of L steps from *any* state (within the proved invariants) avoids the target for
//   L - 1 steps and then reaches it, which with the searches at lengths 0..L proves it unreachable.

import type { PropertyId } from '../../ir/ir.js';
import { OutOfBudget } from './budget.js';
import type { B } from './sym.js';
import type { SymbolicSystem } from './system.js';
import type { PropertyPlan, Target } from './targets.js';
import { Unrolling, type DecodedPath } from './unrolling.js';
import type { Z3 } from './z3.js';

export type Outcome =
  | { status: 'reached'; length: number; path: DecodedPath }
  | { status: 'unreachable'; k: number; how: 'induction' | 'exhausted' }
  | { status: 'open' };

export type Decision =
  | { verdict: 'violated'; length: number; targets: Target[] }
  | { verdict: 'holds'; k: number; how: 'induction' | 'exhausted' };

export interface SearchOptions {
  maxDepth: number;
  /** Date.now() value after which the search stops, or null. */
  deadline: number | null;
  kInduction: boolean;
  /** Proved invariant over the template pre-state, assumed by the induction step; null for none. */
  invariant: B | null;
  /**
   * The invariant is exactly the reachable set (an explicit search was complete and Z3 proved the set closed).
   * Then an induction step that fails for one target shows a reachable state where it is hit: no longer window
   * can prove it, and bounded model checking will find it, so it is not tried again. This only saves queries;
   * it decides nothing.
   */
  invariantExact?: boolean;
  /**
   * Asked before every unrolling and query: true ends the search as at the deadline (check.ts: the memory
   * watchdog). Building an unrolling is JavaScript that no Z3 interrupt reaches, so the clock is also read there.
   */
  stop?: () => boolean;
}

export interface SearchResult {
  outcomes: Map<string, Outcome>;
  decisions: Map<PropertyId, Decision>;
  /** When each decision was made (Date.now()): a property's time to its verdict, which ends its search. */
  decidedAt: Map<PropertyId, number>;
  /** The largest length at which every needed target was searched. */
  depth: number;
  stop: 'max-depth' | 'timeout' | null;
}

/** The plan's verdict from what is known of its targets, or null while it is open. */
export function decide(plan: PropertyPlan, outcomes: Map<string, Outcome>): Decision | null {
  const of = (t: Target): Outcome => outcomes.get(t.key) ?? { status: 'open' };
  let best: { length: number; targets: Target[] } | null = null;
  const consider = (length: number, targets: Target[]): void => {
    if (best === null || length < best.length) best = { length, targets };
  };
  for (const t of plan.immediate) {
    const o = of(t);
    if (o.status === 'reached') consider(o.length, [t]);
  }
  for (const combo of plan.combos) {
    const all = combo.map(of);
    if (all.every((o) => o.status === 'reached')) consider(Math.max(...all.map((o) => (o.status === 'reached' ? o.length : 0))), combo);
  }
  if (best !== null) return { verdict: 'violated', ...(best as { length: number; targets: Target[] }) };
  const proofs: Outcome[] = [];
  for (const t of plan.immediate) {
    const o = of(t);
    if (o.status !== 'unreachable') return null;
    proofs.push(o);
  }
  for (const combo of plan.combos) {
    const killed = combo.map(of).find((o) => o.status === 'unreachable');
    if (killed === undefined) return null;
    proofs.push(killed);
  }
  const k = Math.max(0, ...proofs.map((o) => (o.status === 'unreachable' ? o.k : 0)));
  const how = proofs.some((o) => o.status === 'unreachable' && o.how === 'induction') ? 'induction' : 'exhausted';
  return { verdict: 'holds', k, how };
}

/** Targets whose outcome could still change an open plan's verdict. */
function needed(plans: PropertyPlan[], decisions: Map<PropertyId, Decision>, outcomes: Map<string, Outcome>): Target[] {
  const out = new Map<string, Target>();
  const open = (t: Target): boolean => (outcomes.get(t.key)?.status ?? 'open') === 'open';
  for (const plan of plans) {
    if (decisions.has(plan.property)) continue;
    for (const t of plan.immediate) if (open(t)) out.set(t.key, t);
    for (const combo of plan.combos) {
      if (combo.some((t) => outcomes.get(t.key)?.status === 'unreachable')) continue;
      for (const t of combo) if (open(t)) out.set(t.key, t);
    }
  }
  return [...out.values()];
}

export async function search(ctx: Z3, sys: SymbolicSystem, initial: Uint32Array[], plans: PropertyPlan[], options: SearchOptions): Promise<SearchResult> {
  const outcomes = new Map<string, Outcome>();
  const decisions = new Map<PropertyId, Decision>();
  const decidedAt = new Map<PropertyId, number>();
  const bmc = new Unrolling(ctx, sys, initial, null, true);
  const step = options.kInduction ? new Unrolling(ctx, sys, null, options.invariant, true) : null;
  let depth = -1;
  let stop: SearchResult['stop'] = null;
  const reachableBeyondDoubt = new Set<string>();
  const update = (): void => {
    for (const plan of plans) {
      if (decisions.has(plan.property)) continue;
      const d = decide(plan, outcomes);
      if (d === null) continue;
      decisions.set(plan.property, d);
      decidedAt.set(plan.property, Date.now());
    }
  };
  const halt = (): void => {
    if ((options.deadline !== null && Date.now() >= options.deadline) || options.stop?.() === true) throw new Timeout();
  };
  try {
    update();
    for (let L = 0; ; L++) {
      if (needed(plans, decisions, outcomes).length === 0) break;
      if (L > options.maxDepth) {
        stop = 'max-depth';
        break;
      }
      halt();
      bmc.extendTo(L);
      // One query for every target still needed; each model names the targets it hits, which are then shortest.
      let open = needed(plans, decisions, outcomes);
      while (open.length > 0) {
        halt();
        const r = await bmc.check(bmc.reachAny(open, L), options.deadline);
        if (r === 'unknown') throw new Timeout();
        if (r === 'unsat') break;
        const hit = bmc.hits(open, L);
        if (hit.length === 0) throw new Error('internal: a satisfiable search hits no target');
        const path = bmc.decode(L);
        for (const t of hit) outcomes.set(t.key, { status: 'reached', length: L, path });
        open = open.filter((t) => !hit.includes(t));
      }
      depth = L;
      update();
      if (step === null) continue;
      const remaining = needed(plans, decisions, outcomes);
      if (remaining.length === 0) break;
      halt();
      const exists = await bmc.check(bmc.simplePath(L), options.deadline);
      if (exists === 'unknown') throw new Timeout();
      if (exists === 'unsat') {
        for (const t of remaining) outcomes.set(t.key, { status: 'unreachable', k: L, how: 'exhausted' });
        update();
        break;
      }
      halt();
      step.extendTo(L);
      // All remaining targets at once (k-induction of their disjunction), then one by one.
      const provable = remaining.filter((t) => !reachableBeyondDoubt.has(t.key));
      const groups = provable.length > 1 ? [provable, ...provable.map((t) => [t])] : [provable];
      for (const group of groups) {
        const targets = group.filter((t) => (outcomes.get(t.key)?.status ?? 'open') === 'open' && !(t.kind === 'transition' && L === 0));
        if (targets.length === 0) continue;
        const hypothesis: B[] = [];
        for (let j = 0; j < L; j++) {
          const avoid = targets.filter((t) => t.kind === 'state' || j >= 1);
          if (avoid.length > 0) hypothesis.push(step.avoid(avoid, j));
        }
        halt();
        const r = await step.check([...hypothesis, ...step.reachAny(targets, L)], options.deadline);
        if (r === 'unknown') throw new Timeout();
        if (r === 'unsat') for (const t of targets) outcomes.set(t.key, { status: 'unreachable', k: L, how: 'induction' });
        if (r === 'unsat' && group === provable) break;
        if (r === 'sat' && options.invariantExact === true && targets.length === 1) reachableBeyondDoubt.add(targets[0]!.key);
      }
      update();
    }
  } catch (error) {
    // OutOfBudget: the deadline or the memory limit came while an unrolling was being built.
    if (!(error instanceof Timeout) && !(error instanceof OutOfBudget)) throw error;
    stop = 'timeout';
  } finally {
    bmc.release();
    step?.release();
  }
  return { outcomes, decisions, decidedAt, depth, stop };
}

class Timeout extends Error {}
