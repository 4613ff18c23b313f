// Under an address-space limit (`ulimit -v`), V8's WebAssembly trap handler is in the way of Z3. To check memory
// accesses with guard pages instead of compares, V8 reserves about 10 GiB of address space for every
// WebAssembly memory, whatever its size: Z3 (z3-solver 5.2, a fixed shared memory of 2 GiB) then needs about
// 13 GB of address space in all, and the SMT engine could not start under `ulimit -v 8000000`. Node's
// --disable-wasm-trap-handler makes V8 check bounds with compares and reserve only the memory itself (about
// 4.5 GB in all then; docs/smt.md has the figures). The flag is read only when Node starts, so a `check
// --engine smt` under such a limit runs itself again with it, passing its standard streams, exit code and
// signals through.
// Only that command: without the trap handler, a memory that declares no maximum (the explicit engine's)
// reserves 4 GiB, which under the same limit leaves the explicit engine less room than its JavaScript fallback
// has with the handler on; `--engine both` and `gate` run as they are, and the SMT engine ends inconclusive
// there, saying why (smt/z3.ts, z3StartProblem).

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { addressSpaceLimit } from '../checker/explicit/memory.js';
import { NO_TRAP_HANDLER, trapHandlerOff } from '../checker/smt/z3.js';

/** Address-space limits at or above this leave room for the trap handler's reservations. */
const ROOM_FOR_TRAP_HANDLER = 64 * 1024 ** 3;

/** Whether the command line is `check` with `--engine smt` (the last `--engine`, when several are given). */
export function checksWithSmtOnly(args: readonly string[]): boolean {
  const words = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '--color' && args[i - 1] !== '--engine');
  if (words[0] !== 'check') return false;
  let engine: string | undefined;
  args.forEach((a, i) => {
    if (a === '--engine') engine = args[i + 1];
    else if (a.startsWith('--engine=')) engine = a.slice('--engine='.length);
  });
  return engine === 'smt';
}

/**
 * Whether the CLI should run again with NO_TRAP_HANDLER: `check --engine smt` under an address-space limit too
 * small for the trap handler's reservations, with a Node that knows the flag, and not given it already (in its
 * arguments or NODE_OPTIONS).
 */
export function needsRerun(args: readonly string[], limit: number | null, execArgv: readonly string[], nodeOptions: string | undefined, supported: boolean): boolean {
  return checksWithSmtOnly(args) && limit !== null && limit < ROOM_FOR_TRAP_HANDLER && supported && !trapHandlerOff(execArgv, nodeOptions);
}

/** The exit code of the CLI (arguments `args`) run again with NO_TRAP_HANDLER, or null when it runs as it is. */
export function rerunWithoutTrapHandler(args: readonly string[]): Promise<number> | null {
  const supported = process.allowedNodeEnvironmentFlags.has(NO_TRAP_HANDLER);
  if (!needsRerun(args, addressSpaceLimit(), process.execArgv, process.env.NODE_OPTIONS, supported)) return null;
  const child = spawn(process.execPath, [...process.execArgv, NO_TRAP_HANDLER, ...process.argv.slice(1)], { stdio: 'inherit' });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`schedcheck: cannot run again without the WebAssembly trap handler: ${error.message}\n`);
      resolve(4);
    });
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      // Killed by a signal: end the same way, so that whoever waits on this process sees it (or, for a signal
      // Node ignores, with the code a shell gives it).
      if (signal !== null) process.kill(process.pid, signal);
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
