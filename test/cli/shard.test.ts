// `gate --shard I/N` and `schedcheck merge`, as CI runs them: three shard jobs, each writing its JUnit and SARIF
// reports, merged into exactly the reports of one unsharded gate run (the timings aside).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gateCommand } from '../../src/cli/commands/gate.js';
import { mergeCommand } from '../../src/cli/commands/merge.js';
import { parsePartition } from '../../src/cli/partition.js';
import { cli } from './run.js';

const TICKER = `const CPUS = 1
machine x86_64 { cpus CPUS  irq timer line 0 priority 1 }
thread t[CPUS] on each { sti; loop { work } }
handler timer { work; eoi timer; iret }
expect no-deadlock holds
expect eoi-discipline holds
expect irq-latency holds
`;

/** Claims a deadlock it does not have: a FAIL row, a JUnit failure and a SARIF error at its `expect` line. */
const WRONG = `machine x86_64 { cpus 1  irq timer line 0 priority 1 }
thread t on 0 { sti; loop { work } }
handler timer { work; eoi timer; iret }
expect no-deadlock violated
`;

/** The handler forgets its EOI, as the model says: a SARIF result at level note with its code flow. */
const NO_EOI = `machine x86_64 { cpus 1  irq timer line 0 priority 1 }
thread t on 0 { sti; loop { work } }
handler timer { work; iret }
expect eoi-discipline violated
expect stack-integrity holds
`;

/** Four model configurations: shard 1/3 gets the 1st and 4th, shard 2/3 the 2nd, shard 3/3 the 3rd. */
const PLAN = 'model ticker.sched\nconfig CPUS=1\nconfig CPUS=2\nmodel wrong.sched\nmodel no-eoi.sched\n';

