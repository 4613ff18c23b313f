// The front end's one entry point: text (or a file) to a Program, or to the diagnostics that say why not.
// Phases run in order and stop after the first that reported an error, except that name resolution and type
// checking report together. Nothing here throws: an internal failure becomes an E000 diagnostic.

import type { Program } from '../ir/ir.js';
import { lower } from './lower.js';
import { DiagnosticSink, sortDiagnostics, StopChecking, TooManyDiagnostics, type Diagnostic } from './diagnostics.js';
import { MAX_INT_LITERAL } from './lexer.js';
import { parse } from './parser.js';
import { readRegularFile } from './readfile.js';
import { resolve, type SetOverride } from './resolve.js';
import { LineIndex, pointSpan, type SourceSpan } from './source.js';
import { typecheck } from './typecheck.js';

export interface LoadResult {
  diagnostics: Diagnostic[];
  /** Non-null exactly when no diagnostic is an error. */
  program: Program | null;
}

const SET_FORM = /^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$/;

function parseSets(sets: string[], sink: DiagnosticSink, span: SourceSpan): SetOverride[] {
  const out: SetOverride[] = [];
  for (const set of sets) {
    const m = SET_FORM.exec(set);
    const value = m ? Number(m[2]) : NaN;
    if (!m || value > MAX_INT_LITERAL) {
      sink.error('E602', `--set '${set.slice(0, 60)}': expect NAME=VALUE with a whole number from 0 to ${MAX_INT_LITERAL}.`, span);
      continue;
    }
    if (out.some((o) => o.name === m[1])) {
      sink.error('E602', `--set '${m[1]}' is given more than once; give each constant one value.`, span);
      continue;
    }
    out.push({ name: m[1]!, value });
  }
  return out;
}

export function loadModelFromText(text: string, file: string, sets: string[]): LoadResult {
  const sink = new DiagnosticSink();
  const top = pointSpan(file, 1, 1);
  let program: Program | null = null;
  let truncated = false;
  try {
    const overrides = parseSets(sets, sink, top);
    const model = parse(text, file, sink);
    if (!sink.hasErrors()) {
      const scope = resolve(model, overrides, sink, top);
      const source = (span: SourceSpan): string | null =>
        span.line === span.endLine ? LineIndex.of(text).line(span.line).slice(span.col - 1, span.endCol - 1) : null;
      const checked = typecheck(model, scope, sink, source);
      if (!sink.hasErrors()) program = lower(checked, sink);
    }
  } catch (e) {
    if (e instanceof TooManyDiagnostics) {
      truncated = true;
    } else if (!(e instanceof StopChecking)) {
      const why = e instanceof Error ? e.message : String(e);
      sink.diagnostics.push({ code: 'E000', severity: 'error', message: `Internal error: ${why}`, span: top });
    }
    program = null;
  }
  const diagnostics = sortDiagnostics(sink.diagnostics);
  if (truncated) {
    const last = diagnostics.at(-1)?.span ?? top;
    diagnostics.push({ code: 'E001', severity: 'error', message: `Too many errors (${diagnostics.length}); stopping here.`, span: last });
  }
  return { diagnostics, program: diagnostics.some((d) => d.severity === 'error') ? null : program };
}

export function loadModel(file: string, sets: string[]): LoadResult {
  const read = readRegularFile(file);
  if (!read.ok) {
    return {
      diagnostics: [{ code: 'E603', severity: 'error', message: `Cannot read the model file (${read.why}).`, span: pointSpan(file, 1, 1) }],
      program: null,
    };
  }
  return loadModelFromText(read.text, file, sets);
}
