// Name collection: every declared name in its namespace, duplicates reported, `--set` overrides applied to the
// constants, and integer constant expressions (`intexpr` of the grammar) evaluated.
//
// Namespaces: interrupt lines have their own (a handler is usually named after its line); invariant names have
// their own; everything else (constants, enums and their members, locks, variables, threads, procedures,
// handlers, and the built-in thread states) shares one, so `call x` can say what `x` is when it is not a proc.

import * as A from './ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import { MAX_INT_LITERAL } from './lexer.js';
import { THREAD_STATES } from '../ir/ir.js';
import type { SourceSpan } from './source.js';
import { unreachable } from '../ir/unreachable.js';

type D<K extends A.Decl['kind']> = Extract<A.Decl, { kind: K }>;
type Irq = Extract<A.MachineItem, { kind: 'irq' }>;

export type Binding =
  | { kind: 'const'; decl: D<'const'> }
  | { kind: 'enum'; decl: D<'enum'> }
  | { kind: 'member'; decl: D<'enum'>; index: number }
  | { kind: 'state'; index: number }
  | { kind: 'lock'; decl: D<'lock'> }
  | { kind: 'wq'; decl: D<'wq'> }
  | { kind: 'runqueue'; decl: D<'runqueue'> }
  | { kind: 'var'; decl: D<'var'> }
  | { kind: 'thread'; decl: D<'thread'> }
  | { kind: 'proc'; decl: D<'proc'> }
  | { kind: 'handler'; decl: D<'handler'> };

/** What a binding is, for messages: "'x' is a lock, not a procedure." */
export function describeBinding(b: Binding): string {
  switch (b.kind) {
    case 'const':
      return 'a constant';
    case 'enum':
      return 'an enum type';
    case 'member':
      return 'an enum member';
    case 'state':
      return 'a thread state';
    case 'lock':
      return 'a lock';
    case 'wq':
      return 'a wait queue';
    case 'runqueue':
      return 'a run queue';
    case 'var':
      return 'a variable';
    case 'thread':
      return 'a thread';
    case 'proc':
      return 'a procedure';
    case 'handler':
      return 'a handler';
  }
}

export interface Scope {
  values: Map<string, Binding>;
  lines: Map<string, Irq>;
  /** Constant values after overrides, in declaration order. */
  constants: Map<string, number>;
}

export interface SetOverride {
  name: string;
  value: number;
}

const bindingSpan = (b: Binding): SourceSpan | null => (b.kind === 'state' ? null : b.kind === 'member' ? b.decl.members[b.index]!.span : b.decl.name.span);

export function resolve(model: A.Model, sets: SetOverride[], sink: DiagnosticSink, setSpan: SourceSpan): Scope {
  const values = new Map<string, Binding>();
  THREAD_STATES.forEach((_, index) => values.set(THREAD_STATES[index]!, { kind: 'state', index }));
  const lines = new Map<string, Irq>();
  const constants = new Map<string, number>();

  const declare = (name: A.Name, binding: Binding): void => {
    const old = values.get(name.text);
    if (old) {
      const where = bindingSpan(old);
      const at = where ? ` at ${where.line}:${where.col}` : ' as a thread state';
      sink.error('E302', `'${name.text}' is already declared${at}.`, name.span);
      return;
    }
    values.set(name.text, binding);
  };

  for (const decl of model.decls) {
    switch (decl.kind) {
      case 'const':
        declare(decl.name, { kind: 'const', decl });
        if (!constants.has(decl.name.text)) constants.set(decl.name.text, decl.value.value);
        break;
      case 'enum':
        declare(decl.name, { kind: 'enum', decl });
        decl.members.forEach((m, index) => declare(m, { kind: 'member', decl, index }));
        break;
      case 'lock':
      case 'wq':
      case 'runqueue':
      case 'var':
      case 'thread':
      case 'proc':
      case 'handler':
        declare(decl.name, { kind: decl.kind, decl } as Binding);
        break;
      case 'machine':
        for (const item of decl.items) {
          if (item.kind !== 'irq') continue;
          const old = lines.get(item.name.text);
          if (old) sink.error('E302', `Line '${item.name.text}' is already declared at ${old.name.span.line}:${old.name.span.col}.`, item.name.span);
          else lines.set(item.name.text, item);
        }
        break;
      case 'invariant':
      case 'expect':
        break;
      default:
        unreachable(decl);
    }
  }

  for (const set of sets) {
    const b = values.get(set.name);
    if (b?.kind !== 'const') sink.error('E601', `--set ${set.name}: no constant '${set.name}' is declared.`, setSpan);
    else constants.set(set.name, set.value);
  }
  return { values, lines, constants };
}

