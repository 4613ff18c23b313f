// The one Z3 context of the process. z3-solver leaks about 10 MiB per Context, so it is created once and kept;
// every solver is released after its check; checks run one at a time through a promise queue (the wasm build
// runs one check per context at a time anyway, and an interrupt must reach the check it was meant for).
// Z3 runs a check on a worker thread while the main thread's garbage collector may release what the bindings
// created: releases are held back while a check runs (`holdReleasesDuringChecks`), and models are released
// explicitly right after use (`withModel`).
// `timeout` is soft in Z3 (it is polled only at safe points), so a deadline is enforced with ctx.interrupt()
// from a timer: the check then returns 'unknown'.

import type { Bool, Context, Model, Solver } from 'z3-solver';

export type Z3 = Context<'main'>;
export type Z3Solver = Solver<'main'>;

let context: Promise<Z3> | null = null;

/** The process-wide context, created on first use. */
export function z3(): Promise<Z3> {
  if (context === null) {
    context = (async () => {
      const { init } = await import('z3-solver');
      const api = await init();
      holdReleasesDuringChecks(api.Z3 as unknown as Record<string, unknown>);
      return new api.Context('main');
    })();
  }
  return context;
}

/**
 * A solver for the encoding's logic: quantifier-free bit-vectors. Z3's QF_BV solver bit-blasts after
 * preprocessing, which is several times faster here than the general incremental solver.
 */
export function bitVectorSolver(ctx: Z3): Z3Solver {
  return new ctx.Solver('QF_BV');
}

/**
 * The bindings release every Z3 object from a FinalizationRegistry on the main thread, whenever the garbage
 * collector gets to it, including while a check, a simplification or a tactic runs on Z3's worker thread. The
 * reference counts are not thread-safe: such a release races the solver and corrupts the context
 * (`memory access out of bounds` in ast_manager::delete_node, "UNEXPECTED CODE WAS REACHED" in ast.cpp).
 * This wraps the low-level API so that a release requested during one of those asynchronous calls is queued
 * and done when the call returns. The bindings look the functions up on this object at each call, so the
 * wrapping covers them.
 */
function holdReleasesDuringChecks(api: Record<string, unknown>): void {
  let running = 0;
  const held: (() => void)[] = [];
  for (const [name, f] of Object.entries(api)) {
    if (typeof f !== 'function') continue;
    if (name === 'dec_ref' || name.endsWith('_dec_ref')) {
      api[name] = (...args: unknown[]): unknown => {
        if (running === 0) return f(...args);
        held.push(() => f(...args));
        return undefined;
      };
    } else if (f.constructor.name === 'AsyncFunction') {
      api[name] = async (...args: unknown[]): Promise<unknown> => {
        running++;
        try {
          return await f(...args);
        } finally {
          running--;
          if (running === 0) for (const release of held.splice(0)) release();
        }
      };
    }
  }
}

let queue: Promise<unknown> = Promise.resolve();

/** Run `task` when every earlier task has finished; tasks never overlap. */
export function exclusive<T>(task: (ctx: Z3) => Promise<T>): Promise<T> {
  const run = queue.then(async () => task(await z3()));
  queue = run.catch(() => undefined);
  return run;
}

/** Milliseconds past the deadline given to Z3's own soft timeout before the hard interrupt. */
const INTERRUPT_GRACE_MS = 50;

export type SatResult = 'sat' | 'unsat' | 'unknown';

/**
 * `solver.check()` that ends by `deadline` (a Date.now() value; null = none): the soft timeout is set to the
 * time left, and a timer interrupts the context shortly after it in case Z3 does not poll in time.
 */
export async function checkBy(
  ctx: Z3,
  solver: Z3Solver,
  deadline: number | null,
  assumptions: Bool<'main'>[] = [],
): Promise<SatResult> {
  if (deadline === null) return solver.check(...assumptions);
  const left = deadline - Date.now();
  if (left <= 0) return 'unknown';
  solver.set('timeout', Math.max(1, Math.floor(left)));
  const timer = setTimeout(() => ctx.interrupt(), left + INTERRUPT_GRACE_MS);
  try {
    return await solver.check(...assumptions);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `read` on the solver's last model and releases the model at once (see the note at the top). */
export function withModel<T>(solver: Z3Solver, read: (model: Model<'main'>) => T): T {
  const model = solver.model();
  try {
    return read(model);
  } finally {
    model.release();
  }
}
