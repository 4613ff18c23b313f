// A saved ITF counterexample read from its file (`export`, `replay`): in chunks, checked and decoded as it is read
// (report/itf.ts, readItf), so that the first problem ends the reading where it is and a long valid trace is
// held as its decoded states, never as its text. A problem found in a value is located by reading the file
// again up to that value; the line shown under a diagnostic is read the same way, up to a window around it.

import type { Counterexample } from '../checker/verdict.js';
import { SHOWN_WIDTH, type LineExcerpt } from '../lang/diagnostics.js';
import { CHUNK_BYTES, MAX_TRACE_BYTES, readChunks, ReadFailure } from '../lang/readfile.js';
import type { ModelInfo } from '../report/dot.js';
import { readItf, type ItfProblem } from '../report/itf.js';
import { JsonReader, JsonSyntaxError, locate, type Position } from '../report/jsonpos.js';

export type ItfFileRead = { bytesRead: number } & (
  | { ok: true; counterexample: Counterexample; model: ModelInfo | undefined }
  /** The file cannot be read (ITF000). */
  | { ok: false; kind: 'unreadable'; why: string }
  /** It is not JSON (ITF001). */
  | { ok: false; kind: 'json'; message: string; position: Position }
  /** It is JSON but not a schedcheck counterexample (ITF002-ITF004). */
  | { ok: false; kind: 'trace'; problem: ItfProblem; position: Position }
);

export function readItfFile(file: string, maxBytes = MAX_TRACE_BYTES, chunkBytes = CHUNK_BYTES): ItfFileRead {
  const opened = readChunks(file, maxBytes, chunkBytes);
  if (!opened.ok) return { ok: false, kind: 'unreadable', why: opened.why, bytesRead: 0 };
  const { chunks } = opened;
  let bytesRead = 0;
  try {
    const read = readItf(new JsonReader(() => chunks.next()));
    chunks.close();
    bytesRead = chunks.bytesRead;
    if (read.ok) return { ...read, bytesRead };
    const again = readChunks(file, maxBytes, chunkBytes);
    if (!again.ok) return { ok: false, kind: 'unreadable', why: again.why, bytesRead };
    try {
      const position = locate(new JsonReader(() => again.chunks.next()), read.problem.path);
      return { ok: false, kind: 'trace', problem: read.problem, position, bytesRead: bytesRead + again.chunks.bytesRead };
    } finally {
      again.chunks.close();
    }
  } catch (error) {
    bytesRead = Math.max(bytesRead, chunks.bytesRead);
    if (error instanceof JsonSyntaxError) return { ok: false, kind: 'json', message: error.message, position: error.position, bytesRead };
    if (error instanceof ReadFailure) return { ok: false, kind: 'unreadable', why: error.message, bytesRead };
    throw error;
  } finally {
    chunks.close();
  }
}

/**
 * The part of the file's line `at.line` that a diagnostic at `at` shows: SHOWN_WIDTH characters either side of
 * `at.col` (see LineExcerpt), read from the start of the file up to there and no further.
 */
export function excerptAt(file: string, at: Position): LineExcerpt {
  const from = Math.max(0, at.col - 1 - SHOWN_WIDTH);
  const until = at.col + SHOWN_WIDTH;
  const opened = readChunks(file);
  if (!opened.ok) return { text: '', from: 0, length: 0 };
  const { chunks } = opened;
  let line = 1;
  let col = 0;
  let text = '';
  const whole = (): LineExcerpt => (text.endsWith('\r') && from + text.length === col ? { text: text.slice(0, -1), from, length: col - 1 } : { text, from, length: col });
  try {
    for (let chunk = chunks.next(); chunk !== null; chunk = chunks.next()) {
      let i = 0;
      while (line < at.line) {
        const nl = chunk.indexOf('\n', i);
        if (nl < 0) break;
        line++;
        i = nl + 1;
      }
      if (line < at.line) continue;
      const nl = chunk.indexOf('\n', i);
      const end = nl < 0 ? chunk.length : nl;
      const a = Math.max(from, col);
      const b = Math.min(until, col + end - i);
      if (b > a) text += chunk.slice(i + a - col, i + b - col);
      col += end - i;
      if (nl >= 0) return whole();
      if (col > until) return { text, from, length: null };
    }
    return whole();
  } catch (error) {
    if (error instanceof ReadFailure) return { text: '', from: 0, length: 0 };
    throw error;
  } finally {
    chunks.close();
  }
}