/**
 * Evaluate an `intexpr`: integers, constants, + - * / % and parentheses, with truncating division. Null after
 * reporting when it is not one.
 */
export function evalConstInt(e: A.Expr, scope: Scope, sink: DiagnosticSink): number | null {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'name': {
      const b = scope.values.get(e.name.text);
      if (!b) {
        sink.error('E301', `Unknown name '${e.name.text}'.`, e.name.span);
        return null;
      }
      if (b.kind !== 'const') {
        sink.error('E403', `Expect a constant expression; '${e.name.text}' is ${describeBinding(b)}.`, e.span);
        return null;
      }
      if (e.index || e.at) {
        sink.error('E403', `Expect a constant expression; the constant '${e.name.text}' cannot be ${e.index ? 'indexed' : "read on another CPU ('@')"}.`, e.span);
        return null;
      }
      return scope.constants.get(e.name.text)!;
    }
    case 'unary': {
      if (e.op !== '-') break;
      const v = evalConstInt(e.operand, scope, sink);
      return v === null ? null : checked(-v, e.span, sink);
    }
    case 'binary': {
      if (!['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'].includes(e.op)) break;
      const l = evalConstInt(e.left, scope, sink);
      const r = evalConstInt(e.right, scope, sink);
      if (l === null || r === null) return null;
      return arith(e.op, l, r, e.span, sink);
    }
    default:
      break;
  }
  sink.error('E403', 'Expect a constant expression (integers, constants and + - * / % & | ^ << >>).', e.span);
  return null;
}

/** Integer arithmetic on constants; null after reporting division by zero or overflow. */
export function arith(op: A.BinaryOp, l: number, r: number, span: SourceSpan, sink: DiagnosticSink): number | null {
  switch (op) {
    case '+':
      return checked(l + r, span, sink);
    case '-':
      return checked(l - r, span, sink);
    case '*':
      return checked(l * r, span, sink);
    case '/':
    case '%':
      if (r === 0) {
        sink.error('E404', 'Division by zero in a constant expression.', span);
        return null;
      }
      return checked(op === '/' ? Math.trunc(l / r) : l % r, span, sink);
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>': {
      const shift = op === '<<' || op === '>>';
      if (l < 0 || r < 0 || (shift && r > MAX_SHIFT)) {
        sink.error('E411', shift ? `A shift needs a non-negative value and an amount in 0..${MAX_SHIFT}, found ${l} ${op} ${r}.` : `'${op}' needs non-negative operands, found ${l} ${op} ${r}.`, span);
        return null;
      }
      if (op === '<<') return checked(l * 2 ** r, span, sink);
      if (op === '>>') return Math.floor(l / 2 ** r);
      return op === '&' ? l & r : op === '|' ? l | r : l ^ r;
    }
    default:
      throw new Error(`not an arithmetic operator: ${op}`);
  }
}

/** The largest shift amount: values stay below 2^31, where the engines' bitwise operations are exact. */
export const MAX_SHIFT = 30;

function checked(v: number, span: SourceSpan, sink: DiagnosticSink): number | null {
  if (Math.abs(v) > MAX_INT_LITERAL) {
    sink.error('E406', `Constant arithmetic overflows (the limit is ${MAX_INT_LITERAL}).`, span);
    return null;
  }
  return v === 0 ? 0 : v; // no negative zero
}
