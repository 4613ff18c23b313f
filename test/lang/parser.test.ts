import { describe, expect, it } from 'vitest';
import type * as A from '../../src/lang/ast.js';
import { DiagnosticSink } from '../../src/lang/diagnostics.js';
import { parse } from '../../src/lang/parser.js';

function parsed(text: string): { model: A.Model; found: string[] } {
  const sink = new DiagnosticSink();
  const model = parse(text, 'p.sched', sink);
  return { model, found: sink.diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`) };
}

/** An expression as a fully parenthesised string, to read precedence off. */
function show(e: A.Expr): string {
  switch (e.kind) {
    case 'int':
      return String(e.value);
    case 'bool':
      return String(e.value);
    case 'name':
      return `${e.name.text}${e.index ? `[${show(e.index)}]` : ''}${e.at ? `@${show(e.at)}` : ''}`;
    case 'unary':
      return `(${e.op}${show(e.operand)})`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'state':
      return `state(${show(e.thread)})`;
    case 'holder':
      return `holder(${e.lock.text})`;
    default:
      return e.kind;
  }
}

function firstStmt(text: string): A.Stmt {
  const { model, found } = parsed(`proc p { ${text} }`);
  expect(found).toEqual([]);
  const decl = model.decls[0] as Extract<A.Decl, { kind: 'proc' }>;
  return decl.body.stmts[0]!;
}

const valueOf = (s: A.Stmt): string => show((s as Extract<A.Stmt, { kind: 'assign' }>).value);

describe('parser: expressions', () => {
  it('binds by the precedence levels of the grammar', () => {
    expect(valueOf(firstStmt('x := a || b && c == d < e + f * -g'))).toBe('(a || (b && (c == (d < (e + (f * (-g)))))))');
    expect(valueOf(firstStmt('x := (a || b) && !c'))).toBe('((a || b) && (!c))');
    expect(valueOf(firstStmt('x := 1 - 2 - 3'))).toBe('((1 - 2) - 3)');
  });

  it("binds '@' tighter than any binary operator, and reads indexes and built-ins", () => {
    expect(valueOf(firstStmt('x := slice @ t == 2'))).toBe('(slice@t == 2)');
    expect(valueOf(firstStmt('x := runs[worker[i + 1]] @ (c + 1)'))).toBe('runs[worker[(i + 1)]]@(c + 1)');
    expect(valueOf(firstStmt('x := state(current) != holder(L) && rq_len > 0'))).toBe('((state(current) != holder(L)) && (rq_len > 0))');
  });
});

describe('parser: statements and declarations', () => {
  it('reads else-if chains as nested ifs and ignores semicolons between statements', () => {
    const s = firstStmt(';; if a { work; ; work } else if b { ret } else { skip };') as Extract<A.Stmt, { kind: 'if' }>;
    expect(s.then.stmts.map((t) => t.kind)).toEqual(['simple', 'simple']);
    const inner = s.else!.stmts[0] as Extract<A.Stmt, { kind: 'if' }>;
    expect(inner.kind).toBe('if');
    expect(inner.else!.stmts).toEqual([{ kind: 'simple', op: 'skip', span: expect.anything() }]);
  });

  it('reads types: ranges over constants, enums, arrays by thread, cpu and size', () => {
    const { model, found } = parsed('var a : 0..N - 1\nvar b : Mode[thread]\nvar c : bool[cpu]\nvar d : thread[2 * N] = none\npercpu var e : cpu');
    expect(found).toEqual([]);
    const types = model.decls.map((d) => (d as Extract<A.Decl, { kind: 'var' }>).type);
    expect(types.map((t) => `${t.base.kind}${t.length ? `[${t.length.kind}]` : ''}`)).toEqual(['range', 'named[thread]', 'bool[cpu]', 'thread[size]', 'cpu']);
    expect(show((types[0]!.base as Extract<A.TypeBase, { kind: 'range' }>).hi)).toBe('(N - 1)');
  });

  it('reads thread attributes in any order and entry bodies', () => {
    const { model, found } = parsed('thread w[2] stack 4 forged iret ready { work }\nthread i dormant entry main');
    expect(found).toEqual([]);
    const [w, i] = model.decls as Extract<A.Decl, { kind: 'thread' }>[];
    expect(w!.attrs.map((a) => a.kind)).toEqual(['stack', 'forged', 'ready']);
    expect(i!.body).toMatchObject({ kind: 'entry', proc: { text: 'main' } });
  });
});

describe('parser: recovery', () => {
  it('reports every independent statement error in a block and keeps the statements around them', () => {
    // Line breaks mean nothing: `x :=` takes `y` from the next line, and the stray `:= 1` is the first error.
    const { model, found } = parsed('proc p {\n  work\n  x := \n  y := 1\n  acquire\n  42\n  ret\n}\nproc q { work }');
    expect(found).toEqual(['E204 at 4:5', 'E202 at 6:3']);
    const p = model.decls[0] as Extract<A.Decl, { kind: 'proc' }>;
    expect(p.body.stmts.map((s) => s.kind)).toEqual(['simple', 'assign', 'simple']);
    expect(model.decls.map((d) => d.kind)).toEqual(['proc', 'proc']);
  });

  it('skips a whole brace group after an error instead of closing the block early', () => {
    const { model, found } = parsed('proc p { if { work; ret } work }\nproc q { 7 }');
    expect(found).toEqual(['E203 at 1:13', 'E204 at 2:10']);
    const p = model.decls[0] as Extract<A.Decl, { kind: 'proc' }>;
    expect(p.body.stmts.map((s) => s.kind)).toEqual(['simple']);
  });

  it('reports an unclosed block at its brace and goes on with the next declaration', () => {
    const { model, found } = parsed('proc p {\n  work\nproc q { work }\nlock L : nope\nvar v : bool');
    expect(found).toEqual(['E205 at 1:8', 'E202 at 4:10']);
    expect(model.decls.map((d) => d.kind)).toEqual(['proc', 'proc', 'var']);
  });

  it("does not mistake the type 'thread' for a declaration while resynchronising", () => {
    const { model, found } = parsed('var a : : thread\nvar b : bool[thread]\nthread t { work }');
    expect(found).toEqual(['E202 at 1:9']);
    expect(model.decls.map((d) => d.kind)).toEqual(['var', 'thread']);
  });

  it('recovers inside the machine block at the next item', () => {
    const { model, found } = parsed('machine x86_64 {\n  cpus\n  irq timer line x\n  irq kbd line 1 priority 2\n}');
    // `cpus` takes the expression `irq`; `timer` is then no item, and reading resumes at the next `irq`.
    expect(found).toEqual(['E202 at 3:7']);
    const m = model.decls[0] as Extract<A.Decl, { kind: 'machine' }>;
    expect(m.items.map((i) => i.kind)).toEqual(['cpus', 'irq']);
  });

  it('stops nesting at the limit with one report', () => {
    const { found } = parsed(`proc p { ${'loop { '.repeat(80)}work${' }'.repeat(80)} }\nproc q { 1 }`);
    // The proc body is level 1, so the 64th loop's '{' (column 9 + 63 * 7 + 6) is one too deep.
    expect(found).toEqual(['E206 at 1:456', 'E204 at 2:10']);
  });

  it('reads `0..N[4]` as four of the range 0..N: a range bound is not indexed', () => {
    const { model, found } = parsed('var a : 0..N[4]\nvar b : 0..N[thread]\nvar c : 0..(N)[cpu]');
    expect(found).toEqual([]);
    const types = model.decls.map((d) => (d as Extract<A.Decl, { kind: 'var' }>).type);
    expect(types.map((t) => [t.base.kind, t.length?.kind])).toEqual([
      ['range', 'size'],
      ['range', 'thread'],
      ['range', 'cpu'],
    ]);
  });

  it('skips a byte order mark: it is no character and no column', () => {
    const { model, found } = parsed('\ufeffconst N = 2\nconst M = ?');
    expect(found[0]).toBe('E101 at 2:11');
    expect(model.decls[0]).toMatchObject({ kind: 'const', name: { text: 'N', span: { line: 1, col: 7 } } });
  });

  it.each([
    ['indexes', `x[0] := ${'x['.repeat(100)}0${']'.repeat(100)}`],
    ['an index written to', `x[${'x['.repeat(100)}0${']'.repeat(100)}] := 0`],
    ['@', `x[0] := ${'x @ '.repeat(100)}0`],
    ['state(...)', `x[0] := ${'state('.repeat(100)}t${')'.repeat(100)}`],
    ['holder(L[...])', `x[0] := ${'holder(L['.repeat(100)}0${'])'.repeat(100)}`],
  ])('stops nesting of %s at the limit too (it overflowed the stack: E000)', (_, body) => {
    const { found } = parsed(`lock L[2] : spin\nvar x : 0..1[2]\nthread t on 0 { ${body} }`);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(/^E206 at 3:\d+$/);
    expect(found.filter((d) => d.startsWith('E000'))).toEqual([]);
  });
});
