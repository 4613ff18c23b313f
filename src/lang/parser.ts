// The parser: tokens to a syntax tree, one method per grammar rule (docs/language.md) and per precedence level.
// A syntax error throws ParseError out of the rule that found it; the enclosing block or the top level reports
// it once and resynchronises on the next statement or declaration keyword, skipping whole brace groups, so every
// independent error in a file is reported.

import * as A from './ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import type { Code } from './codes.js';
import { Lexer, type Token } from './lexer.js';
import { spanJoin, type SourceSpan } from './source.js';

class ParseError extends Error {}

const DECL_KEYWORDS = new Set([
  'const', 'machine', 'lock', 'wq', 'runqueue', 'enum', 'var', 'percpu', 'perthread', 'thread', 'proc', 'handler', 'invariant', 'expect',
]);
const STMT_KEYWORDS = new Set<string>([
  ...A.SIMPLE_STATEMENTS, ...A.THREAD_STATEMENTS, ...A.WAIT_STATEMENTS, 'if', 'while', 'loop', 'call', 'assert', 'eoi', 'ack', 'unpend', 'raise',
  'acquire', 'release', 'pick', 'tpr', 'pmr', 'either',
  'user', 'syscall', 'sysret', 'svc', 'int',
]);
/** Deepest nesting of blocks, and of parentheses and prefix operators; keeps every pass's recursion shallow. */
export const MAX_NESTING = 64;
/** Most binary operators in one statement or declaration. */
export const MAX_OPERATORS = 1000;

const MACHINE_ITEMS = new Set(['cpus', 'irq', 'scheduler', 'latency', 'controller', 'preempt_offset', 'boot']);

export function parse(text: string, file: string, sink: DiagnosticSink): A.Model {
  return new Parser(new Lexer(text, file, sink), sink, file).model();
}

const describe = (t: Token): string => (t.kind === 'eof' ? 'end of file' : `'${t.text.slice(0, 30)}'`);

