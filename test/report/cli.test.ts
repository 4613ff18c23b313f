// `schedcheck export` and `schedcheck explore`, called as the CLI calls them, with stdout/stderr captured.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exploreCommand } from '../../src/cli/commands/explore.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { renderCounterexampleDot } from '../../src/report/dot.js';
import { formatItf } from '../../src/report/itf.js';
import { renderLockGraphDot } from '../../src/report/lockgraph.js';
import { abba, timerDeadlock } from './fixtures.js';
import { parseXml } from './xmlparse.js';

let out = '';
let err = '';
let dir = '';

beforeEach(() => {
  out = '';
  err = '';
  dir = mkdtempSync(join(tmpdir(), 'schedcheck-cli-'));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function saveTrace(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('schedcheck export', () => {
  it('draws a saved trace exactly as check drew it', async () => {
    const { cex, program } = timerDeadlock();
    const trace = saveTrace('cex.itf.json', formatItf(cex, program));
    const code = await exportCommand({ trace, dot: join(dir, 'g.dot'), svg: join(dir, 'g.svg') });
    expect([code, err]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'g.dot'), 'utf8')).toBe(renderCounterexampleDot(cex, program));
    expect(parseXml(readFileSync(join(dir, 'g.svg'), 'utf8')).name).toBe('svg');
    expect(existsSync(join(dir, 'g.locks.dot'))).toBe(false);
  });

  it('draws the lock graph of a lock-order trace next to it', async () => {
    const { cex, program } = abba();
    const trace = saveTrace('abba.itf.json', formatItf(cex, program));
    expect(await exportCommand({ trace, dot: join(dir, 'abba.dot'), svg: join(dir, 'abba.svg') })).toBe(0);
    expect(readFileSync(join(dir, 'abba.locks.dot'), 'utf8')).toBe(renderLockGraphDot(cex.lockGraph!, program));
    expect(parseXml(readFileSync(join(dir, 'abba.locks.svg'), 'utf8')).name).toBe('svg');
  });

  it('prints DOT when no file is named', async () => {
    const { cex, program } = timerDeadlock();
    expect(await exportCommand({ trace: saveTrace('cex.itf.json', formatItf(cex, program)) })).toBe(0);
    expect(out).toBe(renderCounterexampleDot(cex, program));
  });

  it('answers a file that is not a trace with a diagnostic at its place, exit 2', async () => {
    const bad = saveTrace('bad.itf.json', '{\n  "vars": ["x"],\n  "states" [1]\n}\n');
    expect(await exportCommand({ trace: bad })).toBe(2);
    expect(err).toBe(`${bad}:3:12: error ITF001: not valid JSON: expected ':'\n    "states" [1]\n             ^\n`);

    err = '';
    const { cex, program } = timerDeadlock();
    const itf = JSON.parse(formatItf(cex, program));
    itf.states[2].cpus[0].ie = 'yes';
    const wrong = saveTrace('wrong.itf.json', JSON.stringify(itf, null, 2));
    expect(await exportCommand({ trace: wrong })).toBe(2);
    const lines = JSON.stringify(itf, null, 2).split('\n');
    const line = lines.findIndex((l) => l.includes('"ie": "yes"'));
    const col = lines[line]!.indexOf('"yes"') + 1;
    expect(err.split('\n')[0]).toBe(`${wrong}:${line + 1}:${col}: error ITF003: not a schedcheck counterexample: expected true or false (at states.2.cpus.0.ie)`);

    err = '';
    const quint = saveTrace('quint.itf.json', JSON.stringify({ vars: ['x'], states: [{ '#meta': { index: 0 }, x: { '#bigint': '1' } }] }));
    expect(await exportCommand({ trace: quint })).toBe(2);
    expect(err.split('\n')[0]).toBe(`${quint}:1:1: error ITF003: not a schedcheck counterexample: missing field "#meta"`);

    err = '';
    expect(await exportCommand({ trace: join(dir, 'none.json') })).toBe(2);
    expect(err).toBe(`${join(dir, 'none.json')}:1:1: error ITF000: cannot read the trace (ENOENT)\n`);
    expect(out).toBe('');
  });

  it('says which output it could not write, exit 2', async () => {
    const { cex, program } = timerDeadlock();
    const trace = saveTrace('cex.itf.json', formatItf(cex, program));
    expect(await exportCommand({ trace, dot: join(dir, 'no', 'g.dot') })).toBe(2);
    expect(err).toBe(`schedcheck: cannot write ${join(dir, 'no', 'g.dot')}: ENOENT\n`);
  });
});

describe('schedcheck explore', () => {
  it('prints the state graph of a small model as DOT', async () => {
    expect(await exploreCommand({ model: 'test/report/fixtures/tiny.sched', set: [] })).toBe(0);
    expect(out.startsWith('digraph states {')).toBe(true);
    expect(out).toContain('12 states, 18 transitions');
    expect(out.match(/^ {2}n\d+ \[/gm)).toHaveLength(12);
    expect(out.match(/^ {2}n\d+ -> n\d+/gm)).toHaveLength(18);
  });

  it('writes DOT and SVG with the counterexample path in colour', async () => {
    const code = await exploreCommand({
      model: 'test/report/fixtures/timer-deadlock.sched',
      set: [],
      property: 'no-deadlock',
      dot: join(dir, 's.dot'),
      svg: join(dir, 's.svg'),
    });
    expect(code).toBe(0);
    expect(err).toBe('schedcheck: test/report/fixtures/timer-deadlock.sched: 67 states, 86 transitions\n');
    const dot = readFileSync(join(dir, 's.dot'), 'utf8');
    expect(dot).toContain('no-deadlock violated: deadlock: no CPU can make progress');
    expect(dot.match(/penwidth="2.5"/g)).toHaveLength(2);
    expect(parseXml(readFileSync(join(dir, 's.svg'), 'utf8')).name).toBe('svg');
  });

  it('says when the property holds, and draws no path', async () => {
    expect(await exploreCommand({ model: 'test/report/fixtures/tiny.sched', set: [], property: 'no-deadlock' })).toBe(0);
    expect(out).toContain('no-deadlock holds');
    expect(out).not.toContain('penwidth="2.5"');
  });

  it('refuses a graph above the node limit, exit 2', async () => {
    expect(await exploreCommand({ model: 'test/report/fixtures/timer-deadlock.sched', set: [], maxStates: 50, dot: join(dir, 'x.dot') })).toBe(2);
    expect(err).toBe(
      'schedcheck: test/report/fixtures/timer-deadlock.sched: the state graph has more than 50 states; a graph that large cannot be read. ' +
        'Shrink the model (--set its constants lower) or raise the limit with --max-states.\n',
    );
    expect(existsSync(join(dir, 'x.dot'))).toBe(false);
  });

  it('rejects an unknown property and a bad model, exit 2', async () => {
    expect(await exploreCommand({ model: 'test/report/fixtures/tiny.sched', set: [], property: 'liveness' })).toBe(2);
    expect(err).toBe("schedcheck: unknown property 'liveness'; 'schedcheck properties' lists them\n");
    err = '';
    const broken = saveTrace('broken.sched', 'machine x86_64 { cpus 1 }\nthread t on 0 { acquire NOPE }\n');
    expect(await exploreCommand({ model: broken, set: [] })).toBe(2);
    expect(err).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:25: error E3\\d\\d: `));
  });
});
