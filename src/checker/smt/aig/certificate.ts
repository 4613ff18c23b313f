// The certificate of a bit-level proof: an invariant over the state's bits (clauses, from ABC's `pdr`), checked
// here with Z3 against the SMT engine's own transition relation (system.ts), not against the AIG it came from:
//
//   1. the initial state satisfies it (evaluated on the packed initial state);
//   2. it is closed under every step: Inv(pre) and the chosen action enabled and not fatal imply Inv(post), where
//      post is the symbolic successor (one Z3 query, unsatisfiable when closed);
//   3. it excludes every target of the property: Inv(pre) and the target (a violation visible in pre, or a
//      violation event of an enabled action from pre) is unsatisfiable, for each immediate target.
//
// Every reachable state satisfies an invariant with 1 and 2 (interior steps of a path are enabled and not
// fatal), so with 3 no target is reachable: the property holds for paths of any length, whatever the AIG
// encoding or ABC got wrong.

import type { Slot } from '../../../ir/layout.js';
import { checkBy, bitVectorSolver, type Z3 } from '../z3.js';
import { slotValue, type SymbolicSystem } from '../system.js';
import type { Target } from '../targets.js';
import type { B, BV } from '../sym.js';

/** A literal of a cube over the state's bits: bit `bit` of slot `slot` is `value`. */
export interface StateBitLit {
  slot: number;
  bit: number;
  value: boolean;
}

/** The invariant: no state matches any of the cubes. */
export type CubeInvariant = StateBitLit[][];

export type CertificateCheck =
  | { valid: true }
  /** Which condition failed: 'initial', 'step', or the key of a target the invariant does not exclude. */
  | { valid: false; failed: string }
  | { valid: null; why: string };

/** Whether the packed state matches the cube. */
export function cubeHolds(slots: readonly Slot[], state: Uint32Array, cube: readonly StateBitLit[]): boolean {
  return cube.every((l) => (Math.floor(slotValue(state, slots[l.slot]!) / 2 ** l.bit) % 2 === 1) === l.value);
}

export async function checkCertificate(
  ctx: Z3,
  sys: SymbolicSystem,
  initial: Uint32Array,
  invariant: CubeInvariant,
  targets: readonly Target[],
  deadline: number | null,
): Promise<CertificateCheck> {
  if (invariant.some((cube) => cubeHolds(sys.slots, initial, cube))) return { valid: false, failed: 'initial' };

  const inv = (vars: readonly BV[]): B => {
    const bits = new Map<string, B>();
    const lit = (l: StateBitLit): B => {
      const key = `${l.slot}:${l.bit}:${l.value}`;
      let b = bits.get(key);
      if (b === undefined) {
        b = ctx.Extract(l.bit, l.bit, vars[l.slot]!).eq(ctx.BitVec.val(l.value ? 1 : 0, 1));
        bits.set(key, b);
      }
      return b;
    };
    return ctx.And(...invariant.map((cube) => ctx.Not(ctx.And(...cube.map(lit)))));
  };

  const unsat = async (...conds: B[]): Promise<boolean | null> => {
    const solver = bitVectorSolver(ctx);
    try {
      for (const c of conds) solver.add(c);
      const r = await checkBy(ctx, solver, deadline);
      return r === 'unknown' ? null : r === 'unsat';
    } finally {
      solver.release();
    }
  };

  const pre = inv(sys.pre);
  const step = await unsat(pre, sys.enabled, ctx.Not(sys.fatal), ctx.Not(inv(sys.nextVals)));
  if (step === null) return { valid: null, why: 'Z3 did not decide whether the invariant is closed under a step in time' };
  if (!step) return { valid: false, failed: 'step' };
  for (const t of targets) {
    const excluded = await unsat(pre, t.kind === 'transition' ? ctx.And(sys.enabled, t.cond) : t.cond);
    if (excluded === null) return { valid: null, why: `Z3 did not decide whether the invariant excludes ${t.key} in time` };
    if (!excluded) return { valid: false, failed: t.key };
  }
  return { valid: true };
}