class Parser {
  private readonly ahead: Token[] = [];
  private prev: Token;
  private depth = 0;
  private operators = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly sink: DiagnosticSink,
    file: string,
  ) {
    const start = { file, line: 1, col: 1, endLine: 1, endCol: 1 };
    this.prev = { kind: 'eof', text: '', value: 0, span: start, lineStart: true };
  }

  // ------------------------------------------------------------------------------------------------------
  // Token plumbing

  private peek(n = 0): Token {
    while (this.ahead.length <= n) this.ahead.push(this.lexer.next());
    return this.ahead[n]!;
  }

  private advance(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') {
      this.ahead.shift();
      this.prev = t;
    }
    return t;
  }

  /** Punctuation or keyword `text`. */
  private at(text: string, n = 0): boolean {
    const t = this.peek(n);
    return (t.kind === 'punct' || t.kind === 'keyword') && t.text === text;
  }

  /** A contextual word such as `line` or `on`. */
  private atWord(word: string, n = 0): boolean {
    const t = this.peek(n);
    return t.kind === 'ident' && t.text === word;
  }

  private match(text: string): boolean {
    if (!this.at(text)) return false;
    this.advance();
    return true;
  }

  private fail(code: Code, message: string, span: SourceSpan = this.peek().span): never {
    this.sink.error(code, message, span);
    throw new ParseError(message);
  }

  private consume(text: string, message: string): Token {
    if (this.at(text)) return this.advance();
    return this.fail('E202', message);
  }

  private consumeWord(word: string, message: string): Token {
    if (this.atWord(word)) return this.advance();
    return this.fail('E202', message);
  }

  private name(message: string): A.Name {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail('E202', t.kind === 'keyword' ? `${message.slice(0, -1)}; '${t.text}' is a reserved word.` : message);
    this.advance();
    return { text: t.text, span: t.span };
  }

  private intLit(message: string): A.IntLit {
    const t = this.peek();
    if (t.kind !== 'int') this.fail('E202', message);
    this.advance();
    return { value: t.value, span: t.span };
  }

  private from(start: SourceSpan): SourceSpan {
    return spanJoin(start, this.prev.span);
  }

  /** Run `rule` one nesting level deeper, failing past MAX_NESTING. */
  /** Reading the bounds of an integer range type: a name there is not indexed (`0..N[4]`: four of 0..N). */
  private inTypeBound = false;

  private nested<T>(rule: () => T): T {
    if (this.depth >= MAX_NESTING) this.fail('E206', `Nesting too deep (the limit is ${MAX_NESTING} levels).`);
    this.depth++;
    try {
      return rule();
    } finally {
      this.depth--;
    }
  }

  private skipSemicolons(): void {
    while (this.at(';')) this.advance();
  }

  private atDeclStart(): boolean {
    const t = this.peek();
    if (t.kind !== 'keyword' || !DECL_KEYWORDS.has(t.text)) return false;
    // `thread` is also a type (`var t : thread`, `bool[thread]`): not a declaration there.
    return !(t.text === 'thread' && this.prev.kind === 'punct' && (this.prev.text === ':' || this.prev.text === '['));
  }

  // ------------------------------------------------------------------------------------------------------
  // Declarations

  model(): A.Model {
    const decls: A.Decl[] = [];
    for (;;) {
      this.skipSemicolons();
      if (this.peek().kind === 'eof') break;
      this.operators = 0;
      try {
        decls.push(this.decl());
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        this.syncDecl();
      }
    }
    return { file: this.prev.span.file, decls, end: this.peek().span };
  }

  private syncDecl(): void {
    while (this.peek().kind !== 'eof' && !this.atDeclStart()) this.advance();
  }

  private decl(): A.Decl {
    const t = this.peek();
    if (t.kind !== 'keyword' || !DECL_KEYWORDS.has(t.text)) this.fail('E201', `Expect declaration, found ${describe(t)}.`);
    this.advance();
    switch (t.text) {
      case 'const': {
        const name = this.name("Expect constant name after 'const'.");
        this.consume('=', "Expect '=' after constant name.");
        const value = this.intLit("Expect integer after '='.");
        return { kind: 'const', name, value, span: this.from(t.span) };
      }
      case 'machine':
        return this.machine(t);
      case 'lock': {
        const name = this.name("Expect lock name after 'lock'.");
        const length = this.arrayLength();
        this.consume(':', "Expect ':' after lock name.");
        const kind = this.peek();
        let lockKind: 'spin' | 'irqsave' | 'mutex';
        if (this.atWord('spin') || this.atWord('mutex') || this.at('irqsave')) lockKind = kind.text as typeof lockKind;
        else this.fail('E202', "Expect lock kind 'spin', 'irqsave' or 'mutex'.");
        this.advance();
        const handoff = this.atWord('handoff');
        if (handoff) this.advance();
        return { kind: 'lock', name, lockKind, handoff, ...(length ? { length } : {}), span: this.from(t.span) };
      }
      case 'wq':
        return { kind: 'wq', name: this.name("Expect wait queue name after 'wq'."), span: this.from(t.span) };
      case 'runqueue': {
        const name = this.name("Expect run queue name after 'runqueue'.");
        const length = this.arrayLength();
        return { kind: 'runqueue', name, ...(length ? { length } : {}), span: this.from(t.span) };
      }
      case 'enum': {
        const name = this.name("Expect enum name after 'enum'.");
        this.consume('{', "Expect '{' after enum name.");
        const members = [this.name('Expect enum member name.')];
        while (this.match(',')) members.push(this.name("Expect enum member name after ','."));
        this.consume('}', "Expect '}' after enum members.");
        return { kind: 'enum', name, members, span: this.from(t.span) };
      }
      case 'percpu':
      case 'perthread':
        this.consume('var', `Expect 'var' after '${t.text}'.`);
        return this.varDecl(t, t.text);
      case 'var':
        return this.varDecl(t, 'global');
      case 'thread':
        return this.thread(t);
      case 'proc': {
        const name = this.name("Expect procedure name after 'proc'.");
        const body = this.block('procedure body');
        return { kind: 'proc', name, body, span: spanJoin(t.span, name.span) };
      }
      case 'handler':
        return this.handler(t);
      case 'invariant': {
        let name: A.Name | null = null;
        if (this.peek().kind === 'ident' && this.at(':', 1)) {
          name = this.name('Expect invariant name.');
          this.advance();
        }
        const cond = this.expr();
        return { kind: 'invariant', name, cond, span: this.from(t.span) };
      }
      case 'expect': {
        const p = this.peek();
        if (p.kind !== 'property') this.fail('E202', "Expect property id after 'expect'.");
        this.advance();
        let verdict: 'holds' | 'violated';
        if (this.atWord('holds') || this.atWord('violated')) verdict = this.advance().text as typeof verdict;
        else this.fail('E202', "Expect 'holds' or 'violated' after property id.");
        return { kind: 'expect', property: { text: p.text, span: p.span }, verdict, span: this.from(t.span) };
      }
      default:
        return this.fail('E201', `Expect declaration, found ${describe(t)}.`, t.span);
    }
  }

  private machine(t: Token): A.Decl {
    const arch = this.peek();
    if (!(this.atWord('x86_64') || this.atWord('aarch64'))) this.fail('E202', "Expect 'x86_64' or 'aarch64' after 'machine'.");
    this.advance();
    const open = this.consume('{', "Expect '{' after architecture.");
    const items: A.MachineItem[] = [];
    for (;;) {
      this.skipSemicolons();
      if (this.match('}')) break;
      if (this.peek().kind === 'eof' || this.atDeclStart()) {
        this.sink.error('E205', "Expect '}' to close this block.", open.span);
        break;
      }
      try {
        items.push(this.machineItem());
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        while (!(this.peek().kind === 'eof' || this.at('}') || this.atDeclStart() || (this.peek().kind === 'ident' && MACHINE_ITEMS.has(this.peek().text)))) {
          this.advance();
        }
      }
    }
    return { kind: 'machine', arch: { text: arch.text, span: arch.span }, items, span: spanJoin(t.span, arch.span) };
  }

  private machineItem(): A.MachineItem {
    const t = this.peek();
    if (t.kind === 'keyword' && t.text === 'syscall') {
      this.advance();
      return { kind: 'syscall', proc: this.name("Expect procedure name after 'syscall'."), span: this.from(t.span) };
    }
    if (t.kind !== 'ident' || !MACHINE_ITEMS.has(t.text)) {
      this.fail('E202', `Expect 'cpus', 'irq', 'scheduler', 'latency', 'controller', 'preempt_offset' or 'boot', found ${describe(t)}.`);
    }
    this.advance();
    switch (t.text) {
      case 'cpus':
        return { kind: 'cpus', count: this.expr(), span: this.from(t.span) };
      case 'latency':
        return { kind: 'latency', bound: this.expr(), span: this.from(t.span) };
      case 'preempt_offset':
        return { kind: 'preempt_offset', count: this.expr(), span: this.from(t.span) };
      case 'boot':
        this.consumeWord('masked', "Expect 'masked' after 'boot'.");
        return { kind: 'boot_masked', span: this.from(t.span) };
      case 'scheduler':
        return { kind: 'scheduler', proc: this.name("Expect procedure name after 'scheduler'."), span: this.from(t.span) };
      case 'controller': {
        const word = this.peek().text;
        const controller = word === 'i8259' || word === 'gic' ? word : 'lapic';
        this.consumeWord(controller, "Expect 'lapic', 'i8259' or 'gic' after 'controller'.");
        let eoimode: A.IntLit | null = null;
        if (this.atWord('eoimode')) {
          this.advance();
          eoimode = this.intLit("Expect 0 or 1 after 'eoimode'.");
        }
        return { kind: 'controller', controller, eoimode, span: this.from(t.span) };
      }
      default: {
        const name = this.name("Expect line name after 'irq'.");
        this.consumeWord('line', "Expect 'line' after interrupt name.");
        const number = this.intLit("Expect line number after 'line'.");
        const attrs: A.LineAttr[] = [];
        for (;;) {
          const a = this.peek();
          if (this.atWord('priority')) {
            this.advance();
            attrs.push({ kind: 'priority', value: this.intLit("Expect integer after 'priority'."), span: this.from(a.span) });
          } else if (this.atWord('gate')) {
            this.advance();
            let gate: 'interrupt' | 'trap';
            if (this.atWord('interrupt') || this.atWord('trap')) gate = this.advance().text as typeof gate;
            else this.fail('E202', "Expect 'interrupt' or 'trap' after 'gate'.");
            attrs.push({ kind: 'gate', gate, span: this.from(a.span) });
          } else if (this.atWord('ipi')) {
            this.advance();
            attrs.push({ kind: 'ipi', span: a.span });
          } else if (this.atWord('nmi')) {
            this.advance();
            attrs.push({ kind: 'nmi', span: a.span });
          } else if (this.atWord('periodic') || this.atWord('once') || this.at('none')) {
            const source = this.advance().text as 'periodic' | 'once' | 'none';
            attrs.push({ kind: 'source', source, count: null, span: a.span });
          } else if (this.atWord('at')) {
            this.advance();
            this.consumeWord('most', "Expect 'most' after 'at'.");
            const count = this.intLit("Expect a count after 'at most'.");
            attrs.push({ kind: 'source', source: 'at most', count, span: this.from(a.span) });
          } else if (this.atWord('on')) {
            this.advance();
            const cpus = [this.intLit("Expect CPU number after 'on'.")];
            while (this.match(',')) cpus.push(this.intLit("Expect CPU number after ','."));
            attrs.push({ kind: 'on', cpus, span: this.from(a.span) });
          } else {
            break;
          }
        }
        return { kind: 'irq', name, number, attrs, span: this.from(t.span) };
      }
    }
  }

  private varDecl(t: Token, scope: 'global' | 'percpu' | 'perthread'): A.Decl {
    const name = this.name("Expect variable name after 'var'.");
    this.consume(':', "Expect ':' after variable name.");
    const type = this.type();
    const init = this.match('=') ? this.expr() : null;
    return { kind: 'var', scope, name, type, init, span: this.from(t.span) };
  }

  private type(): A.TypeExpr {
    const t = this.peek();
    let base: A.TypeBase;
    if (this.match('bool')) base = { kind: 'bool', span: t.span };
    else if (this.match('thread')) base = { kind: 'thread', span: t.span };
    else if (this.match('cpu')) base = { kind: 'cpu', span: t.span };
    else if (t.kind === 'ident' && !this.at('..', 1) && !isArith(this.peek(1))) {
      this.advance();
      base = { kind: 'named', name: { text: t.text, span: t.span }, span: t.span };
    } else {
      if (t.kind !== 'int' && t.kind !== 'ident' && !this.at('(') && !this.at('-')) this.fail('E202', `Expect type, found ${describe(t)}.`);
      // A bound is a constant expression: `0..N[4]` is the range 0..N, four of them, not N indexed.
      const outer = this.inTypeBound;
      this.inTypeBound = true;
      try {
        const lo = this.sum();
        this.consume('..', "Expect '..' in integer range.");
        const hi = this.sum();
        base = { kind: 'range', lo, hi, span: this.from(t.span) };
      } finally {
        this.inTypeBound = outer;
      }
    }
    return { base, length: this.arrayLength(), span: this.from(t.span) };
  }

  /** `[N]`, `[thread]`, `[cpu]` after a declared name or type, or null. */
  private arrayLength(): A.ArrayLength | null {
    if (!this.at('[')) return null;
    const open = this.advance();
    const l = this.peek();
    let length: A.ArrayLength;
    if (this.match('thread')) length = { kind: 'thread', span: l.span };
    else if (this.match('cpu')) length = { kind: 'cpu', span: l.span };
    else length = { kind: 'size', size: this.sum(), span: l.span };
    this.consume(']', "Expect ']' after array length.");
    length.span = spanJoin(open.span, this.prev.span);
    return length;
  }

  /** `on rq[c]` / `from rq[c]` after a run-queue statement: the run queue it names, if any. */
  private queueAfter(word: 'on' | 'from'): Record<typeof word, A.QueueRef> | Record<string, never> {
    // On the next line, `on` / `from` begins a statement of its own (an assignment to a variable of that name).
    if (!this.atWord(word) || this.peek().lineStart) return {};
    this.advance();
    const name = this.name(`Expect run queue name after '${word}'.`);
    return { [word]: { name, ...this.elementIndex() } } as Record<typeof word, A.QueueRef>;
  }

  /** `[e]` after a lock name: the element of a lock array, or undefined. */
  private elementIndex(): { index: A.Expr } | Record<string, never> {
    if (!this.match('[')) return {};
    const index = this.nested(() => this.expr());
    this.consume(']', "Expect ']' after index.");
    return { index };
  }

  private thread(t: Token): A.Decl {
    const name = this.name("Expect thread name after 'thread'.");
    let size: A.Expr | null = null;
    if (this.match('[')) {
      size = this.sum();
      this.consume(']', "Expect ']' after thread array size.");
    }
    const attrs: A.ThreadAttr[] = [];
    for (;;) {
      const a = this.peek();
      if (this.atWord('on')) {
        this.advance();
        if (this.atWord('each')) {
          this.advance();
          attrs.push({ kind: 'on', cpu: 'each', span: this.from(a.span) });
        } else {
          attrs.push({ kind: 'on', cpu: this.intLit("Expect CPU number or 'each' after 'on'."), span: this.from(a.span) });
        }
      } else if (this.atWord('ready') || this.atWord('dormant')) {
        this.advance();
        attrs.push({ kind: a.text as 'ready' | 'dormant', span: a.span });
      } else if (this.atWord('stack')) {
        this.advance();
        attrs.push({ kind: 'stack', depth: this.intLit("Expect stack depth after 'stack'."), span: this.from(a.span) });
      } else if (this.atWord('forged')) {
        this.advance();
        const frames: A.ForgedFrameAst[] = [];
        do frames.push(this.forgedFrame());
        while (this.match(','));
        attrs.push({ kind: 'forged', frames, span: this.from(a.span) });
      } else if (this.atWord('waits')) {
        this.advance();
        if (!this.atWord('for')) this.fail('E202', `Expect 'for' after 'waits', found ${describe(this.peek())}.`);
        this.advance();
        const cond = this.expr();
        attrs.push({ kind: 'waits', cond, span: this.from(a.span) });
      } else {
        break;
      }
    }
    const header = this.from(t.span);
    if (this.atWord('entry')) {
      const e = this.advance();
      const proc = this.name("Expect procedure name after 'entry'.");
      return { kind: 'thread', name, size, attrs, body: { kind: 'entry', proc, span: spanJoin(e.span, proc.span) }, span: header };
    }
    if (!this.at('{')) this.fail('E202', `Expect '{' or 'entry' after thread declaration, found ${describe(this.peek())}.`);
    const block = this.block('thread body');
    return { kind: 'thread', name, size, attrs, body: { kind: 'block', block }, span: header };
  }

  private handler(t: Token): A.Decl {
    const name = this.name("Expect handler name after 'handler'.");
    let on: A.Name | null = null;
    let stack: A.IntLit | null = null;
    let defersEoi: SourceSpan | null = null;
    for (;;) {
      if (this.atWord('on')) {
        this.advance();
        on = this.name("Expect line name after 'on'.");
      } else if (this.atWord('stack')) {
        this.advance();
        stack = this.intLit("Expect stack depth after 'stack'.");
      } else if (this.atWord('defers')) {
        const d = this.advance();
        if (!this.at('eoi')) this.fail('E202', `Expect 'eoi' after 'defers', found ${describe(this.peek())}.`);
        const e = this.advance();
        if (defersEoi !== null) this.sink.error('E518', "'defers eoi' is given more than once.", spanJoin(d.span, e.span));
        defersEoi = spanJoin(d.span, e.span);
      } else {
        break;
      }
    }
    const header = this.from(t.span);
    return { kind: 'handler', name, on, stack, defersEoi, body: this.block('handler body'), span: header };
  }

  // ------------------------------------------------------------------------------------------------------
  // Statements

  private block(what: string): A.Block {
    return this.nested(() => this.blockBody(what));
  }

  private blockBody(what: string): A.Block {
    const open = this.consume('{', `Expect '{' before ${what}.`);
    const stmts: A.Stmt[] = [];
    for (;;) {
      this.skipSemicolons();
      const t = this.peek();
      if (this.match('}')) return { stmts, open: open.span, close: t.span };
      if (t.kind === 'eof' || this.atDeclStart()) {
        // Leave the declaration keyword for the top level: the rest of the file still parses.
        this.sink.error('E205', "Expect '}' to close this block.", open.span);
        return { stmts, open: open.span, close: t.kind === 'eof' ? t.span : this.prev.span };
      }
      const before = t;
      this.operators = 0;
      try {
        stmts.push(this.stmt());
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        if (this.peek() === before) this.advance();
        this.syncStmt();
      }
    }
  }

  /** Skip to the next statement start, `}` or declaration; brace groups are skipped whole. */
  private syncStmt(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.atDeclStart()) return;
      if (depth === 0) {
        if (this.at('}')) return;
        if (t.kind === 'keyword' && STMT_KEYWORDS.has(t.text)) return;
        if (t.kind === 'ident' && t.lineStart) return;
      }
      if (this.at('{')) depth++;
      else if (this.at('}')) depth--;
      this.advance();
    }
  }

  /** One forged frame: `switch | iret | eret | call` [`to` PROC], or a bare PROC (a switch frame that returns to it). */
  private forgedFrame(): A.ForgedFrameAst {
    const start = this.peek();
    if (this.atWord('switch') || this.at('iret') || this.at('eret') || this.at('call')) {
      const frame = this.advance().text as A.ForgedFrameAst['frame'];
      let to: A.Name | null = null;
      if (this.atWord('to')) {
        this.advance();
        to = this.name(`Expect the routine the forged ${frame} frame returns to after 'to'.`);
      }
      return { frame, to, span: this.from(start.span) };
    }
    if (start.kind !== 'ident') this.fail('E202', "Expect 'switch', 'iret', 'eret', 'call' or a procedure name after 'forged'.");
    return { frame: 'switch', to: this.name('Expect procedure name.'), span: this.from(start.span) };
  }

  private stmt(): A.Stmt {
    const t = this.peek();
    // `local` is a contextual word: `local x : T` declares, `local := 1` assigns a variable named local.
    if (this.atWord('local') && (this.peek(1).kind === 'ident' || this.peek(1).kind === 'keyword') && this.at(':', 2)) return this.localDecl();
    // `deactivate x` (GIC EOImode 1): a name followed by a name cannot start an assignment.
    if (t.kind === 'ident' && t.text === 'deactivate' && this.peek(1).kind === 'ident') {
      this.advance();
      return { kind: 'deactivate', id: this.name("Expect INTID after 'deactivate'."), span: this.from(t.span) };
    }
    // `warn_on e` (Linux's WARN_ON): a contextual word, unless it is the target of an assignment.
    if (t.kind === 'ident' && t.text === 'warn_on' && !this.at(':=', 1) && !this.at('[', 1) && !this.at('@', 1)) {
      this.advance();
      const cond = this.expr();
      const message = this.peek().kind === 'string' ? this.advance().text : null;
      return { kind: 'assert', cond, message, warnOn: true, span: this.from(t.span) };
    }
    if (t.kind === 'ident') return this.assignment();
    if (t.kind === 'keyword' && t.text === 'state' && this.at('(', 1)) {
      // `state(t) := s`: a thread's state written by the design (xv6's p->state).
      this.advance();
      this.advance();
      const thread = this.nested(() => this.expr());
      this.consume(')', "Expect ')' after the thread of 'state'.");
      this.consume(':=', "Expect ':=' after 'state(...)': a statement that starts with 'state' writes a thread's state.");
      return { kind: 'set_state', thread, value: this.expr(), span: this.from(t.span) };
    }
    if (t.kind === 'keyword' && t.text === 'current' && this.at(':=', 1)) {
      // `current := t`: the software current written on its own (a split context switch).
      this.advance();
      this.advance();
      return { kind: 'thread', op: 'set_current', thread: this.expr(), span: this.from(t.span) };
    }
    if (t.kind !== 'keyword' || !STMT_KEYWORDS.has(t.text)) this.fail('E204', `Expect statement, found ${describe(t)}.`);
    this.advance();
    const op = t.text;
    if ((A.SIMPLE_STATEMENTS as readonly string[]).includes(op)) return { kind: 'simple', op: op as A.SimpleOp, span: t.span };
    if ((A.WAIT_STATEMENTS as readonly string[]).includes(op)) {
      return { kind: 'wait', op: op as A.WaitOp, queue: this.name(`Expect wait queue name after '${op}'.`), span: this.from(t.span) };
    }
    if ((A.THREAD_STATEMENTS as readonly string[]).includes(op)) {
      const thread = this.expr();
      const on = op === 'enqueue' || op === 'wake' || op === 'spawn' ? this.queueAfter('on') : op === 'dequeue' ? this.queueAfter('from') : {};
      return { kind: 'thread', op: op as A.ThreadOp, thread, ...on, span: this.from(t.span) };
    }
    switch (op) {
      case 'if':
        return this.ifStmt(t);
      case 'while': {
        const cond = this.expr();
        const span = this.from(t.span);
        return { kind: 'while', cond, body: this.block("'while' body"), span };
      }
      case 'loop':
        return { kind: 'loop', body: this.block("'loop' body"), span: t.span };
      case 'call':
        return { kind: 'call', proc: this.name("Expect procedure name after 'call'."), span: this.from(t.span) };
      case 'assert': {
        const cond = this.expr();
        let message: string | null = null;
        if (this.peek().kind === 'string') message = this.advance().text;
        return { kind: 'assert', cond, message, span: this.from(t.span) };
      }
      case 'eoi':
        // A bare `eoi` (LAPIC) is followed by no name, or by the target of an assignment (`eoi x := 1`).
        if (this.peek().kind !== 'ident' || this.at(':=', 1) || this.at('[', 1) || this.at('@', 1)) return { kind: 'line', op, line: null, span: t.span };
        return { kind: 'line', op, line: this.name("Expect line name after 'eoi'."), span: this.from(t.span) };
      case 'ack':
      case 'unpend':
        return { kind: 'line', op, line: this.name(`Expect line name after '${op}'.`), span: this.from(t.span) };
      case 'tpr': {
        this.consume(':=', "Expect ':=' after 'tpr'.");
        const value = this.expr();
        return { kind: 'tpr', value, span: this.from(t.span) };
      }
      case 'pmr': {
        this.consume(':=', "Expect ':=' after 'pmr'.");
        const value = this.expr();
        return { kind: 'pmr', value, span: this.from(t.span) };
      }
      case 'raise': {
        const line = this.name("Expect line name after 'raise'.");
        let to: A.Expr | null = null;
        if (this.atWord('to')) {
          this.advance();
          to = this.expr();
        }
        return { kind: 'raise', line, to, span: this.from(t.span) };
      }
      case 'acquire':
      case 'release':
      {
        const lock = this.name(`Expect lock name after '${op}'.`);
        return { kind: 'lock', op, lock, ...this.elementIndex(), span: this.from(t.span) };
      }
      case 'pick': {
        const target = this.lvalue();
        // `where` is contextual: a variable named so may start the next statement (`where := 1`).
        if (!this.atWord('where') || this.at(':=', 1) || this.at('[', 1) || this.at('@', 1)) return { kind: 'pick', target, ...this.queueAfter('from'), span: this.from(t.span) };
        this.advance();
        return { kind: 'pick_where', target, cond: this.expr(), span: this.from(t.span) };
      }
      case 'either': {
        const blocks = [this.block("'either' block")];
        if (!this.at('or')) this.fail('E202', `Expect 'or' after the 'either' block, found ${describe(this.peek())}.`);
        while (this.match('or')) blocks.push(this.block("'or' block"));
        return { kind: 'either', blocks, span: t.span };
      }
      case 'user':
        return { kind: 'user', body: this.block("'user' block"), span: t.span };
      case 'syscall':
      case 'svc':
      case 'sysret':
        return { kind: 'privilege', op, span: t.span };
      case 'int':
        return { kind: 'int', line: this.name("Expect line name after 'int'."), span: this.from(t.span) };
      default:
        return this.fail('E204', `Expect statement, found ${describe(t)}.`, t.span);
    }
  }

  private ifStmt(t: Token): A.Stmt {
    const cond = this.expr();
    const span = this.from(t.span);
    const then = this.block("'if' body");
    let otherwise: A.Block | null = null;
    if (this.at('else')) {
      const e = this.advance();
      if (this.at('if')) {
        // `else if` nests the second `if` inside the first's else branch, and every later pass recurses into
        // it: a chain counts against the nesting limit like the blocks it stands for.
        const nested = this.advance();
        const inner = this.nested(() => this.ifStmt(nested));
        otherwise = { stmts: [inner], open: e.span, close: this.prev.span };
      } else {
        otherwise = this.block("'else' body");
      }
    }
    return { kind: 'if', cond, then, else: otherwise, span };
  }

  private lvalue(): A.LValue {
    const name = this.name('Expect variable name.');
    let index: A.Expr | null = null;
    let at: A.Expr | null = null;
    if (this.match('[')) {
      index = this.nested(() => this.expr());
      this.consume(']', "Expect ']' after index.");
    }
    if (this.match('@')) at = this.nested(() => this.unary());
    return { name, index, at, span: this.from(name.span) };
  }

  private localDecl(): A.Stmt {
    const t = this.advance();
    const word = this.peek();
    let name: A.Name;
    if (word.kind === 'keyword') {
      // `local ret : T`: say so, and read the rest of the declaration so that nothing after it is misread.
      this.sink.error('E202', `Expect variable name after 'local'; '${word.text}' is a reserved word.`, word.span);
      this.advance();
      name = { text: word.text, span: word.span };
    } else {
      name = this.name("Expect variable name after 'local'.");
    }
    this.consume(':', "Expect ':' after variable name.");
    const type = this.type();
    const init = this.match('=') ? this.expr() : null;
    return { kind: 'local', name, type, init, span: this.from(t.span) };
  }

  private assignment(): A.Stmt {
    const target = this.lvalue();
    this.consume(':=', `Expect ':=' after assignment target, found ${describe(this.peek())}.`);
    if (this.match('try_acquire')) {
      const lock = this.name("Expect lock name after 'try_acquire'.");
      return { kind: 'try_acquire', target, lock, ...this.elementIndex(), span: this.from(target.span) };
    }
    if (this.match('ack')) return { kind: 'ack_read', target, span: this.from(target.span) };
    const op = this.peek();
    const next = this.peek(1);
    if (op.kind === 'ident' && Object.hasOwn(A.RMW_OPS, op.text) && (next.kind === 'ident' || next.kind === 'int') && !next.lineStart) {
      // `x := xchg v, 1`: a variable of that name cannot be followed by a name on its line.
      this.advance();
      this.fail('E202', `Expect '(' after '${op.text}': x := ${op.text}(v, ${op.text === 'cmpxchg' ? 'old, new' : 'e'}).`);
    }
    if (op.kind === 'ident' && Object.hasOwn(A.RMW_OPS, op.text) && this.at('(', 1)) {
      this.advance();
      this.advance();
      const rmw = op.text as A.RmwOp;
      const cell = this.lvalue();
      const operands: A.Expr[] = [];
      for (let i = 0; i < A.RMW_OPS[rmw]; i++) {
        this.consume(',', `Expect ',' and ${A.RMW_OPS[rmw] - i} more operand${A.RMW_OPS[rmw] - i === 1 ? '' : 's'} of '${rmw}', found ${describe(this.peek())}.`);
        operands.push(this.expr());
      }
      this.consume(')', `Expect ')' after the operands of '${rmw}', found ${describe(this.peek())}.`);
      return { kind: 'rmw', op: rmw, target, cell, operands, span: this.from(target.span) };
    }
    if (this.match('any')) {
      const lo = this.sum();
      this.consume('..', "Expect '..' in the range after 'any'.");
      const hi = this.sum();
      return { kind: 'any', target, lo, hi, span: this.from(target.span) };
    }
    const value = this.expr();
    return { kind: 'assign', target, value, span: this.from(target.span) };
  }

  // ------------------------------------------------------------------------------------------------------
  // Expressions, loosest binding first

  private expr(): A.Expr {
    return this.binary(['||'], () => this.and());
  }

  private and(): A.Expr {
    return this.binary(['&&'], () => this.equality());
  }

  private equality(): A.Expr {
    return this.binary(['==', '!='], () => this.compare());
  }

  private compare(): A.Expr {
    return this.binary(['<', '<=', '>', '>='], () => this.bitOr());
  }

  // The bitwise operators bind tighter than the comparisons (as in Rust, not C): `x & F == 0` is `(x & F) == 0`.
  private bitOr(): A.Expr {
    return this.binary(['|'], () => this.bitXor());
  }

  private bitXor(): A.Expr {
    return this.binary(['^'], () => this.bitAnd());
  }

  private bitAnd(): A.Expr {
    return this.binary(['&'], () => this.shift());
  }

  private shift(): A.Expr {
    return this.binary(['<<', '>>'], () => this.sum());
  }

  private sum(): A.Expr {
    return this.binary(['+', '-'], () => this.product());
  }

  private product(): A.Expr {
    return this.binary(['*', '/', '%'], () => this.unary());
  }

  private binary(ops: string[], operand: () => A.Expr): A.Expr {
    let left = operand();
    while (this.peek().kind === 'punct' && ops.includes(this.peek().text)) {
      if (++this.operators > MAX_OPERATORS) this.fail('E207', `Expression too long (the limit is ${MAX_OPERATORS} operators).`);
      const op = this.advance().text as A.BinaryOp;
      const right = operand();
      left = { kind: 'binary', op, left, right, span: spanJoin(left.span, right.span) };
    }
    return left;
  }

  private unary(): A.Expr {
    const t = this.peek();
    if (this.match('!') || this.match('-')) {
      const operand = this.nested(() => this.unary());
      return { kind: 'unary', op: t.text as '!' | '-', operand, span: spanJoin(t.span, operand.span) };
    }
    return this.primary();
  }

  private primary(): A.Expr {
    const t = this.peek();
    if (t.kind === 'int') {
      this.advance();
      return { kind: 'int', value: t.value, span: t.span };
    }
    // `pending(L)`, `in_service(L)`, `wq_len(W)`: words of the grammar only before a parenthesis (a variable may be named so).
    if (t.kind === 'ident' && (t.text === 'wq_len' || t.text === 'pending' || t.text === 'in_service') && this.at('(', 1)) {
      this.advance();
      this.advance();
      const of = t.text === 'wq_len' ? 'wait queue' : 'line';
      const name = this.name(`Expect ${of} name after '('.`);
      this.consume(')', `Expect ')' after ${of} name.`);
      const span = this.from(t.span);
      return t.text === 'wq_len' ? { kind: 'wq_len', wq: name, span } : { kind: 'line_state', what: t.text, line: name, span };
    }
    if (t.kind === 'ident') {
      const name = this.name('Expect name.');
      let index: A.Expr | null = null;
      let at: A.Expr | null = null;
      if (!this.inTypeBound && this.match('[')) {
        index = this.nested(() => this.expr());
        this.consume(']', "Expect ']' after index.");
      }
      if (!this.inTypeBound && this.match('@')) at = this.nested(() => this.unary());
      return { kind: 'name', name, index, at, span: this.from(t.span) };
    }
    if (t.kind === 'keyword' && t.text === 'rq_len' && this.at('(', 1)) {
      this.advance();
      this.advance();
      const name = this.name("Expect run queue name after '('.");
      const queue = { name, ...this.elementIndex() };
      this.consume(')', "Expect ')' after run queue.");
      return { kind: 'rq_len_of', queue, span: this.from(t.span) };
    }
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'true':
        case 'false':
          this.advance();
          return { kind: 'bool', value: t.text === 'true', span: t.span };
        case 'none':
        case 'current':
        case 'cpu':
        case 'self':
        case 'rq_len':
        case 'irqs_enabled':
        case 'preempt_count':
        case 'softirq_count':
        case 'hardirq_count':
        case 'from_user':
        case 'pmr':
          this.advance();
          return { kind: t.text, span: t.span };
        case 'state': {
          this.advance();
          this.consume('(', "Expect '(' after 'state'.");
          const thread = this.nested(() => this.expr());
          this.consume(')', "Expect ')' after thread.");
          return { kind: 'state', thread, span: this.from(t.span) };
        }
        case 'holder': {
          this.advance();
          this.consume('(', "Expect '(' after 'holder'.");
          const lock = this.name("Expect lock name after '('.");
          const element = this.elementIndex();
          this.consume(')', "Expect ')' after lock name.");
          return { kind: 'holder', lock, ...element, span: this.from(t.span) };
        }
      }
    }
    if (this.match('(')) {
      const outer = this.inTypeBound;
      this.inTypeBound = false;
      try {
        const inner = this.nested(() => this.expr());
        this.consume(')', "Expect ')' after expression.");
        return { ...inner, span: this.from(t.span) };
      } finally {
        this.inTypeBound = outer;
      }
    }
    return this.fail('E203', `Expect expression, found ${describe(t)}.`);
  }
}

function isArith(t: Token): boolean {
  return t.kind === 'punct' && ['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'].includes(t.text);
}
