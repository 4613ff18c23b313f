// loadModel on files, the `parse` command end to end, and the front end's memory bound on a 10 MB input.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/lang/load.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'schedcheck-load-'));
const GOOD = 'machine x86_64 { cpus 1; irq timer line 0 }\nhandler timer { eoi timer }\nthread main on 0 { work }\n';

/** Run `schedcheck parse ARGS` from source in its own process (the command alone: see run-parse.ts). */
function cli(args: string[], heapMb?: number): { status: number | null; stdout: string; stderr: string } {
  const flags = heapMb ? [`--max-old-space-size=${heapMb}`] : [];
  const script = join(import.meta.dirname, 'run-parse.ts');
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', script, ...args.slice(1)], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loadModel', () => {
  it('reads and checks a file', () => {
    const file = join(dir, 'good.sched');
    writeFileSync(file, GOOD);
    const { diagnostics, program } = loadModel(file, []);
    expect(diagnostics).toEqual([]);
    expect(program!.file).toBe(file);
  });

  it('answers an unreadable file with E603 at 1:1', () => {
    const file = join(dir, 'missing.sched');
    expect(loadModel(file, [])).toEqual({
      diagnostics: [{ code: 'E603', severity: 'error', message: 'Cannot read the model file (ENOENT).', span: { file, line: 1, col: 1, endLine: 1, endCol: 2 } }],
      program: null,
    });
    expect(loadModel(dir, []).diagnostics.map((d) => d.message)).toEqual(['Cannot read the model file (EISDIR).']);
  });
});

describe('schedcheck parse', () => {
  it('prints a summary and exits 0 for a valid model, and the IR with --ir', () => {
    const file = join(dir, 'ok.sched');
    writeFileSync(file, GOOD);
    const plain = cli(['parse', file]);
    const words = loadModel(file, []).program!.layout.words; // the layout is pinned by the golden IR tests
    expect(plain).toEqual({ status: 0, stdout: `${file}: ok (1 threads, 2 units, ${words} state words)\n`, stderr: '' });
    const ir = cli(['parse', file, '--ir']);
    expect(ir.status).toBe(0);
    expect(ir.stdout).toContain(`program ${file}\n`);
    expect(ir.stdout).toContain('  unit 1 handler timer (lines timer), pc 2..3, ');
    expect(ir.stdout).toContain('      0  eoi timer  ');
  });

  it('prints every diagnostic with its source line and exits 2', () => {
    const file = join(dir, 'bad.sched');
    writeFileSync(file, GOOD.replace('work', 'quantm := 1; iret; eret'));
    const r = cli(['parse', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${file}:3:20: error E301: Unknown name 'quantm'.\n` +
        '  thread main on 0 { quantm := 1; iret; eret }\n' +
        '                     ^^^^^^\n' +
        `${file}:3:39: error E501: 'eret' is not available on x86_64; use 'iret'.\n` +
        '  thread main on 0 { quantm := 1; iret; eret }\n' +
        '                                        ^^^^\n',
    );
  });

  it('passes --set through and reports a missing file as E603 with exit 2', () => {
    const file = join(dir, 'set.sched');
    writeFileSync(file, `const N = 1\n${GOOD}thread w[N] { work }\n`);
    const words = loadModel(file, ['N=3']).program!.layout.words;
    expect(cli(['parse', file, '--set', 'N=3']).stdout).toBe(`${file}: ok (4 threads, 3 units, ${words} state words)\n`);
    const missing = cli(['parse', join(dir, 'nope.sched')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('error E603: Cannot read the model file (ENOENT).');
  });

  it('answers a 10 MB model in a 128 MB heap', () => {
    const file = join(dir, 'big.sched');
    writeFileSync(file, `${GOOD}proc big {\n${'work\n'.repeat(2_000_000)}}\n`);
    const r = cli(['parse', file], 128);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`${file}:199978:1: error E520: Model too large: more than 200000 tokens.`);
  });
});
