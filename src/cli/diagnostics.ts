// Printing diagnostics on the command line: each with "did you mean" when the word it is about is a slip of a
// keyword, a declared name or a property id, and the source line under it.

import { PLAN_DIRECTIVES } from '../checker/plandirectives.js';
import { PROPERTY_IDS } from '../ir/ir.js';
import { formatDiagnostic, type Diagnostic } from '../lang/diagnostics.js';
import { sourceTextOf } from '../lang/readfile.js';
import { KEYWORDS } from '../lang/lexer.js';
import { LineIndex } from '../lang/source.js';
import { paint } from './colour.js';
import { closest } from './suggest.js';

const DECLARATIONS = ['const', 'machine', 'lock', 'enum', 'var', 'percpu', 'perthread', 'thread', 'proc', 'handler', 'invariant', 'expect'];
/** The grammar's contextual words (docs/language.md), which a slip may also be of. */
const CONTEXTUAL = ['x86_64', 'aarch64', 'cpus', 'irq', 'line', 'priority', 'gate', 'interrupt', 'trap', 'ipi', 'periodic', 'once', 'at', 'most', 'on', 'each', 'scheduler', 'latency', 'controller', 'lapic', 'i8259', 'gic', 'vector', 'eoimode', 'deactivate', 'spin', 'irqsave', 'mutex', 'handoff', 'ready', 'dormant', 'stack', 'forged', 'waits', 'for', 'defers', 'boot', 'masked', 'pending', 'in_service', 'wq_len', 'switch', 'entry', 'to', 'holds', 'violated'];
const WORDS = [...KEYWORDS, ...CONTEXTUAL];
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

/** The identifiers of a model's text outside comments: the names it declares and uses. */
function namesIn(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
  return [...new Set(code.match(IDENT) ?? [])].filter((w) => !KEYWORDS.has(w) && !CONTEXTUAL.includes(w));
}

/** A word close to one of `known` but not itself known: its closest match, when it is long enough to judge. */
function slip(word: string | undefined, known: readonly string[]): string | undefined {
  if (word === undefined || word.length < 3 || known.includes(word)) return undefined;
  return closest(word, known);
}

function withHint(message: string, hint: string): string {
  return message.endsWith('.') ? `${message.slice(0, -1)}; ${hint}` : `${message}; ${hint}`;
}

/** The diagnostic with "did you mean" added to its message when a near name is known, or unchanged. */
export function withSuggestion(d: Diagnostic, text: string): Diagnostic {
  const quoted = /'([^']+)'/.exec(d.message)?.[1];
  if (d.code === 'E301' || d.code === 'E305') {
    const names = namesIn(text).filter((n) => n !== quoted);
    const best = slip(quoted, names);
    return best === undefined ? d : { ...d, message: withHint(d.message, `did you mean '${best}'?`) };
  }
  if (d.code === 'G101') {
    const best = slip(quoted, PLAN_DIRECTIVES);
    return best === undefined ? d : { ...d, message: `${d.message} Did you mean '${best}'?` };
  }
  if (d.code === 'E306' || d.code === 'G106') {
    const best = slip(quoted, PROPERTY_IDS);
    return best === undefined ? d : { ...d, message: withHint(d.message, `did you mean '${best}'?`) };
  }
  if (d.code === 'E201' || d.code === 'E202' || d.code === 'E204') {
    const line = LineIndex.of(text).line(d.span.line);
    const at = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(d.span.col - 1))?.[0];
    const known = d.code === 'E201' ? DECLARATIONS : WORDS;
    const best = slip(at, known);
    if (best !== undefined) return { ...d, message: withHint(d.message, `did you mean '${best}'?`) };
    // `aquire L` reads as an assignment to `aquire` and fails at `L`: the slip is the word before.
    const before = line.slice(0, d.span.col - 1).match(IDENT)?.at(-1);
    const earlier = slip(before, WORDS);
    if (earlier !== undefined) return { ...d, message: `${d.message} Did you mean '${earlier}' for '${before}'?` };
  }
  return d;
}

/** Every diagnostic, formatted with its source line (and suggestion), on stderr. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], sources?: (file: string) => string): void {
  if (diagnostics.length === 0) return;
  const cache = new Map<string, string>();
  const textOf = (file: string): string => {
    if (sources !== undefined) return sources(file);
    let text = cache.get(file);
    if (text === undefined) {
      // Only a regular file of bounded size, read without blocking: never a FIFO, a device or a secret's lines.
      text = sourceTextOf(file); // unreadable: '', the diagnostic says so, and there is no line to show
      cache.set(file, text);
    }
    return text;
  };
  const lines = diagnostics.map((d) => {
    const text = textOf(d.span.file);
    const formatted = formatDiagnostic(withSuggestion(d, text), text);
    const [head, ...rest] = formatted.split('\n');
    return [paint(d.severity === 'error' ? 'error' : 'warning', head!), ...rest].join('\n');
  });
  process.stderr.write(`${lines.join('\n')}\n`);
}
