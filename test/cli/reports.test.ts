// One run, several reports: `gate --junit FILE --sarif FILE` and `check` likewise; SARIF also reports a violation
// that was expected and not found; a plan block without `expect` lines checks the model's own.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../report/xmlparse.js';
import { cli, ROOT } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'schedcheck-reports-'));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}
// A plan names models inside its own repository (G207): the plans here sit beside copies of the models.
const LOOM = file('spin-mutex-loom.sched', readFileSync(join(ROOT, 'models/aethelos-001/spin-mutex-loom.sched'), 'utf8'));
// Claims a deadlock it does not have: the check that should find the bug finds none.
const WRONG = file('wrong.sched', 'machine x86_64 { cpus 1 }\nthread t on 0 { work }\nexpect no-deadlock violated\nexpect assertions holds\n');
const NONE = file('none.sched', 'machine x86_64 { cpus 1 }\nthread t on 0 { work }\n');

interface Sarif {
  runs: { results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[];
}

describe('gate: one run, several reports', () => {
  it('writes JUnit and SARIF files beside the table, from one run', () => {
    const plan = file('loom.plan', `model ${LOOM}\nexpect no-deadlock violated\nexpect stack-integrity holds\n`);
    const junit = join(dir, 'gate.xml');
    const sarif = join(dir, 'gate.sarif');
    const r = cli(['gate', plan, '--junit', junit, '--sarif', sarif]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^model +config +property/);
    expect(r.out).toContain('gate: 2 checks over 1 model configurations: 2 as expected, 0 FAILED, 0 not yet checkable');
    const cases = parseXml(readFileSync(junit, 'utf8'));
    expect(cases.name).toBe('testsuites');
    const log = JSON.parse(readFileSync(sarif, 'utf8')) as Sarif;
    expect(log.runs[0]!.results.map((x) => [x.ruleId, x.level])).toEqual([['no-deadlock', 'note']]);
  });

  it('SARIF reports an expected violation that holds, at the model\'s expect line; exit 1', () => {
    const plan = file('wrong.plan', `model ${WRONG}\nexpect no-deadlock violated\n`);
    const sarif = join(dir, 'wrong.sarif');
    const r = cli(['gate', plan, '--sarif', sarif]);
    expect(r.code).toBe(1);
    const results = (JSON.parse(readFileSync(sarif, 'utf8')) as Sarif).runs[0]!.results;
    expect(results.map((x) => [x.ruleId, x.level, x.message.text, x.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['no-deadlock', 'error', 'no-deadlock holds, but a violation is expected: the check that should find this bug no longer does', 3],
    ]);
  });

  it("a block without expect lines checks every verdict of the model's own expect lines", () => {
    const plan = file('inherit.plan', `model ${WRONG}\n`);
    const r = cli(['gate', plan]);
    expect(r.code).toBe(1);
    const rows = r.out.split('\n').filter((l) => l.includes('wrong.sched') && !l.startsWith('FAIL'));
    expect(rows.map((l) => l.split(/\s+/).slice(2, 5).concat(l.split(/\s+/).at(-1)!))).toEqual([
      ['no-deadlock', 'violated', 'holds', 'FAIL'],
      ['assertions', 'holds', 'holds', 'ok'],
    ]);
  });

  it('a block without expect lines, for a model without any, is G110, exit 2', () => {
    const plan = file('none.plan', `model ${NONE}\n`);
    const r = cli(['gate', plan]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(
      `${plan}:1:1: error G110: Block for '${NONE}' expects no verdict, and the model states none; add \`expect PROPERTY holds|violated\` to the model or the plan.`,
    );
  });
});

describe('check: one run, several reports', () => {
  it('prints text and writes JUnit and SARIF files', () => {
    const junit = join(dir, 'check.xml');
    const sarif = join(dir, 'check.sarif');
    const r = cli(['check', WRONG, '--junit', junit, '--sarif', sarif]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('  no-deadlock      holds  (expected violated: DOES NOT MATCH)\n');
    expect(parseXml(readFileSync(junit, 'utf8')).name).toBe('testsuites');
    const results = (JSON.parse(readFileSync(sarif, 'utf8')) as Sarif).runs[0]!.results;
    expect(results.map((x) => [x.ruleId, x.level])).toEqual([['no-deadlock', 'error']]);
    expect(cli(['check', WRONG, '--expect']).code).toBe(1);
  });
});
