// A bit-level IC3 proof of safety properties: the transition system as an AIG (system.ts), ABC's `pdr` on it
// (abc.ts), and the inductive invariant ABC returns checked by Z3 against the SMT relation (certificate.ts).
// Only a checked certificate is a proof; ABC's counterexamples are not reported (bounded model checking finds
// the violation, replayed through the explicit model).

import { AigTooLarge } from './aig.js';
import { runPdr } from './abc.js';
import { checkCertificate, type CubeInvariant } from './certificate.js';
import { BitSystem, NotBitEncodable } from './system.js';
import type { PropertyPlan } from '../targets.js';
import type { SymbolicSystem } from '../system.js';
import type { Z3 } from '../z3.js';

/** Sizes and times of one attempt, for the report and docs/smt.md. */
export interface PdrFigures {
  /** Latches and AND gates of the AIG ABC read (the cone of influence of the output). */
  latches: number;
  ands: number;
  /** Seconds to build the AIG, ABC's seconds, seconds Z3 took to check the invariant. */
  buildSeconds: number;
  abcSeconds: number;
  checkSeconds: number;
  /** Clauses of the invariant, on a proof. */
  clauses?: number;
}

export type PdrAttempt =
  | { outcome: 'proved'; figures: PdrFigures }
  /** Not a proof, and why: ABC undecided or unavailable, a counterexample, a certificate that failed. */
  | { outcome: 'not-proved'; why: string; figures: PdrFigures | null };

/**
 * Whether the plans can be tried at bit level: properties decided by immediate targets alone (lockdep's
 * combinations of atoms and the properties the SMT engine decides only in part are left to the search).
 */
export function bitLevelPlan(plan: PropertyPlan): boolean {
  return plan.notCheckable === null && plan.partial === null && plan.combos.length === 0 && plan.immediate.length > 0;
}

/**
 * Tries to prove every plan at once (one output: any of their targets), within `deadline` (a Date.now() value).
 * Each plan must satisfy bitLevelPlan.
 */
export async function proveByPdr(ctx: Z3, sys: SymbolicSystem, plans: readonly PropertyPlan[], deadline: number): Promise<PdrAttempt> {
  const started = Date.now();
  let bits: BitSystem;
  try {
    bits = new BitSystem(sys.model);
  } catch (error) {
    if (error instanceof NotBitEncodable || error instanceof AigTooLarge) return { outcome: 'not-proved', why: `no AIG: ${error.message}`, figures: null };
    throw error;
  }
  const targets = plans.flatMap((p) => p.immediate);
  const outputs = targets.map((t) => bits.target(t.key));
  if (outputs.some((o) => o === null)) return { outcome: 'not-proved', why: 'a target has no bit-level form', figures: null };
  const bad = bits.aig.orAll(outputs as number[]);
  const { bytes, latches, ands } = bits.aig.toAiger([bad]);
  const figures: PdrFigures = { latches: latches.length, ands, buildSeconds: (Date.now() - started) / 1000, abcSeconds: 0, checkSeconds: 0 };
  const left = (deadline - Date.now()) / 1000;
  if (left < 1) return { outcome: 'not-proved', why: 'no time left for ABC', figures };
  const abc = await runPdr(bytes, Math.floor(left));
  figures.abcSeconds = abc.seconds;
  if (abc.verdict === 'counterexample') return { outcome: 'not-proved', why: `ABC's pdr found a target reachable in frame ${abc.frame}`, figures };
  if (abc.verdict !== 'proved') return { outcome: 'not-proved', why: abc.why, figures };
  figures.clauses = abc.invariant.length;
  // The file's latch k is the AIG's latch latches[k], which holds its slot bit XOR the bit's initial value.
  if (abc.invariant.some((cube) => cube.some((l) => l.latch >= latches.length))) {
    return { outcome: 'not-proved', why: "ABC's invariant names a latch the AIG does not have", figures };
  }
  const invariant: CubeInvariant = abc.invariant.map((cube) =>
    cube.map((l) => {
      const { slot, bit } = bits.latchBits[latches[l.latch]!]!;
      const init = Math.floor(bits.initialValue(slot) / 2 ** bit) % 2 === 1;
      return { slot, bit, value: l.value !== init };
    }),
  );
  const checking = Date.now();
  const check = await checkCertificate(ctx, sys, bits.initial, invariant, targets, deadline);
  figures.checkSeconds = (Date.now() - checking) / 1000;
  if (check.valid === true) return { outcome: 'proved', figures };
  if (check.valid === null) return { outcome: 'not-proved', why: check.why, figures };
  return { outcome: 'not-proved', why: `the invariant ABC returned fails its check (${check.failed})`, figures };
}
