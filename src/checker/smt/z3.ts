// The one Z3 context of the process. z3-solver leaks about 10 MiB per Context, so it is created once and kept;
// every solver is released after its check; checks run one at a time through a promise queue (the wasm build
// runs one check per context at a time anyway, and an interrupt must reach the check it was meant for).
// Z3 runs a check on a worker thread while the main thread's garbage collector may release what the bindings
// created: releases are held back while a check runs (`holdReleasesDuringChecks`), and models are released
// explicitly right after use (`withModel`).
// `timeout` is soft in Z3 (it is polled only at safe points), so a deadline is enforced with ctx.interrupt()
// from a timer: the check then returns 'unknown'.

import type { Bool, Context, Model, Solver } from 'z3-solver';
import { addressSpaceLimit, virtualBytes } from '../explicit/memory.js';

export type Z3 = Context<'main'>;
export type Z3Solver = Solver<'main'>;

let context: Promise<Z3> | null = null;

/** Node's flag that turns V8's WebAssembly trap handler off (src/cli/trapless.ts runs the CLI again with it). */
export const NO_TRAP_HANDLER = '--disable-wasm-trap-handler';

/** Whether V8's WebAssembly trap handler is off in this process. */
export function trapHandlerOff(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): boolean {
  return execArgv.includes(NO_TRAP_HANDLER) || (nodeOptions ?? '').split(/\s+/).includes(NO_TRAP_HANDLER);
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * Address space Z3 takes beyond what the process has mapped when it starts, through its first checks, with some
 * room to spare (measured with z3-solver 5.2 on Node 20, docs/smt.md): its fixed shared memory of 2 GiB, its
 * compiled code, and a V8 isolate per worker thread. With the trap handler on, V8 also reserves about 10 GiB of
 * guard region for the memory. Past the limit V8 aborts the process (a worker's code range cannot be reserved),
 * so Z3 is not started without this much room.
 */
export const Z3_ADDRESS_SPACE = { trapHandlerOff: 4.5 * GiB, trapHandlerOn: 13 * GiB };

/**
 * Why Z3 cannot start in this process, or null when it can (or already has): an address-space limit
 * (`ulimit -v`) that leaves less than it needs.
 */
export function z3StartProblem(
  limit: number | null = addressSpaceLimit(),
  mapped: number | null = virtualBytes(),
  off: boolean = trapHandlerOff(),
): string | null {
  if (context !== null || limit === null || mapped === null) return null;
  const need = off ? Z3_ADDRESS_SPACE.trapHandlerOff : Z3_ADDRESS_SPACE.trapHandlerOn;
  if (limit - mapped >= need) return null;
  const left = Math.max(0, Math.floor((limit - mapped) / MiB));
  const guard = off ? '' : ', with the 10 GiB V8 reserves for the WebAssembly trap handler';
  return `Z3 cannot start under the address-space limit (ulimit -v): it needs about ${need / MiB} MB of address space${guard}, and the limit leaves ${left} MB`;
}

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
