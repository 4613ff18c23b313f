// The newcomer's documents: the README's command list is complete and points at nothing outside the
// repository; docs/language.md states the boot state.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/cli/options.js';
import { loadModel } from '../../src/lang/load.js';
import { ROOT } from './run.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('lists every command with every option', () => {
    const block = README.slice(README.indexOf('## Commands'), README.indexOf('Exit codes:'));
    const usage = block.split(/\n(?= {4}schedcheck )/).filter((l) => l.startsWith('    schedcheck '));
    for (const [command, options] of Object.entries(OPTIONS)) {
      if (command === 'kernel') continue; // only as `kernel run`
      const line = usage.find((u) => u.startsWith(`    schedcheck ${command} `) || u.trimEnd() === `    schedcheck ${command}`);
      expect(line, command).toBeDefined();
      for (const name of Object.keys(options)) expect(line, `${command} --${name}`).toContain(`--${name}`);
    }
  });

  it('points at no file outside the repository, and at files that exist', () => {
    expect(README).not.toMatch(/\.\.\//);
    const paths = [...README.matchAll(/`((?:docs|models|specs|bench)\/[^`\s]+)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });
});

describe('docs/language.md', () => {
  it('states the boot state: interrupt flags, which thread runs where, what is pending', () => {
    const text = readFileSync(join(ROOT, 'docs/language.md'), 'utf8');
    const section = text.slice(text.indexOf('## The boot state'), text.indexOf('## Lexical structure'));
    expect(section).toContain('IF = 1 on x86_64, PSTATE.I clear');
    expect(section).toContain('Nothing is pending, in service (x86_64) or active (aarch64); no lock is held');
    expect(section).toContain('A thread declared `on C` runs on CPU C');
    expect(section).toContain('is `ready` and in the run queue, in declaration order');
  });
});

describe('docs/modelling.md', () => {
  it('names models that exist and load without a diagnostic', () => {
    const text = readFileSync(join(ROOT, 'docs/modelling.md'), 'utf8');
    const models = [...new Set([...text.matchAll(/`((?:models|test\/checker\/models)\/[^`\s]+\.sched)`/g)].map((m) => m[1]!))];
    expect(models.length).toBeGreaterThan(30);
    for (const model of models) {
      const { program, diagnostics } = loadModel(join(ROOT, model), []);
      expect(diagnostics.filter((d) => d.severity === 'error'), model).toEqual([]);
      expect(program, model).not.toBeNull();
    }
  });
});
