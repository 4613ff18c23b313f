// The TextMate grammar and the VS Code package: every reserved and contextual word of the language is
// highlighted by some rule, the rules' expressions compile, and the package contributes the language and the
// grammar it ships.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYWORDS } from '../../src/lang/lexer.js';
import { CONTEXTUAL_WORDS } from '../../src/lsp/server.js';

const EDITOR = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'editors/vscode');

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  patterns?: Rule[];
  include?: string;
}

const grammar = JSON.parse(readFileSync(join(EDITOR, 'syntaxes/sched.tmLanguage.json'), 'utf8')) as { scopeName: string; patterns: Rule[]; repository: Record<string, Rule> };

function rules(): Rule[] {
  const out: Rule[] = [];
  const walk = (r: Rule): void => {
    out.push(r);
    r.patterns?.forEach(walk);
  };
  Object.values(grammar.repository).forEach(walk);
  return out;
}

describe('the TextMate grammar', () => {
  it('compiles every expression', () => {
    for (const r of rules()) for (const source of [r.match, r.begin, r.end]) if (source !== undefined) expect(() => new RegExp(source)).not.toThrow();
  });

  it('highlights every reserved and contextual word', () => {
    const expressions = rules().flatMap((r) => (r.match === undefined ? [] : [new RegExp(r.match)]));
    const missing = [...KEYWORDS, ...CONTEXTUAL_WORDS].filter((word) => !expressions.some((e) => e.exec(` ${word} `)?.[0].trim() === word));
    expect(missing).toEqual([]);
  });

  it('includes only rules it has', () => {
    for (const p of grammar.patterns) expect(Object.keys(grammar.repository)).toContain(p.include!.slice(1));
  });
});

describe('editors/vscode', () => {
  it('contributes the language for .sched and the grammar, and starts `schedcheck lsp`', () => {
    const pkg = JSON.parse(readFileSync(join(EDITOR, 'package.json'), 'utf8'));
    expect(pkg.contributes.languages).toEqual([{ id: 'sched', aliases: ['schedcheck model', 'sched'], extensions: ['.sched'], configuration: './language-configuration.json' }]);
    expect(pkg.contributes.grammars).toEqual([{ language: 'sched', scopeName: grammar.scopeName, path: './syntaxes/sched.tmLanguage.json' }]);
    expect(existsSync(join(EDITOR, 'language-configuration.json'))).toBe(true);
    expect(readFileSync(join(EDITOR, 'src/extension.ts'), 'utf8')).toContain("args: ['lsp']");
  });
});
