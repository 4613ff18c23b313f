// What an editor needs to know about the names in a model: every declaration (with its kind and the text that
// declares it) and every use of a name, each in the namespace the grammar puts it in (`acquire X` names a
// lock, `call P` a procedure, `eoi L` an interrupt line, an expression a variable, constant, enum member or
// thread). Built from the parser's syntax tree, which it recovers after an error, so a model being typed
// still has its names.

import type * as A from '../lang/ast.js';
import { DiagnosticSink, StopChecking } from '../lang/diagnostics.js';
import { parse } from '../lang/parser.js';
import { LineIndex, type SourceSpan } from '../lang/source.js';

/** The namespaces of the language: a lock and a procedure may share a name, a handler and its line do. */
export type Namespace = 'lock' | 'wq' | 'proc' | 'line' | 'handler' | 'type' | 'value' | 'property' | 'invariant';

export type DeclKind = 'const' | 'lock' | 'wait queue' | 'run queue' | 'enum' | 'enum member' | 'var' | 'thread' | 'proc' | 'handler' | 'irq line' | 'invariant';

export interface Declaration {
  name: string;
  kind: DeclKind;
  namespace: Namespace;
  /** The name where it is declared. */
  span: SourceSpan;
  /** The whole declaration. */
  declSpan: SourceSpan;
  /** A line a hover shows: `lock LOOM : spin`, `var quantum : 0..2 = 2`, `proc yield_now`. */
  detail: string;
  /** A handler's interrupt line (its name unless it says `on LINE`). */
  line?: string;
}

export interface Reference {
  name: string;
  namespace: Namespace;
  span: SourceSpan;
}

export interface Symbols {
  declarations: Declaration[];
  references: Reference[];
}

const NAMESPACE: Record<DeclKind, Namespace> = {
  const: 'value',
  lock: 'lock',
  'wait queue': 'wq',
  'run queue': 'value',
  enum: 'type',
  'enum member': 'value',
  var: 'value',
  thread: 'value',
  proc: 'proc',
  handler: 'handler',
  'irq line': 'line',
  invariant: 'invariant',
};

