// The one Z3 context of the process. z3-solver leaks about 10 MiB per Context, so it is created once and kept;
// every solver is released after its check; checks run one at a time through a promise queue (the wasm build
// runs one check per context at a time anyway, and an interrupt must reach the check it was meant for).
// Z3 runs a check on a worker thread while the main thread's garbage collector may release what the bindings
// created: releases are held back while a check runs (`holdReleasesDuringChecks`), and models are released
// explicitly right after use (`withModel`).
// `timeout` is soft in Z3 (it is polled only at safe points), so a deadline is enforced with ctx.interrupt()
// from a timer: the check then returns 'unknown'. Some of Z3's work does not poll the interrupt either (parts of
// its preprocessing): a check still running HARD_GRACE_MS after its deadline is given up (`checkBy` answers
// 'unknown' and lets it finish on its worker thread), and until it has finished every other call into Z3 throws
// Z3Busy, which the engine takes as the deadline reached. A process does not wait for Z3's worker thread to exit.

import type { Bool, Context, Model, Solver } from 'z3-solver';
import { addressSpaceLimit, virtualBytes } from '../explicit/memory.js';
import { OutOfBudget } from './budget.js';

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
  const held: (() => void)[] = [];
  for (const [name, f] of Object.entries(api)) {
    if (typeof f !== 'function') continue;
    // Made to be called while Z3 works: the interrupt, and the error code the bindings read after it.
    if (name === 'interrupt' || name === 'get_error_code' || name === 'get_error_msg') continue;
    if (name === 'dec_ref' || name.endsWith('_dec_ref')) {
      api[name] = (...args: unknown[]): unknown => {
        if (running === 0) return f(...args);
        held.push(() => f(...args));
        return undefined;
      };
    } else if (f.constructor.name === 'AsyncFunction') {
      api[name] = async (...args: unknown[]): Promise<unknown> => {
        if (givenUp) throw new Z3Busy();
        running++;
        try {
          return await f(...args);
        } finally {
          running--;
          if (running === 0) {
            givenUp = false;
            for (const release of held.splice(0)) release();
          }
        }
      };
    } else {
      api[name] = (...args: unknown[]): unknown => {
        if (givenUp) throw new Z3Busy();
        return f(...args);
      };
    }
  }
}

/** Asynchronous calls into Z3 running on its worker thread. */
let running = 0;
/** Whether one of them is a check given up at its hard deadline (checkBy): until it ends, Z3 is not called. */
let givenUp = false;

/**
 * Thrown by a call into Z3 while a check given up at its deadline still runs: the deadline has passed, and the
 * engine ends as it does when the budget is spent.
 */
export class Z3Busy extends OutOfBudget {}

/**
 * Resolves when no call into Z3 is running. A check given up is interrupted again and again meanwhile: an
 * interrupt that came before Z3 began the check is lost, and nobody wants its answer.
 */
export async function z3Idle(): Promise<void> {
  if (running === 0) return;
  const ctx = await z3();
  while (running > 0) {
    if (givenUp) ctx.interrupt();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Run `task` when every earlier task has finished, and Z3 has finished any check one of them gave up; tasks never
 * overlap.
 */
export function exclusive<T>(task: (ctx: Z3) => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    const ctx = await z3();
    await z3Idle();
    return task(ctx);
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Milliseconds past the deadline given to Z3's own soft timeout before the hard interrupt. */
const INTERRUPT_GRACE_MS = 50;

/** Milliseconds past the deadline after which a check that the interrupt has not stopped is given up. */
export const HARD_GRACE_MS = 500;

/**
 * The deadline of the whole SMT run in progress (check.ts; runs never overlap), or undefined outside one. A check
 * with a deadline of its own before it (the invariant search takes half the time left) is interrupted at its own
 * deadline but given up only at the run's: Z3 does one thing at a time, and a check given up early would leave
 * the rest of the run without Z3. Without a --timeout (null) a check is never given up.
 */
let runDeadline: number | null | undefined;

/** How to give up each check that checkBy is waiting on. */
const giving = new Set<() => void>();

/**
 * Gives up the checks running now, as their deadline would (the memory watchdog's last resort, when its
 * interrupt has gone unheard for HARD_GRACE_MS).
 */
export function giveUpChecks(): void {
  for (const now of [...giving]) now();
}

/** Runs `task` as the SMT run with deadline `deadline` (see runDeadline). */
export async function asRun<T>(deadline: number | null, task: () => Promise<T>): Promise<T> {
  runDeadline = deadline;
  try {
    return await task();
  } finally {
    runDeadline = undefined;
  }
}

export type SatResult = 'sat' | 'unsat' | 'unknown';

/**
 * `solver.check()` that ends by `deadline` (a Date.now() value; null = none): the soft timeout is set to the
 * time left, a timer interrupts the context shortly after it in case Z3 does not poll in time, and a check still
 * running HARD_GRACE_MS after the deadline (the run's, within a run: see runDeadline) is given up: the answer is
 * 'unknown', and Z3 finishes it on its worker thread while every other call into it throws Z3Busy.
 */
export async function checkBy(
  ctx: Z3,
  solver: Z3Solver,
  deadline: number | null,
  assumptions: Bool<'main'>[] = [],
): Promise<SatResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (deadline !== null) {
    const left = deadline - Date.now();
    if (left <= 0) return 'unknown';
    solver.set('timeout', Math.max(1, Math.floor(left)));
    timer = setTimeout(() => ctx.interrupt(), left + INTERRUPT_GRACE_MS);
  }
  const giveUpAt = runDeadline === undefined ? deadline : runDeadline;
  let hard: ReturnType<typeof setTimeout> | undefined;
  let now: (() => void) | undefined;
  const giveUp = new Promise<'unknown'>((resolve) => {
    now = () => {
      if (running > 0) givenUp = true;
      resolve('unknown');
    };
    giving.add(now);
    if (giveUpAt !== null) hard = setTimeout(now, Math.max(0, giveUpAt - Date.now()) + HARD_GRACE_MS);
  });
  const check = solver.check(...assumptions);
  check.catch(() => undefined); // a check given up may still fail when it ends: nobody waits for it then
  try {
    return await Promise.race([check, giveUp]);
  } finally {
    clearTimeout(timer);
    clearTimeout(hard);
    giving.delete(now!);
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
