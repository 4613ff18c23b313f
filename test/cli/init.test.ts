// `schedcheck init` writes a commented starter model that checks clean, on either architecture, and never
// overwrites a file.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './run.js';

const ALL_HOLD = [
  'no-deadlock', 'stack-integrity', 'lock-order', 'irq-lock-safety', 'eoi-discipline', 'atomic-sleep', 'no-starvation', 'irq-latency', 'assertions',
].map((p) => [p, 'holds']);

describe('schedcheck init', () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedcheck-init-'));

  it('writes model.sched by default, which checks clean: every property holds, exit 0', () => {
    const r = cli(['init'], { cwd: dir });
    expect([r.code, r.out, r.err]).toEqual([0, 'schedcheck: wrote model.sched (x86_64, 1 CPU); check it with: schedcheck check model.sched\n', '']);
    const text = readFileSync(join(dir, 'model.sched'), 'utf8');
    expect(text).toMatch(/^\/\/ A starter model for schedcheck/);
    expect(text).toContain('machine x86_64 {');
    const checked = cli(['check', 'model.sched', '--format', 'json'], { cwd: dir });
    expect(checked.code).toBe(0);
    const results = (JSON.parse(checked.out) as { results: { property: string; verdict: string }[] }).results;
    expect(results.map((x) => [x.property, x.verdict])).toEqual(ALL_HOLD);
    expect(cli(['check', '--expect', 'model.sched'], { cwd: dir }).code).toBe(0);
  });

  it('--arch aarch64 --cpus 2 checks clean too', () => {
    const file = join(dir, 'arm.sched');
    expect(cli(['init', file, '--arch', 'aarch64', '--cpus', '2']).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('const CPUS = 2 ');
    const checked = cli(['check', file, '--format', 'json']);
    expect(checked.code).toBe(0);
    expect((JSON.parse(checked.out) as { results: { property: string; verdict: string }[] }).results.map((x) => [x.property, x.verdict])).toEqual(ALL_HOLD);
  });

  it('x86_64 on 2 CPUs checks clean, and its comment is right: a spin lock there deadlocks', () => {
    const file = join(dir, 'two.sched');
    expect(cli(['init', file, '--cpus', '2']).code).toBe(0);
    expect(cli(['check', file]).code).toBe(0);
    const spin = join(dir, 'spin.sched');
    writeFileSync(spin, readFileSync(file, 'utf8').replace('lock TICKS : irqsave', 'lock TICKS : spin'));
    const r = cli(['check', spin, '--property', 'no-deadlock']);
    expect(r.code).toBe(1);
  });

  it('never overwrites a file, and refuses a CPU count out of range (exit 2)', () => {
    const file = join(dir, 'kept.sched');
    writeFileSync(file, 'mine\n');
    expect(cli(['init', file])).toEqual({ code: 2, out: '', err: `schedcheck: cannot write ${file}: it exists (init never overwrites a file; name another)\n` });
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    const r = cli(['init', join(dir, 'none.sched'), '--cpus', '0']);
    expect([r.code, r.err]).toEqual([2, "schedcheck: --cpus needs a number of CPUs from 1 to 32\nRun 'schedcheck --help' for usage.\n"]);
    expect(existsSync(join(dir, 'none.sched'))).toBe(false);
  });
});
