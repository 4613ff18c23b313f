// The SMT engine's entry point: bounded model checking and k-induction of a program's safety properties, with
// every counterexample replayed through the explicit model before it is reported.

import type { Program, PropertyId } from '../../ir/ir.js';
import { buildModel, ModelTooLarge } from '../../hw/build.js';
import { defaultMemoryLimit } from '../explicit/memory.js';
import type { Model } from '../../ir/model.js';
import { PROOF_WORDS, type PropertyResult, type SmtProof, type Stats } from '../verdict.js';
import { Budget, OutOfBudget } from './budget.js';
import { search, type Decision, type Outcome } from './engine.js';
import { expressionBits, UnsupportedModel } from './expr.js';
import { DEFAULT_MINE_STATES, provedInvariant, type ProvedInvariant } from './invariants.js';
import { confirm } from './replay.js';
import { SymbolicSystem } from './system.js';
import { planFor, type PropertyPlan } from './targets.js';
import { bitLevelPlan, proveByPdr, type PdrAttempt } from './aig/pdr.js';
import { asRun, exclusive, giveUpChecks, HARD_GRACE_MS, z3StartProblem, type Z3 } from './z3.js';

export interface SmtOptions {
  /** Longest path searched, in steps (default 40). */
  maxDepth?: number;
  timeoutSeconds?: number;
  /** Try unbounded proofs (default true); without it the engine only searches for counterexamples. */
  kInduction?: boolean;
  /** Mine candidate invariants from at most this many explicitly explored states (default 300000; 0: none). */
  mineStates?: number;
  /** Memory limit of the process, in MB (default: three quarters of the machine's memory, memory.ts). */
  maxMemoryMb?: number;
  /**
   * Smaller configurations of the same model (loaded with other constants), explored completely to learn
   * per-thread candidate invariants from (learn.ts), instead of exploring this configuration.
   */
  learnFrom?: Program[];
  /**
   * Try a bit-level IC3 proof (ABC's `pdr`, aig/pdr.ts) of the safety properties decided by immediate targets,
   * when the explicit exploration does not complete, before the search (default false).
   */
  pdr?: boolean;
}

const MB = 1024 * 1024;
const DEFAULT_MEMORY = defaultMemoryLimit();
/** How often the watchdog looks at the clock and the process's resident size. */
const WATCHDOG_MS = 50;
/** How often, at most, the budget's loops read the resident size (they read the clock each time). */
const LOOK_MS = 10;
/**
 * The watchdog stops Z3 at this share of the memory limit: Z3 allocates between two looks, and goes on for a
 * moment after the interrupt, so stopping at the limit itself let the process overshoot it.
 */
const MEMORY_HEADROOM = 0.85;

export const DEFAULT_SMT_DEPTH = 40;

/** Without a --timeout, ABC's pdr gets this long. */
const DEFAULT_PDR_SECONDS = 300;

/** States times slots the invariant mining gets through in a millisecond (a conservative figure). */
const MINE_SLOT_STATES_PER_MS = 2000;

/** Timers hold at most 2^31 - 1 ms (24.8 days): a longer --timeout is no timeout, not one that fires at once. */
const MAX_TIMEOUT_SECONDS = 2 ** 31 / 1000 - 1;

/** How Z3 (compiled to WebAssembly) and V8 say that memory ran out. */
const OUT_OF_MEMORY = /out of memory|Cannot enlarge memory|Array buffer allocation failed|could not allocate memory|Cannot allocate Wasm memory/i;

/**
 * Checks `properties` of `program` with Z3. Results carry engine 'smt'; `complete: true` only for a proof
 * (k-induction, or a search that exhausted every simple path); a bound reached is `inconclusive`.
 */
