// `check --workers N` as a user runs it, from dist/ (built by `npm ci`), where the worker threads load the built
// shard worker: a search past 20,000 states goes on over two threads and reports what one thread reports.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { cli } from './run.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MAIN = join(ROOT, 'dist/src/cli/main.js');

function built(...args: string[]): { code: number | null; out: string; err: string } {
  const child = spawnSync(process.execPath, [MAIN, 'check', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

describe('check --workers', () => {
  it('a search of 712,722 states over two threads reports what one thread reports', () => {
    const args = ['models/forkexec-004/redesign-need-resched.sched', '--set', 'CPUS=2', '--set', 'THREADS=3', '--property', 'stack-integrity', '--property', 'atomic-sleep', '--format', 'json'];
    const one = built(...args, '--workers', '1');
    const two = built(...args, '--workers', '2');
    expect([one.code, two.code]).toEqual([0, 0]);
    const results = (out: string) => (JSON.parse(out) as { results: { verdict: string; stats: { seconds: number } }[] }).results.map((r) => ({ ...r, stats: { ...r.stats, seconds: 0 } }));
    expect(results(two.out)).toEqual(results(one.out));
    expect(results(one.out)[0]).toMatchObject({ verdict: 'holds', stats: { states: 712_722, transitions: 2_118_450 } });
  }, 60_000);

  it('under an address-space limit (ulimit -v) runs in one thread, saying so, where starting a thread could end the process', () => {
    const args = ['models/forkexec-004/redesign-need-resched.sched', '--set', 'CPUS=2', '--set', 'THREADS=3', '--property', 'stack-integrity', '--workers', '2'];
    const quoted = [MAIN, 'check', ...args].map((a) => `'${a}'`).join(' ');
    const child = spawnSync('bash', ['-c', `ulimit -v 2000000; exec '${process.execPath}' ${quoted}`], { cwd: ROOT, encoding: 'utf8' });
    expect([child.status, child.stderr]).toEqual([0, 'schedcheck: note: --workers 2: the search ran in one thread: an address-space limit (ulimit -v) is in effect\n']);
    expect(child.stdout).toMatch(/^Explored: 712722 states, 2118450 transitions, depth 142, /m);
  }, 60_000);

  it('an error in the shard of this thread is an internal error of the check (E000), not an unhandled rejection', async () => {
    const { checkModelFile } = await import('../../src/checker/check.js');
    const { Shard } = await import('../../src/checker/explicit/partition.js');
    let levels = 0;
    const step = Shard.prototype.step;
    const spy = vi.spyOn(Shard.prototype, 'step').mockImplementation(function (this: InstanceType<typeof Shard>, ...a: Parameters<typeof step>) {
      if (this.spec.shard === 0 && ++levels === 3) throw new Error('a fault in shard 0');
      return step.apply(this, a);
    });
    try {
      const r = await checkModelFile('models/forkexec-004/redesign-need-resched.sched', ['CPUS=2', 'THREADS=3'], { properties: ['stack-integrity'], workers: 2, progress: false });
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(['E000 Internal error in the checker: a fault in shard 0']);
    } finally {
      spy.mockRestore();
    }
  }, 60_000);

  it('the worker threads load one bundled file, which imports nothing but Node built-ins', () => {
    const bundle = readFileSync(join(ROOT, 'dist/src/checker/explicit/shardworker.bundle.js'), 'utf8');
    const imported = [...bundle.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
    expect(imported.filter((name) => !name.startsWith('node:'))).toEqual([]);
    expect(bundle).toContain('new Shard(spec)');
  });

  it('asked for by name, workers a check cannot use say why on stderr; the default and a partitioned search say nothing', () => {
    // 32,900 states: past the handover, but no-deadlock and no-starvation need the state graph.
    const args = ['check', 'models/aarch64-003/context-switch-lock.sched', '--set', 'CPUS=2', '--set', 'THREADS=3'];
    const graph = ['--property', 'no-deadlock', '--property', 'stack-integrity', '--property', 'no-starvation'];
    const named = cli([...args, ...graph, '--workers', '2']);
    expect(named.code).toBe(0);
    expect(named.err).toBe('schedcheck: note: --workers 2: the search ran in one thread: no-deadlock, no-starvation need the whole state graph\n');
    const hashed = cli([...args, '--workers', '2', '--property', 'stack-integrity', '--hash-compaction']);
    expect(hashed.err).toBe('schedcheck: note: --workers 2: the search ran in one thread: hash compaction runs in one thread\n');
    expect(cli([...args, ...graph]).err).toBe('');
    expect(cli([...args, '--workers', '2', '--property', 'stack-integrity', '--property', 'lock-order']).err).toBe('');
  }, 60_000);

  it('refuses a worker count that is not 1 to 256, exit 2', () => {
    for (const [n, message] of [['0', '--workers is between 1 and 256'], ['257', '--workers is between 1 and 256'], ['1.5', '--workers needs a non-negative whole number']]) {
      const r = cli(['check', 'models/aethelos-001/lock-contention.sched', '--workers', n!]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
    }
  });
});