/** The declaration's first line as written, without its comment and trailing blanks. */
function declText(text: string, span: SourceSpan): string {
  const line = LineIndex.of(text).line(span.line).slice(span.col - 1);
  const end = span.endLine === span.line ? span.endCol - span.col : line.length;
  return line
    .slice(0, end)
    .replace(/\/\/.*$/, '')
    .replace(/\s*\{\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Collects declarations and references by walking the tree with the namespace each position implies. */
class Collector {
  readonly declarations: Declaration[] = [];
  readonly references: Reference[] = [];

  constructor(private readonly text: string) {}

  declare(name: A.Name, kind: DeclKind, declSpan: SourceSpan, detail?: string): Declaration {
    const d: Declaration = { name: name.text, kind, namespace: NAMESPACE[kind], span: name.span, declSpan, detail: detail ?? declText(this.text, declSpan) };
    this.declarations.push(d);
    return d;
  }

  use(name: A.Name, namespace: Namespace): void {
    this.references.push({ name: name.text, namespace, span: name.span });
  }

  private queue(q: A.QueueRef): void {
    this.use(q.name, 'value');
    if (q.index) this.expr(q.index);
  }

  expr(e: A.Expr | null): void {
    if (e === null) return;
    switch (e.kind) {
      case 'name':
        this.use(e.name, 'value');
        this.expr(e.index);
        this.expr(e.at);
        return;
      case 'state':
        this.expr(e.thread);
        return;
      case 'holder':
        this.use(e.lock, 'lock');
        if (e.index) this.expr(e.index);
        return;
      case 'rq_len_of':
        this.queue(e.queue);
        return;
      case 'line_state':
        this.use(e.line, 'line');
        return;
      case 'wq_len':
        this.use(e.wq, 'wq');
        return;
      case 'unary':
        this.expr(e.operand);
        return;
      case 'binary':
        this.expr(e.left);
        this.expr(e.right);
        return;
      default:
        return;
    }
  }

  lvalue(l: A.LValue): void {
    this.use(l.name, 'value');
    this.expr(l.index);
    this.expr(l.at);
  }

  block(b: A.Block | null): void {
    for (const s of b?.stmts ?? []) this.stmt(s);
  }

  stmt(s: A.Stmt): void {
    switch (s.kind) {
      case 'simple':
        return;
      case 'assign':
        this.lvalue(s.target);
        this.expr(s.value);
        return;
      case 'try_acquire':
        this.lvalue(s.target);
        this.use(s.lock, 'lock');
        if (s.index) this.expr(s.index);
        return;
      case 'ack_read':
        this.lvalue(s.target);
        return;
      case 'rmw':
        this.lvalue(s.target);
        this.lvalue(s.cell);
        for (const e of s.operands) this.expr(e);
        return;
      case 'pmr':
      case 'tpr':
        this.expr(s.value);
        return;
      case 'deactivate':
        this.use(s.id, 'line');
        return;
      case 'if':
        this.expr(s.cond);
        this.block(s.then);
        this.block(s.else);
        return;
      case 'while':
        this.expr(s.cond);
        this.block(s.body);
        return;
      case 'loop':
        this.block(s.body);
        return;
      case 'call':
        this.use(s.proc, 'proc');
        return;
      case 'assert':
        this.expr(s.cond);
        return;
      case 'line':
        if (s.line !== null) this.use(s.line, 'line');
        return;
      case 'raise':
        this.use(s.line, 'line');
        this.expr(s.to);
        return;
      case 'lock':
        this.use(s.lock, 'lock');
        if (s.index) this.expr(s.index);
        return;
      case 'thread':
        this.expr(s.thread);
        if (s.on) this.queue(s.on);
        return;
      case 'pick':
        this.lvalue(s.target);
        if (s.from) this.queue(s.from);
        return;
      case 'wait':
        this.use(s.queue, 'wq');
        return;
      case 'pick_where':
        this.lvalue(s.target);
        this.expr(s.cond);
        return;
      case 'set_state':
        this.expr(s.thread);
        this.expr(s.value);
        return;
      case 'either':
        for (const b of s.blocks) this.block(b);
        return;
      case 'any':
        this.lvalue(s.target);
        this.expr(s.lo);
        this.expr(s.hi);
        return;
      case 'local':
        // A local is seen in its own body only; the model-wide index here keeps the names of declarations.
        this.type(s.type);
        this.expr(s.init);
        return;
      case 'user':
        this.block(s.body);
        return;
      case 'privilege':
        return;
      case 'int':
        this.use(s.line, 'line');
        return;
    }
  }

  type(t: A.TypeExpr): void {
    const base = t.base;
    if (base.kind === 'named') this.use(base.name, 'type');
    if (base.kind === 'range') {
      this.expr(base.lo);
      this.expr(base.hi);
    }
    if (t.length?.kind === 'size') this.expr(t.length.size);
  }

  decl(d: A.Decl): void {
    switch (d.kind) {
      case 'const':
        this.declare(d.name, 'const', d.span);
        return;
      case 'machine':
        for (const item of d.items) {
          if (item.kind === 'irq') this.declare(item.name, 'irq line', item.span);
          else if (item.kind === 'scheduler') this.use(item.proc, 'proc');
          else if (item.kind === 'cpus') this.expr(item.count);
          else if (item.kind === 'latency') this.expr(item.bound);
          else if (item.kind === 'preempt_offset') this.expr(item.count);
          else if (item.kind === 'syscall') this.use(item.proc, 'proc');
        }
        return;
      case 'lock':
        this.declare(d.name, 'lock', d.span);
        if (d.length?.kind === 'size') this.expr(d.length.size);
        return;
      case 'wq':
        this.declare(d.name, 'wait queue', d.span);
        return;
      case 'runqueue':
        this.declare(d.name, 'run queue', d.span);
        if (d.length?.kind === 'size') this.expr(d.length.size);
        return;
      case 'enum':
        this.declare(d.name, 'enum', d.span);
        for (const m of d.members) this.declare(m, 'enum member', d.span, `${m.text}: a member of enum ${d.name.text}`);
        return;
      case 'var':
        this.declare(d.name, 'var', d.span);
        this.type(d.type);
        this.expr(d.init);
        return;
      case 'thread':
        this.declare(d.name, 'thread', d.span);
        this.expr(d.size);
        for (const a of d.attrs) {
          if (a.kind === 'forged') for (const f of a.frames) if (f.to !== null) this.use(f.to, 'proc');
          if (a.kind === 'waits') this.expr(a.cond);
        }
        if (d.body.kind === 'entry') this.use(d.body.proc, 'proc');
        else this.block(d.body.block);
        return;
      case 'proc':
        this.declare(d.name, 'proc', d.span);
        this.block(d.body);
        return;
      case 'handler':
        // A handler is bound to the line of its name unless it says `on LINE`.
        this.declare(d.name, 'handler', d.span).line = (d.on ?? d.name).text;
        if (d.on !== null) this.use(d.on, 'line');
        this.block(d.body);
        return;
      case 'invariant':
        if (d.name !== null) this.declare(d.name, 'invariant', d.span);
        this.expr(d.cond);
        return;
      case 'expect':
        this.use(d.property, 'property');
        return;
    }
  }
}

/** The names of a model's text; a part the parser could not read has none. */
export function symbolsOf(text: string, file: string): Symbols {
  // Counted, not kept: a file of millions of lexical errors would otherwise hold them all (the diagnostics the
  // editor shows come from the checker's own capped sink).
  const sink = new DiagnosticSink(Number.MAX_SAFE_INTEGER, false);
  let model: A.Model;
  try {
    model = parse(text, file, sink);
  } catch (error) {
    if (error instanceof StopChecking) return { declarations: [], references: [] };
    throw error;
  }
  const collector = new Collector(text);
  for (const d of model.decls) collector.decl(d);
  return { declarations: collector.declarations, references: collector.references };
}

/** Whether a 1-based (line, col) lies in a span (its end exclusive; the position just after a name counts). */
export function spanContains(span: SourceSpan, line: number, col: number): boolean {
  if (line < span.line || line > span.endLine) return false;
  if (line === span.line && col < span.col) return false;
  if (line === span.endLine && col > span.endCol) return false;
  return true;
}

/** The name at a position: a declaration's own name, or a use with the declarations it may mean. */
export function nameAt(
  symbols: Symbols,
  line: number,
  col: number,
): { name: string; namespace: Namespace; span: SourceSpan; declarations: Declaration[] } | null {
  const own = symbols.declarations.find((d) => spanContains(d.span, line, col));
  const use = symbols.references.find((r) => spanContains(r.span, line, col));
  // A handler's name is also a use of its line; the handler itself is what hovering its name is about.
  if (own !== undefined) return { name: own.name, namespace: own.namespace, span: own.span, declarations: [own] };
  if (use === undefined) return null;
  return { name: use.name, namespace: use.namespace, span: use.span, declarations: declarationsOf(symbols, use.name, use.namespace) };
}

/**
 * The declarations a name in a namespace refers to: an interrupt line's are the line and the handlers bound to
 * it; a name in no namespace that declares it (a model being typed) falls back to any declaration of it.
 */
export function declarationsOf(symbols: Symbols, name: string, namespace: Namespace): Declaration[] {
  const exact = symbols.declarations.filter((d) => (d.name === name && d.namespace === namespace) || (namespace === 'line' && d.line === name));
  return exact.length > 0 ? exact : symbols.declarations.filter((d) => d.name === name);
}
