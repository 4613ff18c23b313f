// `check --spill-dir DIR` as a user runs it: a directory it cannot use is bad usage (M004, exit 2); one it can
// changes nothing a small search reports (its store never leaves its memory), and leaves nothing behind.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, untimed } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'schedcheck-spill-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check --spill-dir', () => {
  it('refuses a directory that does not exist, or a file: M004, exit 2, nothing checked', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    for (const [where, why] of [[join(dir, 'missing'), 'no such directory'], [file, 'not a directory']]) {
      const r = cli(['check', 'models/aethelos-001/lock-contention.sched', '--spill-dir', where!]);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`schedcheck: error M004: --spill-dir ${where}: ${why}\n`);
      expect(r.out).toBe('');
    }
  });

  it('reports what a search without it reports, and leaves the directory empty', () => {
    const args = ['check', 'models/aethelos-001/lock-contention.sched', '--set', 'THREADS=3'];
    const plain = cli(args);
    const spilled = cli([...args, '--spill-dir', dir]);
    expect(spilled.code).toBe(plain.code);
    expect(untimed(spilled.out)).toBe(untimed(plain.out));
    expect(readdirSync(dir).filter((f) => f.startsWith('schedcheck-states-'))).toEqual([]);
  });
});
