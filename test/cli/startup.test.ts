// A command loads what it runs, not every command's libraries: the built command line (dist/, built by `npm ci`)
// under a module hook that refuses the language server's library and the reference kernel's modules. A check
// never asks for them; the language server and `kernel run` do, which shows the hook in force.

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'dist/src/cli/main.js');

const REFUSE = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('vscode-languageserver')) throw new Error('refused: ' + specifier);
  const resolved = await next(specifier, context);
  if (resolved.url.includes('/dist/src/kernel/')) throw new Error('refused: the reference kernel');
  return resolved;
}`;
const HOOK = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(REFUSE)}`)});`)}`;

function refusing(...args: string[]): { code: number | null; out: string; err: string } {
  const child = spawnSync(process.execPath, ['--import', HOOK, MAIN, ...args], { cwd: ROOT, encoding: 'utf8', input: '' });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

describe('a command loads only its own modules', () => {
  it('check runs without the language server library and the reference kernel; lsp and kernel run cannot start without them', () => {
    const check = refusing('check', 'models/aethelos-001/spin-mutex-loom.sched', '--property', 'no-deadlock', '--format', 'json');
    expect(check.err).toBe('');
    expect(check.code).toBe(1);
    expect((JSON.parse(check.out) as { results: { verdict: string }[] }).results.map((r) => r.verdict)).toEqual(['violated']);
    const lsp = refusing('lsp', '--stdio');
    expect(lsp.code).toBe(4);
    expect(lsp.err).toMatch(/^schedcheck: internal error: refused: vscode-languageserver/);
    const kernel = refusing('kernel', 'run');
    expect(kernel.code).toBe(4);
    expect(kernel.err).toBe('schedcheck: internal error: refused: the reference kernel\n');
  }, 30_000);
});
