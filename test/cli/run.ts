// `schedcheck check ...` run as a user runs it: the real yargs declarations, in a child process, from the
// repository's root.

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'src/cli/main.ts');
/** tsx by its path, so that a child started in another directory finds it. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export function schedcheck(...args: string[]): { code: number | null; out: string; err: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'check', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

/** Seconds are the only part of a report that changes from run to run. */
export const untimed = (text: string): string => text.replace(/\d+\.\d\d s\)?$/gm, 'T s');

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
}

/** Any `schedcheck` command line, in a child process (from the repository's root unless `cwd` says otherwise). */
export function cli(args: string[], options: RunOptions = {}): { code: number | null; out: string; err: string } {
  const env = { ...process.env, ...options.env };
  delete env.FORCE_COLOR;
  const child = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env,
    input: options.input,
  });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

export { ROOT, MAIN, TSX };
