// Progress of a long search where stderr is not a terminal (a CI log): plain lines, with thousands separators.
// The interval is 10 s; SCHEDCHECK_PROGRESS_SECONDS shortens it so that a one-second run shows it.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, MAIN, ROOT, TSX } from './run.js';

const CONTENTION = 'models/aethelos-001/lock-contention.sched';
const LINE = /^schedcheck: progress: \d{1,3}(,\d{3})* states, \d{1,3}(,\d{3})* states\/s, queue \d{1,3}(,\d{3})*, depth \d+, \d{1,3}(,\d{3})* MB, \d+:\d\d elapsed$/;
const CHECKING = /^schedcheck: progress: checking ([a-z-]+) over \d{1,3}(?:,\d{3})* states, \d{1,3}(?:,\d{3})* MB, \d+:\d\d elapsed$/;

describe('progress in a log', () => {
  it('check writes plain progress lines on stderr, the report on stdout untouched', () => {
    const env = { SCHEDCHECK_PROGRESS_SECONDS: '0.02' };
    // A search of a few tenths of a second: long enough for several lines at any speed of the machine.
    const r = cli(['check', 'models/forkexec-004/redesign-need-resched.sched', '--set', 'CPUS=2', '--set', 'THREADS=3', '--property', 'assertions'], { env });
    expect(r.code).toBe(0);
    const lines = r.err.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(LINE);
    expect(r.out).not.toContain('progress');
    expect(r.err).not.toContain('\r');
  });

  it('goes on while the properties that judge the whole state graph are checked, naming each', () => {
    const env = { SCHEDCHECK_PROGRESS_SECONDS: '0.001' };
    const r = cli(['check', 'models/forkexec-004/redesign-need-resched.sched', '--set', 'CPUS=2', '--set', 'THREADS=3', '--property', 'no-deadlock', '--property', 'no-starvation'], { env });
    expect(r.code).toBe(0);
    const lines = r.err.trimEnd().split('\n');
    const checking = lines.filter((line) => !LINE.test(line));
    for (const line of checking) expect(line).toMatch(CHECKING);
    // After the search's lines, in the order the properties are checked: no-deadlock's, then no-starvation's.
    expect(lines.indexOf(checking[0]!)).toBe(lines.length - checking.length);
    const named = [...new Set(checking.map((line) => CHECKING.exec(line)![1]))];
    expect(named).toEqual(['no-deadlock', 'no-starvation']);
    for (const line of checking) expect(line).toContain(' over 712,722 states, ');
  });

  it('is silent for a run shorter than the interval (10 s by default)', () => {
    const r = cli(['check', CONTENTION, '--set', 'THREADS=3', '--property', 'assertions']);
    expect([r.code, r.err]).toEqual([0, '']);
  });

  it('the gate reports a long check the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-progress-'));
    const plan = join(dir, 'p.plan');
    // A plan names models inside its own repository (G207): a copy beside it.
    copyFileSync(join(process.cwd(), CONTENTION), join(dir, 'm.sched'));
    writeFileSync(plan, `model m.sched\nconfig THREADS=3\nexpect assertions holds\n`);
    const r = cli(['gate', plan], { env: { SCHEDCHECK_PROGRESS_SECONDS: '0.02' } });
    expect(r.code).toBe(0);
    for (const line of r.err.trimEnd().split('\n')) expect(line).toMatch(LINE);
  });
});

describe('progress on a terminal', () => {
  it('one live line, redrawn in place, with memory and elapsed time, cleared at the end', () => {
    const command = [process.execPath, '--import', TSX, MAIN, 'check', CONTENTION, '--set', 'THREADS=3', '--property', 'assertions']
      .map((a) => `'${a}'`)
      .join(' ');
    // util-linux `script` gives the command a terminal; stdout goes to a file so that only stderr reaches it.
    const out = join(mkdtempSync(join(tmpdir(), 'schedcheck-tty-')), 'report.txt');
    const r = spawnSync('script', ['-qec', `${command} > '${out}'`, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SCHEDCHECK_PROGRESS_SECONDS: '0.02' },
    });
    expect(r.status).toBe(0);
    const redraws = r.stdout.split('\r\x1b[K');
    expect(redraws.length).toBeGreaterThan(2);
    for (const line of redraws.slice(1, -1)) expect(`schedcheck: progress: ${line}`).toMatch(LINE);
    expect(redraws.at(-1)).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('  assertions  holds');
  });
});
