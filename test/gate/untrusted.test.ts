// Plans are untrusted input: CI runs the plans of whatever branch it is given. A plan's models must be regular
// `.sched` files of at most 1 MiB inside the plan's repository, and the lines of a file that is not a model are
// never shown. A model named on the command line is read only when it is a regular file.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gateCommand } from '../../src/cli/commands/gate.js';
import { loadPlans, planRepository } from '../../src/checker/gate.js';
import { loadModel } from '../../src/lang/load.js';

const MODEL = 'machine x86_64 { cpus 1 }\nthread t on 0 { loop { work } }\nexpect no-deadlock holds\n';
const SECRET = 'AWS_SECRET_ACCESS_KEY=do-not-print-me\n';

let root = '';
let outside = '';
const plan = (text: string): string => {
  const path = join(root, 'specs', `p${Math.random().toString(36).slice(2)}.plan`);
  writeFileSync(path, text);
  return path;
};
const block = (path: string): string => `model ${path}\nexpect no-deadlock holds\n`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'schedcheck-repo-'));
  outside = mkdtempSync(join(tmpdir(), 'schedcheck-outside-'));
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'specs'));
  mkdirSync(join(root, 'models'));
  mkdirSync(join(root, 'models', 'dir.sched'));
  writeFileSync(join(root, 'models', 'm.sched'), MODEL);
  writeFileSync(join(root, 'models', '.env'), SECRET);
  writeFileSync(join(root, 'models', 'big.sched'), `${MODEL}//${'x'.repeat(1024 * 1024)}\n`);
  writeFileSync(join(outside, 'secret.sched'), SECRET);
  symlinkSync(join(outside, 'secret.sched'), join(root, 'models', 'link.sched'));
  symlinkSync('/dev/zero', join(root, 'models', 'zero.sched'));
  execFileSync('mkfifo', [join(root, 'models', 'fifo.sched')]);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

function codes(planFile: string): string[] {
  return loadPlans([planFile]).diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col}`);
}

describe('models named by a plan', () => {
  it('is the repository of the plan: the nearest folder with .git', () => {
    expect(planRepository(join(root, 'specs', 'x.plan'))).toMatch(/schedcheck-repo-/);
  });

  it('loads a model inside the repository', () => {
    const loaded = loadPlans([plan(block('../models/m.sched'))]);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.checks).toHaveLength(1);
  });

  it.each([
    ['../../../../../../../../etc/passwd', 'G207'],
    ['/etc/shadow', 'G207'],
    ['/proc/self/environ', 'G207'],
    ['/dev/zero', 'G207'],
    ['../models/link.sched', 'G207'], // a symbolic link out of the repository
    ['../models/zero.sched', 'G207'], // a symbolic link to a device
    ['../models/fifo.sched', 'G208'], // would block a plain read forever
    ['../models/dir.sched', 'G208'],
    ['../models/.env', 'G208'],
    ['../models/big.sched', 'G208'],
    ['../models/missing.sched', 'G201'],
  ])('refuses %s with %s at the path, without showing its lines', async (path, code) => {
    const file = plan(block(path));
    expect(codes(file)).toEqual([`${code} 1:7`]);
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await gateCommand({ plans: [file], format: 'text' })).toBe(2);
    expect(err).toContain(`error ${code}: `);
    expect(err).not.toMatch(/root:|do-not-print-me|AWS_/);
  });
});

describe('a plan that checks nothing', () => {
  it.each([[''], ['# only a comment\n'], ['timeout 10\n']])('fails the gate with G209: %j', async (text) => {
    const file = plan(text);
    expect(codes(file)).toEqual(['G209 1:1']);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await gateCommand({ plans: [file], format: 'text' })).toBe(2);
  });
});

describe('a model named on the command line', () => {
  it.each([['/dev/zero'], ['fifo']])('is refused with E603 when it is not a regular file: %s', (name) => {
    const file = name === 'fifo' ? join(root, 'models', 'fifo.sched') : name;
    const { diagnostics, program } = loadModel(file, []);
    expect(program).toBeNull();
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([
      'E603 1:1 Cannot read the model file (not a regular file).',
    ]);
  });
});