let dir = '';
const path = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(path(name), 'utf8');
const run = (args: string[]): ReturnType<typeof cli> => cli(args, { cwd: dir });
const untimed = (xml: string): string => xml.replace(/ time="\d+\.\d{3}"/g, ' time="T"');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-shard-'));
  writeFileSync(path('ticker.sched'), TICKER);
  writeFileSync(path('wrong.sched'), WRONG);
  writeFileSync(path('no-eoi.sched'), NO_EOI);
  writeFileSync(path('a.plan'), PLAN);
  writeFileSync(path('b.plan'), 'model no-eoi.sched\n');
  expect(run(['gate', 'a.plan', '--junit', 'all.xml', '--sarif', 'all.sarif']).code).toBe(1);
  const codes = [1, 2, 3].map((i) => run(['gate', 'a.plan', '--shard', `${i}/3`, '--junit', `s${i}.xml`, '--sarif', `s${i}.sarif`]).code);
  expect(codes).toEqual([0, 0, 1]); // wrong.sched, the FAIL, is the 3rd configuration
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gate --shard I/N', () => {
  it('records a digest of what decides the results: shards of another model text or other bounds do not merge', () => {
    const digest = (name: string): string => read(name).split('\n')[1]!.replace(/^.* plans ([0-9a-f]{16}) -->$/, '$1');
    writeFileSync(path('c.plan'), 'model no-eoi.sched\n');
    expect(run(['gate', 'c.plan', '--shard', '1/2', '--junit', 'c1.xml']).code).toBe(0);
    writeFileSync(path('c.plan'), 'model no-eoi.sched\nmax-states 100000\n');
    expect(run(['gate', 'c.plan', '--shard', '1/2', '--junit', 'c2.xml']).code).toBe(0);
    writeFileSync(path('c.plan'), 'model no-eoi.sched\n');
    writeFileSync(path('no-eoi.sched'), `${NO_EOI}// edited\n`);
    try {
      expect(run(['gate', 'c.plan', '--shard', '1/2', '--junit', 'c3.xml']).code).toBe(0);
    } finally {
      writeFileSync(path('no-eoi.sched'), NO_EOI);
    }
    expect(run(['gate', 'c.plan', '--shard', '1/2', '--junit', 'c4.xml']).code).toBe(0);
    expect(new Set(['c1.xml', 'c2.xml', 'c3.xml'].map(digest)).size).toBe(3);
    expect(digest('c4.xml')).toBe(digest('c1.xml'));
  });

  it('deals the model configurations round robin and records the shard in its reports', () => {
    const suites = (name: string): string[] => [...read(name).matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1]!);
    expect(suites('s1.xml')).toEqual(['ticker.sched [CPUS=1]', 'no-eoi.sched [-]']);
    expect(suites('s2.xml')).toEqual(['ticker.sched [CPUS=2]']);
    expect(suites('s3.xml')).toEqual(['wrong.sched [-]']);
    expect(read('s2.xml').split('\n')[1]).toMatch(/^<!-- schedcheck gate shard 2\/3: configurations 4, plans [0-9a-f]{16} -->$/);
    const record = JSON.parse(read('s1.sarif')).runs[0].properties.schedcheckShard;
    expect(record).toMatchObject({ shard: 1, of: 3, configurations: 4, results: [0, 1], notifications: [1, 0] });
  });

  it('prints the shard in the summary line', () => {
    const r = run(['gate', 'a.plan', '--shard', '2/3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^gate shard 2\/3: 3 checks over 1 model configurations: 2 as expected, 0 FAILED, 1 not yet checkable \(\d+\.\d s\)$/m);
  });

  it('refuses a value that is not I/N with 1 <= I <= N: M001, exit 2, nothing run', () => {
    const r = run(['gate', 'a.plan', '--shard', '4/3']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe("schedcheck: error M001: --shard needs I/N, job I of N with 1 <= I <= N <= 10000, found '4/3'");
    for (const bad of ['0/3', '3', 'a/b', '1/0', '01/3', '1/3/3', '1/10001', ' 1/3']) expect(parsePartition(bad), bad).toBeNull();
    expect(parsePartition('3/3')).toEqual({ index: 3, of: 3 });
    expect(parsePartition('1/10000')).toEqual({ index: 1, of: 10000 });
  });
});

describe('schedcheck merge', () => {
  it('merges the shards into the unsharded reports: JUnit up to the timings, SARIF byte for byte; exit 1 as the gate', () => {
    const r = run(['merge', 's3.xml', 's1.sarif', 's2.xml', 's1.xml', 's3.sarif', 's2.sarif', '--junit', 'm.xml', '--sarif', 'm.sarif']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(untimed(read('m.xml'))).toBe(untimed(read('all.xml')));
    expect(read('m.sarif')).toBe(read('all.sarif'));
    const xml = read('m.xml');
    expect(xml.split('\n').slice(0, 2)).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      expect.stringMatching(/^<testsuites name="schedcheck gate" tests="9" failures="1" errors="0" skipped="2" time="\d+\.\d{3}">$/),
    ]);
    expect([...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual(['ticker.sched [CPUS=1]', 'ticker.sched [CPUS=2]', 'wrong.sched [-]', 'no-eoi.sched [-]']);
    const sarif = JSON.parse(read('m.sarif'));
    expect(sarif.runs[0].properties).toBeUndefined();
    expect(sarif.runs[0].results.map((x: { ruleId: string; level: string }) => `${x.ruleId} ${x.level}`)).toEqual(['no-deadlock error', 'eoi-discipline note']);
    expect(sarif.runs[0].invocations[0].toolExecutionNotifications.map((n: { message: { text: string } }) => n.message.text.replace(/^.*\//, ''))).toEqual([
      'ticker.sched: irq-latency inconclusive (not-checkable): the model declares no latency bound (machine { latency N })',
      'ticker.sched: irq-latency inconclusive (not-checkable): the model declares no latency bound (machine { latency N })',
    ]);
  });

  it('exits 0 when no shard failed; a shard dealt no configuration writes an empty report', async () => {
    // In this process (the command lines are the ones above): a second plan, of one configuration, in 2 shards.
    const cwd = process.cwd();
    process.chdir(dir);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const gate = (i: number): Promise<number> => gateCommand({ plans: ['b.plan'], format: 'text', shard: `${i}/2`, junit: `b${i}.xml` });
      expect([await gate(1), await gate(2)]).toEqual([0, 0]);
      expect(await mergeCommand({ files: ['b1.xml', 'b2.xml'], junit: 'b.xml', format: 'text' })).toBe(0);
    } finally {
      vi.restoreAllMocks();
      process.chdir(cwd);
    }
    expect(read('b2.xml').split('\n').slice(1)).toEqual([
      expect.stringMatching(/^<!-- schedcheck gate shard 2\/2: configurations 1, plans [0-9a-f]{16} -->$/),
      '<testsuites name="schedcheck gate" tests="0" failures="0" errors="0" skipped="0" time="0.000"/>',
      '',
    ]);
    expect(read('b.xml').split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^<testsuites name="schedcheck gate" tests="2" failures="0" errors="0" skipped="0" time="\d+\.\d{3}">$/),
      expect.stringMatching(/^ {2}<testsuite name="no-eoi.sched \[-\]" tests="2" failures="0" errors="0" skipped="0" time="\d+\.\d{3}">$/),
    ]);
  });

  it('refuses shards that do not make one run: missing, twice, of other plans, not a shard (M101 to M104)', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    const first = async (files: string[], outputs: { junit?: string; sarif?: string }): Promise<string> => {
      err = '';
      expect(await mergeCommand({ files, format: 'text', ...outputs }), files.join(' ')).toBe(2);
      return err.split('\n')[0]!;
    };
    try {
      const junit = { junit: 'x.xml' };
      expect(await first(['s1.xml', 's2.xml'], junit)).toBe('s1.xml:1:1: error M103: shard 3/3 missing: a merge needs every shard of the run');
      expect(await first(['s1.xml', 's2.xml', 's2.xml', 's3.xml'], junit)).toBe('s2.xml:1:1: error M103: shard 2/3 is given twice (also s2.xml)');
      expect(await first(['s1.xml', 's2.xml', 'b2.xml'], junit)).toMatch(
        /^b2\.xml:1:1: error M103: shard 2\/2 of 1 configurations \(plans [0-9a-f]{16}\) does not fit with s1\.xml, shard 1\/3 of 4 configurations \(plans [0-9a-f]{16}\): /,
      );
      expect(await first(['all.xml'], junit)).toBe(
        'all.xml:2:1: error M102: a JUnit report, but not one of a gate shard: `schedcheck gate --shard I/N --junit FILE` writes those',
      );
      expect(await first(['all.sarif'], { sarif: 'x.sarif' })).toBe(
        'all.sarif:1:1: error M102: a SARIF log, but not one of a gate shard: `schedcheck gate --shard I/N --sarif FILE` writes those',
      );
      expect(await first(['s1.xml', 's2.xml', 's3.xml'], {})).toBe('s1.xml:1:1: error M104: JUnit reports of gate shards given: name the merged report with --junit FILE');
      expect(await first(['s1.xml', 's2.xml', 's3.xml'], { ...junit, sarif: 'x.sarif' })).toBe(
        's1.xml:1:1: error M104: --sarif names the merged report, but no input is one of the SARIF logs of gate shards',
      );
      err = '';
      expect(await mergeCommand({ files: ['s1.xml', 's2.xml', 's3.xml'], format: 'json', ...junit })).toBe(2);
      expect(err.split('\n')[0]).toBe("s1.xml:1:1: error M104: --output, --trace and --format are for swarm jobs' results; gate shards' reports merge into --junit and --sarif");
      // A record of more shards than a run can have is not a shard's.
      writeFileSync(
        'big.xml',
        `${read('s1.xml').split('\n')[0]}\n<!-- schedcheck gate shard 1/4294967296: configurations 0, plans 0123456789abcdef -->\n<testsuites name="schedcheck gate" tests="0" failures="0" errors="0" skipped="0" time="0.000"/>\n`,
      );
      expect(await first(['big.xml'], junit)).toBe('big.xml:2:1: error M102: shard 1/4294967296 is not a shard');
      expect(await first(['a.plan'], junit)).toBe('a.plan:1:1: error M102: not a file merge reads: a JUnit report or SARIF log of `gate --shard I/N`, or the result of `check --swarm I/N`');
      expect(await first(['nothing.xml'], junit)).toBe('nothing.xml:1:1: error M101: cannot read the file (ENOENT)');
    } finally {
      vi.restoreAllMocks();
      process.chdir(cwd);
    }
  });
});
