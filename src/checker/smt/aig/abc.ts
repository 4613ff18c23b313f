// ABC's `pdr` (IC3/property directed reachability, Berkeley's ABC, Debian package `berkeley-abc`) run as a child
// process on an AIGER file: its verdict, and on a proof the inductive invariant it dumps (`pdr -d`), as clauses
// over the file's latches. The invariant proves nothing here on ABC's word: certificate.ts checks it with Z3.
//
// The run has a hard time limit: ABC is given it (`pdr -T`), and is killed a few seconds after it if it has not
// ended by then. ABC's messages are its own and may change between versions; what is read from them is the
// verdict line and the file of clauses, whose format (a PLA: `.ilb` names the latches, one cube per line, the
// invariant is the conjunction of the cubes' negations) is that of ABC's Pdr_ManDumpClauses.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The command that runs ABC (Debian's name for it). */
export const ABC_COMMAND = 'berkeley-abc';

/** Seconds ABC gets past its own time limit before it is killed. */
const KILL_GRACE_SECONDS = 5;

/** A literal of a cube: latch `latch` of the AIGER file has value `value`. */
export interface CubeLit {
  latch: number;
  value: boolean;
}

export type PdrResult =
  | { verdict: 'proved'; invariant: CubeLit[][]; seconds: number }
  /** ABC found the output reachable in `frame` (the state after `frame` steps, where the output is evaluated). */
  | { verdict: 'counterexample'; frame: number; seconds: number }
  | { verdict: 'undecided'; why: string; seconds: number }
  /** ABC is not installed, or failed: `why` says what it said. */
  | { verdict: 'unavailable'; why: string; seconds: number };

/** Runs `pdr` on a one-output AIGER file within `timeoutSeconds` (a whole number of seconds, at least 1). */
export async function runPdr(aiger: Uint8Array, timeoutSeconds: number): Promise<PdrResult> {
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'schedcheck-pdr-'));
  try {
    const model = join(dir, 'model.aig');
    const inv = join(dir, 'inv.pla');
    writeFileSync(model, aiger);
    const limit = Math.max(1, Math.ceil(timeoutSeconds));
    const run = await runAbc([`read_aiger ${model}`, `pdr -v -d -I ${inv} -T ${limit}`], limit + KILL_GRACE_SECONDS);
    if (run.error !== null) return { verdict: 'unavailable', why: run.error, seconds: seconds() };
    const out = run.stdout;
    const cex = /Output 0 of miter .* was asserted in frame (\d+)/.exec(out);
    if (cex !== null) return { verdict: 'counterexample', frame: Number(cex[1]), seconds: seconds() };
    if (/Property proved/.test(out)) {
      try {
        return { verdict: 'proved', invariant: parseInvariant(readFileSync(inv, 'utf8')), seconds: seconds() };
      } catch (error) {
        return { verdict: 'unavailable', why: `ABC's invariant cannot be read: ${error instanceof Error ? error.message : String(error)}`, seconds: seconds() };
      }
    }
    if (run.killed) {
      // With -v, pdr prints a line per frame as it goes: `  47 : ... clauses ... time`.
      const frames = [...out.matchAll(/^\s*(\d+) : /gm)];
      const frame = frames.length === 0 ? '' : `, in frame ${frames.at(-1)![1]}`;
      return { verdict: 'undecided', why: `ABC's pdr did not stop at its time limit (${limit} s) and was stopped${frame}`, seconds: seconds() };
    }
    const timeout = /Reached timeout \((\d+) seconds\) in frame (\d+)/.exec(out);
    if (timeout !== null) return { verdict: 'undecided', why: `ABC's pdr reached its time limit (${limit} s) in frame ${timeout[2]}`, seconds: seconds() };
    if (/UNDECIDED/.test(out)) return { verdict: 'undecided', why: "ABC's pdr ended undecided", seconds: seconds() };
    return { verdict: 'unavailable', why: `ABC gave no verdict: ${lastLine(out + run.stderr)}`, seconds: seconds() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The clauses of an invariant ABC dumped: one cube per line of the PLA, over the latches `.ilb` names. */
export function parseInvariant(pla: string): CubeLit[][] {
  let names: number[] | null = null;
  const cubes: CubeLit[][] = [];
  for (const raw of pla.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('.ilb')) {
      names = line
        .split(/\s+/)
        .slice(1)
        .map((n) => {
          const m = /^lo(\d+)$/.exec(n);
          if (m === null) throw new Error(`ABC's invariant names a latch ${n}`);
          return Number(m[1]);
        });
      continue;
    }
    if (line.startsWith('.')) continue;
    const [cube, out] = line.split(/\s+/);
    if (names === null || cube === undefined || out !== '1' || cube.length !== names.length) throw new Error(`ABC's invariant has a line ${line}`);
    const lits: CubeLit[] = [];
    for (let i = 0; i < cube.length; i++) {
      const c = cube[i];
      if (c === '-') continue;
      if (c !== '0' && c !== '1') throw new Error(`ABC's invariant has a line ${line}`);
      lits.push({ latch: names[i]!, value: c === '1' });
    }
    cubes.push(lits);
  }
  return cubes;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 200);
}

interface AbcRun {
  stdout: string;
  stderr: string;
  killed: boolean;
  /** ABC could not be started. */
  error: string | null;
}

function runAbc(commands: string[], killAfterSeconds: number): Promise<AbcRun> {
  return new Promise((resolve) => {
    const child = spawn(ABC_COMMAND, ['-c', commands.join('; ')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterSeconds * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, killed, error: `${ABC_COMMAND} could not be started (${e.message})` });
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr, killed, error: null });
    });
  });
}
