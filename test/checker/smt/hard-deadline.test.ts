// A check that Z3 does not stop at its deadline (the interrupt goes unheard, as in parts of Z3's preprocessing)
// is given up HARD_GRACE_MS later: checkBy answers 'unknown', and until Z3 has finished it on its worker thread
// every other call into Z3 throws Z3Busy (the engine's "budget spent") instead of racing it.

import { describe, expect, it } from 'vitest';
import { OutOfBudget } from '../../../src/checker/smt/budget.js';
import { bitVectorSolver, checkBy, giveUpChecks, HARD_GRACE_MS, type Z3, type Z3Solver, Z3Busy, z3, z3Idle } from '../../../src/checker/smt/z3.js';

/** A solver holding a factoring of a 62-bit number by bit-blasting: Z3 works on it for well over 20 s. */
async function factoring(): Promise<{ ctx: Z3; solver: Z3Solver }> {
  const ctx = await z3();
  const solver = bitVectorSolver(ctx);
  const x = ctx.BitVec.const('x', 64);
  const y = ctx.BitVec.const('y', 64);
  solver.add(x.mul(y).eq(ctx.BitVec.val(0x3fffffed80000013n, 64)), x.ugt(1), y.ugt(1), x.ult(0xffffffffn), y.ult(0xffffffffn));
  return { ctx, solver };
}

describe('the hard deadline of a Z3 check', () => {
  it('gives up a check that neither the soft timeout nor the interrupt stops, and keeps Z3 to itself until it ends', async () => {
    const { ctx, solver } = await factoring();
    // A solver that ignores its soft timeout, and a context whose interrupt is not heard.
    const deaf = { set: () => undefined, check: () => solver.check() } as unknown as Z3Solver;
    const unheard = { interrupt: () => undefined } as unknown as Z3;
    const started = Date.now();
    const answer = await checkBy(unheard, deaf, started + 100);
    const waited = Date.now() - started;
    expect(answer).toBe('unknown');
    expect(waited).toBeGreaterThanOrEqual(100 + HARD_GRACE_MS - 5);
    expect(waited).toBeLessThan(5000);
    // Z3 still works on it: a call now would race it, so it throws, as a spent budget does.
    expect(() => ctx.BitVec.val(1, 8)).toThrow(Z3Busy);
    expect(new Z3Busy()).toBeInstanceOf(OutOfBudget);
    expect(() => bitVectorSolver(ctx)).toThrow(Z3Busy);
    // Once it ends (z3Idle interrupts it for real until it does), Z3 answers again.
    await z3Idle();
    const fresh = bitVectorSolver(ctx);
    fresh.add(ctx.BitVec.const('z', 8).eq(ctx.BitVec.val(3, 8)));
    expect(await fresh.check()).toBe('sat');
    fresh.release();
    solver.release();
  }, 30_000);

  it('gives up a check without a deadline when the memory watchdog says so (giveUpChecks)', async () => {
    const { ctx, solver } = await factoring();
    const unheard = { interrupt: () => undefined } as unknown as Z3;
    const started = Date.now();
    setTimeout(giveUpChecks, 200);
    expect(await checkBy(unheard, solver, null)).toBe('unknown');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(() => ctx.BitVec.val(1, 8)).toThrow(Z3Busy);
    await z3Idle();
    expect(ctx.BitVec.val(1, 8).value()).toBe(1n);
    solver.release();
  }, 30_000);
});