export async function checkWithSmt(program: Program, properties: PropertyId[], options: SmtOptions = {}): Promise<PropertyResult[]> {
  const started = Date.now();
  /** `at`: when the property was decided (Date.now()); by default now, the end of its search. */
  const stats = (depth: number, at: number = Date.now()): Stats => ({ states: 0, transitions: 0, depth: Math.max(depth, 0), seconds: (at - started) / 1000 });
  const refuse = (detail: string): PropertyResult[] =>
    properties.map((property) => ({
      property,
      engine: 'smt',
      verdict: 'inconclusive',
      reason: 'not-checkable',
      detail: `${detail}; ${EXPLICIT_DECIDES}`,
      decidableBy: 'explicit',
      stats: stats(0),
    }));

  let model: Model;
  try {
    model = buildModel(program);
    expressionBits(program);
  } catch (error) {
    if (error instanceof ModelTooLarge || error instanceof UnsupportedModel) return refuse(`the model is too large: ${error.message}`);
    throw error;
  }

  const limit = options.maxMemoryMb === undefined ? DEFAULT_MEMORY : options.maxMemoryMb * MB;
  const overMemory = (depth: number): PropertyResult[] =>
    properties.map((property) => ({
      property,
      engine: 'smt',
      verdict: 'inconclusive',
      reason: 'max-memory',
      detail: `stopped at the memory limit (${Math.round(limit / MB)} MB)${depth >= 0 ? ` after searching every path of up to ${depth} steps` : ''}`,
      stats: stats(depth),
    }));

  // Z3 reserves its WebAssembly memory when it starts: under an address-space limit (`ulimit -v`) that leaves
  // too little, it is not started (V8 would abort the process), which is the memory limit too, not a bad input.
  const cannotStart = z3StartProblem();
  if (cannotStart !== null) {
    return properties.map((property) => ({ property, engine: 'smt', verdict: 'inconclusive', reason: 'max-memory', detail: cannotStart, stats: stats(0) }));
  }
  try {
    return await exclusive(async (ctx) => {
    // Z3's memory is not the JavaScript heap's: a watchdog looks at the whole process and stops Z3 the way the
    // deadline does (ctx.interrupt(): the check answers unknown), and the run ends as inconclusive, not as an
    // out-of-memory abort.
    // Past the deadline it interrupts Z3 at every look, whatever query is running (each query's own timer covers
    // only that query; the invariant mining and proof make queries of their own).
    let exceeded = false;
    const deadline = options.timeoutSeconds === undefined ? null : started + Math.min(options.timeoutSeconds, MAX_TIMEOUT_SECONDS) * 1000;
    let lastLook = 0;
    // The budget's loops ask often, and reading the resident size costs about 0.3 ms: it is read at most every
    // LOOK_MS.
    const look = (): boolean => {
      const now = Date.now();
      if (!exceeded && now - lastLook >= LOOK_MS) {
        lastLook = now;
        if (process.memoryUsage.rss() > limit * MEMORY_HEADROOM) exceeded = true;
      }
      return exceeded;
    };
    // Over the memory limit for HARD_GRACE_MS with the interrupt unheard: the check is given up, as at the deadline.
    let exceededSince: number | null = null;
    const watchdog = setInterval(() => {
      const over = look();
      if (over || (deadline !== null && Date.now() >= deadline)) ctx.interrupt();
      if (over) {
        exceededSince ??= Date.now();
        if (Date.now() - exceededSince >= HARD_GRACE_MS) giveUpChecks();
      }
    }, WATCHDOG_MS);
    try {
      return await asRun(deadline, () => run(ctx, new Budget(deadline, look), look));
    } catch (error) {
      // WebAssembly cannot grow its memory past 4 GB: Z3 then fails inside, and that is the memory limit too.
      if (exceeded || OUT_OF_MEMORY.test(String(error))) return overMemory(-1);
      // The watchdog's interrupt met Z3 outside a check the search waits on (a model evaluation), or the budget
      // ran out while the symbolic system was built: the deadline.
      const stopped = error instanceof OutOfBudget || (error instanceof Error && error.message === 'canceled');
      if (stopped && deadline !== null && Date.now() >= deadline) {
        return properties.map((property): PropertyResult => ({
          property,
          engine: 'smt',
          verdict: 'inconclusive',
          reason: 'timeout',
          detail: error instanceof OutOfBudget ? 'stopped by --timeout while the symbolic system was built' : 'stopped by --timeout',
          stats: stats(0),
        }));
      }
      throw error;
    } finally {
      clearInterval(watchdog);
    }
  });
  } catch (error) {
    if (OUT_OF_MEMORY.test(String(error))) return overMemory(-1);
    throw error;
  }

  /**
   * States the invariant mining may explore within the memory limit. The mining is one stretch of JavaScript the
   * watchdog cannot interrupt, so it gets a third of the room left, at a generous estimate per state (the state,
   * its key in the seen set, and a number per slot in the candidate columns).
   */
  function mineBudget(sys: SymbolicSystem, deadline: number | null): number {
    const perState = model.layout.words * 24 + sys.slots.length * 8 + 256;
    const room = Math.max(0, limit * MEMORY_HEADROOM - process.memoryUsage.rss()) / 3;
    // Likewise in time: the mining gets half of what is left, and mines about MINE_SLOT_STATES_PER_MS / slots
    // states a millisecond (measured on the seed models and larger ones), in work no deadline check interrupts.
    const perMs = MINE_SLOT_STATES_PER_MS / Math.max(1, sys.slots.length);
    const byTime = deadline === null ? Infinity : Math.max(0, ((deadline - Date.now()) / 2) * perMs);
    return Math.floor(Math.min(DEFAULT_MINE_STATES, room / perState, byTime));
  }

  async function run(ctx: Z3, budget: Budget, exceeded: () => boolean): Promise<PropertyResult[]> {
    const { deadline } = budget;
    const sys = new SymbolicSystem(ctx, model, budget);
    const plans = properties.map((p) => planFor(sys, p));
    const searchable = plans.filter((p) => p.notCheckable === null);
    const kInduction = options.kInduction ?? true;
    // Learning from smaller configurations replaces the exploration of this one: the proof then rests on no
    // enumeration of this configuration's states.
    const learning = (options.learnFrom?.length ?? 0) > 0;
    // Past the deadline already (building the system takes a while on a large model): no invariant to look for.
    const late = deadline !== null && Date.now() >= deadline;
    const proved = kInduction && !late ? await provedInvariant(ctx, sys, { deadline, mineStates: learning ? 0 : (options.mineStates ?? mineBudget(sys, deadline)), learnFrom: options.learnFrom }) : null;
    // Past the explicit engine's reach: ABC's IC3 over the bit-level system, half the time left, its invariant
    // checked by Z3. Where the explicit exploration completed, the reachable set decides everything already.
    const bitLevel = kInduction && options.pdr === true && proved?.source !== 'reachable-set' ? searchable.filter(bitLevelPlan) : [];
    let pdr: { attempt: PdrAttempt; at: number } | null = null;
    if (bitLevel.length > 0 && (deadline === null || Date.now() < deadline)) {
      const until = Date.now() + (deadline === null ? DEFAULT_PDR_SECONDS * 1000 : (deadline - Date.now()) / 2);
      const attempt = await proveByPdr(ctx, sys, bitLevel, until);
      pdr = { attempt, at: Date.now() };
    }
    const byPdr = new Set(pdr?.attempt.outcome === 'proved' ? bitLevel.map((p) => p.property) : []);
    const result = await search(ctx, sys, model.initialStates(), searchable.filter((p) => !byPdr.has(p.property)), {
      maxDepth: options.maxDepth ?? DEFAULT_SMT_DEPTH,
      deadline,
      kInduction,
      invariant: proved?.cond ?? null,
      invariantExact: proved?.source === 'reachable-set',
      stop: exceeded,
    });
    const basis: ProofBasis = { invariant: proved?.source ?? null, configuration: { ...program.constants }, learnedFrom: proved?.learnedFrom };
    const results = plans.map((plan): PropertyResult => {
      if (pdr !== null && byPdr.has(plan.property)) {
        const proof: SmtProof = { method: 'ic3', k: 1, configuration: basis.configuration, ic3: pdr.attempt.figures! };
        return { property: plan.property, engine: 'smt', verdict: 'holds', complete: true, proof, stats: stats(1, pdr.at) };
      }
      const at = result.decidedAt.get(plan.property);
      const r = resultFor(model, plan, result.decisions.get(plan.property), result.outcomes, result, basis, (depth) => stats(depth, at));
      // What the IC3 attempt said, on a property it was tried on and that is still open.
      if (pdr !== null && pdr.attempt.outcome === 'not-proved' && r.verdict === 'inconclusive' && bitLevel.includes(plan)) {
        return { ...r, detail: `${r.detail}; IC3 (ABC's pdr) proved nothing: ${pdr.attempt.why}` };
      }
      return r;
    });
    // What the watchdog stopped reads as stopped by the memory limit; what was decided before stands.
    if (!exceeded()) return results;
    const stopped = overMemory(result.depth);
    return results.map((r, i) => (r.verdict === 'inconclusive' && r.reason === 'timeout' ? stopped[i]! : r));
  }
}

