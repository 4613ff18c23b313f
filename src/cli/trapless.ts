// Under an address-space limit (`ulimit -v`), V8's WebAssembly trap handler is in the way of every engine. To
// check memory accesses with guard pages instead of compares, V8 reserves about 10 GiB of address space for every
// WebAssembly memory, whatever its size: the explicit engine's memories could not be made (it fell back to the
// slower reference interpreter) and Z3 (z3-solver 5.2, a fixed shared memory of 2 GiB) needs about 13 GB of
// address space in all, so the SMT engine could not start under `ulimit -v 8000000`. Node's
// --disable-wasm-trap-handler makes V8 check bounds with compares and reserve only the memory itself: Z3 then
// needs about 4.5 GB (docs/smt.md has the figures), and the explicit engine's memories declare a maximum within
// the limit (wasmMemoryMaximum in checker/explicit/memory.ts). The flag is read only when Node starts, so the CLI
// under such a limit runs itself again with it, whatever the command (`check` with any engine, `gate`, ...),
// passing its standard streams, exit code and signals through.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { addressSpaceLimit } from '../checker/explicit/memory.js';
import { NO_TRAP_HANDLER, trapHandlerOff } from '../checker/smt/z3.js';

/** Address-space limits at or above this leave room for the trap handler's reservations. */
const ROOM_FOR_TRAP_HANDLER = 64 * 1024 ** 3;

/**
 * Whether the CLI should run again with NO_TRAP_HANDLER: under an address-space limit too small for the trap
 * handler's reservations, with a Node that knows the flag, and not given it already (in its arguments or
 * NODE_OPTIONS).
 */
export function needsRerun(limit: number | null, execArgv: readonly string[], nodeOptions: string | undefined, supported: boolean): boolean {
  return limit !== null && limit < ROOM_FOR_TRAP_HANDLER && supported && !trapHandlerOff(execArgv, nodeOptions);
}

/** The exit code of the CLI run again with NO_TRAP_HANDLER, or null when it runs as it is. */
export function rerunWithoutTrapHandler(): Promise<number> | null {
  const supported = process.allowedNodeEnvironmentFlags.has(NO_TRAP_HANDLER);
  if (!needsRerun(addressSpaceLimit(), process.execArgv, process.env.NODE_OPTIONS, supported)) return null;
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
