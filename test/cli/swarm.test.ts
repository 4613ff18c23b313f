// `check --swarm I/N` and `schedcheck merge` of the jobs' results, as a CI matrix or a job array runs them: each
// job a child process writing its result file, the merge reporting any job's violation (the shortest
// counterexample, replayed on the model), `holds` only from a job that searched every state, else inconclusive.

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkCommand } from '../../src/cli/commands/check.js';
import { mergeCommand } from '../../src/cli/commands/merge.js';
import type { MergeArgs } from '../../src/cli/args.js';
import { cli, ROOT } from './run.js';

let dir = '';
const path = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(path(name), 'utf8');
const run = (args: string[]): ReturnType<typeof cli> => cli(args, { cwd: dir });

const SEVEN = ['no-deadlock', 'stack-integrity', 'lock-order', 'irq-lock-safety', 'eoi-discipline', 'atomic-sleep', 'no-starvation', 'assertions'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-swarm-'));
  copyFileSync(join(ROOT, 'models/aethelos-001/spin-mutex-loom.sched'), path('loom.sched'));
  // Three jobs searching the whole space (207 states), and two stopped at 65 states, where job 3's order reaches
  // the deadlock at depth 8 (its 64th state) and job 4's does not.
  const codes = [1, 2, 3].map((i) => run(['check', 'loom.sched', '--swarm', `${i}/3`, '--output', `j${i}.json`]).code);
  expect(codes).toEqual([1, 1, 1]);
  const bounded = [3, 4].map((i) => run(['check', 'loom.sched', '--property', 'no-deadlock', '--max-states', '65', '--swarm', `${i}/6`, '--output', `b${i}.json`]).code);
  expect(bounded).toEqual([1, 3]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `merge` in this process, from the test's folder (where the jobs' model paths lead). */
async function merge(args: Partial<MergeArgs> & { files: string[] }): Promise<{ code: number; out: string; err: string }> {
  const cwd = process.cwd();
  process.chdir(dir);
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  try {
    const code = await mergeCommand({ format: 'text', ...args });
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
    process.chdir(cwd);
  }
}

describe('check --swarm I/N', () => {
  it("writes the job's result: its search, its figures, a verdict per property", () => {
    const jobs = [1, 2, 3].map((i) => JSON.parse(read(`j${i}.json`)));
    expect(jobs.map((j) => [j.job, j.of, j.search.order, j.search.salt === 0, j.states, j.transitions, j.depth, j.complete])).toEqual([
      [1, 3, 'model', true, 207, 303, 23, true],
      [2, 3, 'shuffled', false, 207, 303, 23, true],
      [3, 3, 'shuffled', false, 207, 303, 23, true],
    ]);
    expect(jobs[0].format).toBe('schedcheck-swarm-job');
    expect(jobs[0].model).toBe('loom.sched');
    expect(jobs[0].properties).toEqual(SEVEN);
    expect(jobs[0].results.map((r: { property: string; verdict: string; length?: number }) => `${r.property} ${r.verdict}${r.length === undefined ? '' : ` ${r.length}`}`)).toEqual([
      'no-deadlock violated 8',
      'stack-integrity holds',
      'lock-order violated 8',
      'irq-lock-safety violated 6',
      'eoi-discipline inconclusive',
      'atomic-sleep holds',
      'no-starvation inconclusive',
      'assertions holds',
    ]);
    const bounded = JSON.parse(read('b4.json'));
    expect([bounded.states, bounded.complete, bounded.results[0].verdict, bounded.results[0].reason, bounded.search.maxStates]).toEqual([65, false, 'inconclusive', 'max-states', 65]);
  });

  it('refuses what a swarm job cannot do (M002) and a value that is not I/N (M001)', async () => {
    const r = run(['check', 'loom.sched', '--swarm', '0/2']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe("schedcheck: error M001: --swarm needs I/N, job I of N with 1 <= I <= N <= 10000, found '0/2'");
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    const base = { property: [], set: [], engine: 'explicit' as const, format: 'text' as const, swarm: '1/2' };
    try {
      expect(await checkCommand({ ...base, models: ['a.sched', 'b.sched'] })).toBe(2);
      expect(await checkCommand({ ...base, models: ['a.sched'], format: 'json' })).toBe(2);
      expect(await checkCommand({ ...base, models: ['a.sched'], engine: 'smt' })).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err.split('\n')).toEqual([
      'schedcheck: error M002: --swarm runs one job of one model\'s search; 2 models are given',
      "schedcheck: error M002: --swarm writes the job's result (JSON) to stdout or --output; --format is not taken with it",
      'schedcheck: error M002: --swarm runs the explicit engine; --engine is not taken with it',
      '',
    ]);
  });
});

describe('schedcheck merge of swarm jobs', () => {
  it('reports every violation with the shortest counterexample, replayed; holds from a complete job; exit 1', () => {
    const r = run(['merge', 'j3.json', 'j1.json', 'j2.json', '--trace', 'cex.itf.json']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out.split('\n').map((l) => l.replace(/: deadlock: .*\(8 steps/, ': deadlock ... (8 steps').replace(/violated: (recursive|inconsistent) .*\((\d) steps/, 'violated: $1 ... ($2 steps'))).toEqual([
      'swarm: loom.sched [-]: 3 of 3 jobs merged',
      '  job 1/3: 207 states, 303 transitions, depth 23, every reachable state (j1.json)',
      '  job 2/3: 207 states, 303 transitions, depth 23, every reachable state (j2.json)',
      '  job 3/3: 207 states, 303 transitions, depth 23, every reachable state (j3.json)',
      'no-deadlock      violated: deadlock ... (8 steps, the shortest, job 1; found by jobs 1, 2, 3; replayed on the model)',
      'stack-integrity  holds (job 1 searched every reachable state, P(fingerprint collision) 1.2e-15)',
      'lock-order       violated: recursive ... (8 steps, the shortest, job 1; found by jobs 1, 2, 3; replayed on the model)',
      'irq-lock-safety  violated: inconsistent ... (6 steps, the shortest, job 1; found by jobs 1, 2, 3; replayed on the model)',
      'eoi-discipline   inconclusive (not-checkable): not checked: it needs the explored state graph, which hash compaction does not keep',
      'atomic-sleep     holds (job 1 searched every reachable state, P(fingerprint collision) 1.2e-15)',
      'no-starvation    inconclusive (not-checkable): not checked: it needs the explored state graph, which hash compaction does not keep',
      'assertions       holds (job 1 searched every reachable state, P(fingerprint collision) 1.2e-15)',
      '',
    ]);
    // The shortest counterexample of all (irq-lock-safety, 6 steps), as job 1 wrote it.
    expect(JSON.parse(read('cex.itf.json'))).toEqual(JSON.parse(read('j1.json')).results[3].counterexample);
  });

  it('a violation only one job reached under the bound is the verdict; without that job, inconclusive (exit 3)', async () => {
    const both = await merge({ files: ['b4.json', 'b3.json'], format: 'json' });
    expect(both.code).toBe(1);
    const merged = JSON.parse(both.out);
    expect(merged.jobs.map((j: { job: number; states: number; complete: boolean }) => [j.job, j.states, j.complete])).toEqual([
      [3, 64, false], // found the deadlock at its 64th state: every property decided, the search ends
      [4, 65, false],
    ]);
    expect(merged.results.map((x: { property: string; verdict: string; job: number; length: number; foundBy: number[] }) => [x.property, x.verdict, x.job, x.length, x.foundBy])).toEqual([
      ['no-deadlock', 'violated', 3, 8, [3]],
    ]);
    const alone = await merge({ files: ['b4.json'] });
    expect(alone.code).toBe(3);
    expect(alone.out.split('\n').slice(1)).toEqual([
      '  job 4/6: 65 states, 84 transitions, depth 8, not every state (a bound, or every property decided) (b4.json)',
      'no-deadlock  inconclusive (max-states): no job searched every reachable state (1 of 6 jobs merged, 5 missing) and none found a violation',
      '',
    ]);
  });

  it('refuses a counterexample the model does not replay (M106), jobs of other swarms (M105), a job twice (M103)', async () => {
    const forged = JSON.parse(read('j2.json'));
    // Step 3 of job 2's deadlock shows another state than the model reaches there.
    forged.results[0].counterexample.states[3].cpus[0].ie = !forged.results[0].counterexample.states[3].cpus[0].ie;
    forged.results[0].length = 1;
    writeFileSync(path('forged.json'), JSON.stringify(forged));
    const bad = await merge({ files: ['j1.json', 'forged.json'] });
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')[0]).toBe(
      'forged.json:1:1: error M106: the no-deadlock counterexample of job 2 does not replay on loom.sched: the state after step 3 is not the one the model reaches',
    );
    const other = await merge({ files: ['j1.json', 'b4.json'] });
    expect(other.code).toBe(2);
    expect(other.err.split('\n')[0]).toBe(
      'b4.json:1:1: error M105: job 4/6 of loom.sched [-] (1 properties) is not of the swarm of j1.json, job 1/3 of loom.sched [-]: the jobs of one merge check one model text with the same constants and properties',
    );
    const tampered = JSON.parse(read('j2.json'));
    tampered.collisionProbability = 'tiny';
    writeFileSync(path('tampered.json'), JSON.stringify(tampered));
    const notProbability = await merge({ files: ['j1.json', 'tampered.json'] });
    expect([notProbability.code, notProbability.err.split('\n')[0]]).toEqual([2, "tampered.json:1:1: error M102: not a swarm job's result: the collision probability is not a probability"]);
    const twice = await merge({ files: ['j1.json', 'j2.json', 'j2.json'] });
    expect(twice.err.split('\n')[0]).toBe('j2.json:1:1: error M103: job 2/3 is given twice (also j2.json)');
    const mixed = await merge({ files: ['j1.json'], junit: 'x.xml' });
    expect(mixed.err.split('\n')[0]).toBe("j1.json:1:1: error M104: swarm jobs' results merge into verdicts (--format, --output, --trace), not into --junit or --sarif");
  });
});
