// Help and usage errors: every option described, unknown flags and commands named (with the closest known
// one), `kernel run` without a design listing them, and "did you mean" for misspelt properties and names.

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/cli/options.js';
import { cli } from './run.js';

const FIXED = 'models/aethelos-001/spin-mutex-fixed.sched';

describe('help', () => {
  it('describes every option of every command', () => {
    for (const [command, options] of Object.entries(OPTIONS)) {
      for (const [name, option] of Object.entries(options)) {
        expect(`${command} --${name}: ${'describe' in option ? option.describe : ''}`).toMatch(/: \S/);
      }
    }
  });

  it('check --help calls models required, not defaulted, and every option line has a description', () => {
    const r = cli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n {2}models {2}model files \(\.sched\), one or more +\[array\] \[required\]\n/);
    const options = r.out.split('Options:\n')[1]!.split('\n').filter((l) => l.startsWith('  --'));
    expect(options.length).toBe(Object.keys(OPTIONS.check).length + 3); // and --help, --version, --color
    for (const line of options) expect(line).toMatch(/^ {2}--[a-z-]+ +[A-Za-z]/);
  });

  it('an unknown flag is an unknown argument, not the value that swallows the model', () => {
    expect(cli(['check', '--frobnicate', FIXED])).toEqual({
      code: 2,
      out: '',
      err: "schedcheck: Unknown argument: --frobnicate\nRun 'schedcheck --help' for usage.\n",
    });
    expect(cli(['check', FIXED, '--propery', 'no-deadlock']).err).toBe(
      "schedcheck: Unknown argument: --propery; did you mean '--property'?\nRun 'schedcheck --help' for usage.\n",
    );
    expect(cli(['chek', FIXED]).err).toBe("schedcheck: Unknown command 'chek'; did you mean 'check'?\nRun 'schedcheck --help' for usage.\n");
  });

  it('takes a global option before the command, its value not read as a command', () => {
    const r = cli(['--color', 'never', 'check', FIXED, '--property', 'no-deadlock']);
    expect([r.code, r.err]).toEqual([0, '']);
  });

  it('accepts the forms yargs accepts: --name=value, --no-flag, camelCase', () => {
    const r = cli(['check', FIXED, '--property=no-deadlock', '--no-symmetry', '--maxStates', '100000']);
    expect([r.code, r.err]).toEqual([0, '']);
  });

  it('kernel run without a design lists the designs, exit 2', () => {
    const r = cli(['kernel', 'run']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^schedcheck: kernel run needs a design: schedcheck kernel run DESIGN\. Designs:\n {2}004-old {10}the timer takes SCHED/);
    expect(r.err).toContain('\n  001-naive        ');
    expect(cli(['kernel', 'run', '001-naiv']).err).toMatch(/^schedcheck: unknown design '001-naiv'; did you mean '001-naive'\?\. Designs:\n/);
  });
});

describe('did you mean', () => {
  it('for a misspelt property', () => {
    const r = cli(['check', FIXED, '--property', 'no-dedlock']);
    expect([r.code, r.err]).toEqual([2, "schedcheck: unknown property 'no-dedlock' (did you mean 'no-deadlock'?); 'schedcheck properties' lists the ids\n"]);
  });

  it('for a misspelt keyword, declared name or property in a model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-help-'));
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const decl = file('decl.sched', 'machine x86_64 { cpus 1 }\nthred t on 0 { work }\n');
    expect(cli(['parse', decl]).err).toBe(`${decl}:2:1: error E201: Expect declaration, found 'thred'; did you mean 'thread'?\n  thred t on 0 { work }\n  ^^^^^\n`);
    const stmt = file('stmt.sched', 'machine x86_64 { cpus 1 }\nlock L : spin\nthread t on 0 { aquire L; work }\n');
    expect(cli(['parse', stmt]).err.split('\n')[0]).toBe(`${stmt}:3:24: error E202: Expect ':=' after assignment target, found 'L'. Did you mean 'acquire' for 'aquire'?`);
    const names = file('names.sched', 'machine x86_64 { cpus 1 }\nlock Lock : spin\nthread t on 0 { acquire Lok; release Lock }\nexpect no-dedlock holds\n');
    const lines = cli(['check', names]).err.split('\n');
    expect([lines[0], lines[3]]).toEqual([
      `${names}:3:25: error E301: Unknown name 'Lok'; did you mean 'Lock'?`,
      `${names}:4:8: error E306: Unknown property 'no-dedlock'; 'schedcheck properties' lists them; did you mean 'no-deadlock'?`,
    ]);
  });

  it('for a misspelt directive or property in a plan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-plan-'));
    const plan = join(dir, 'p.plan');
    // A plan names models inside its own repository (G207): a copy beside it.
    copyFileSync(join(process.cwd(), FIXED), join(dir, 'm.sched'));
    writeFileSync(plan, `model m.sched\nengin explicit\nexpect no-dedlock holds\n`);
    const lines = cli(['gate', plan]).err.split('\n');
    expect([lines[0], lines[3]]).toEqual([
      `${plan}:2:1: error G101: Unknown directive 'engin'; expect model, config, learn-from, engine, max-states, max-depth, max-memory, timeout, hash-compaction, symmetry or expect. Did you mean 'engine'?`,
      `${plan}:3:8: error G106: Unknown property 'no-dedlock'; \`schedcheck properties\` lists them; did you mean 'no-deadlock'?`,
    ]);
  });
});