/** What every proof of one run rests on: the invariant the induction step assumed, and the configuration. */
interface ProofBasis {
  invariant: ProvedInvariant['source'] | null;
  configuration: Record<string, number>;
  learnedFrom: Record<string, number>[] | undefined;
}

/** How a result the SMT engine cannot decide names the engine that does. */
const EXPLICIT_DECIDES = 'the explicit engine decides it';

function resultFor(
  model: Model,
  plan: PropertyPlan,
  decision: Decision | undefined,
  outcomes: Map<string, Outcome>,
  search: { depth: number; stop: 'max-depth' | 'timeout' | null },
  basis: ProofBasis,
  stats: (depth: number) => Stats,
): PropertyResult {
  const property = plan.property;
  if (plan.notCheckable !== null) {
    // An undeclared latency bound leaves irq-latency without a meaning for either engine.
    const explicit = property !== 'irq-latency';
    const detail = explicit ? `${plan.notCheckable}; ${EXPLICIT_DECIDES}` : plan.notCheckable;
    return { property, engine: 'smt', verdict: 'inconclusive', reason: 'not-checkable', detail, ...(explicit ? { decidableBy: 'explicit' as const } : {}), stats: stats(0) };
  }
  if (decision === undefined) {
    const reason = search.stop ?? 'max-depth';
    const detail =
      search.depth < 0
        ? 'stopped before the first search finished'
        : `no violation on any path of up to ${search.depth} steps (bounded model checking${reason === 'timeout' ? ', stopped by --timeout' : ''})`;
    return { property, engine: 'smt', verdict: 'inconclusive', reason, detail, stats: stats(search.depth) };
  }
  if (decision.verdict === 'violated') {
    const paths = decision.targets.map((t) => {
      const o = outcomes.get(t.key);
      if (o?.status !== 'reached') throw new Error(`internal: target ${t.key} of a violation was not reached`);
      return o.path;
    });
    const counterexample = confirm(model, property, paths, decision.length);
    return { property, engine: 'smt', verdict: 'violated', counterexample, stats: stats(decision.length) };
  }
  // An induction step that assumed the explicit reachable set proves nothing the explicit search did not see.
  const vacuous = plan.immediate.length === 0 && plan.combos.length === 0;
  const method: SmtProof['method'] = vacuous
    ? 'vacuous'
    : decision.how === 'exhausted'
      ? 'exhausted'
      : basis.invariant === 'reachable-set'
        ? 'explicit-recheck'
        : 'k-induction';
  const learned = method === 'k-induction' && basis.learnedFrom !== undefined ? { learnedFrom: basis.learnedFrom } : {};
  const proof: SmtProof = { method, k: decision.k, configuration: basis.configuration, ...learned };
  if (plan.partial !== null) {
    const how = decision.how === 'induction' ? `k-induction with k = ${decision.k}` : `every simple path of up to ${decision.k} steps searched`;
    const what = method === 'explicit-recheck' ? `${PROOF_WORDS[method]} (${how})` : `proved for unbounded depth (${how})`;
    const detail = `${what}, but ${plan.partial}`;
    return { property, engine: 'smt', verdict: 'inconclusive', reason: 'not-checkable', detail, proof, decidableBy: 'explicit', stats: stats(decision.k) };
  }
  return { property, engine: 'smt', verdict: 'holds', complete: true, proof, stats: stats(decision.k) };
}
