// Reading a file named by someone else (a model on the command line, a model or plan named in a plan run by CI):
// regular files only, so that /dev/zero, a FIFO or a terminal cannot hang the run, and at most `maxBytes`, so
// that no file can exhaust the memory. The file is opened without blocking and measured through the descriptor
// it is read from, so what is checked is what is read.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export type ReadResult = { ok: true; text: string } | { ok: false; why: string };

/** Models and plans larger than this are refused: the largest model the front end reads (200000 tokens) fits. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** Saved traces (ITF counterexamples, event traces) may be larger: a long counterexample carries every state. */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

/** The size of the pieces a file is read in by `readChunks`. */
export const CHUNK_BYTES = 64 * 1024;

/** A file read in pieces: `next()` gives the next piece of its text (UTF-8), null at its end. */
export interface TextChunks {
  next(): string | null;
  /** Bytes read so far. */
  readonly bytesRead: number;
  close(): void;
}

/** Thrown by `TextChunks.next` when the file cannot be read on, or grows past its limit while it is read. */
export class ReadFailure extends Error {}

function why(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/** Opens a regular file of at most `maxBytes` without blocking, measured through its descriptor. */
function openRegular(file: string, maxBytes: number): { ok: true; fd: number; size: number } | { ok: false; why: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, why: why(e) };
  }
  try {
    const stat = fstatSync(fd);
    const refused = stat.isDirectory() ? 'EISDIR' : !stat.isFile() ? 'not a regular file' : stat.size > maxBytes ? `larger than ${maxBytes} bytes` : null;
    if (refused === null) return { ok: true, fd, size: stat.size };
    closeSync(fd);
    return { ok: false, why: refused };
  } catch (e) {
    closeSync(fd);
    return { ok: false, why: why(e) };
  }
}

/**
 * Opens a regular file of at most `maxBytes` to be read `chunkBytes` at a time, so that a reader that stops early
 * (a syntax error near the start) reads no more than it needs and never holds the file whole.
 */
export function readChunks(file: string, maxBytes = MAX_TRACE_BYTES, chunkBytes = CHUNK_BYTES): { ok: true; chunks: TextChunks } | { ok: false; why: string } {
  const opened = openRegular(file, maxBytes);
  if (!opened.ok) return opened;
  const fd = opened.fd;
  const buffer = Buffer.alloc(chunkBytes);
  const decoder = new StringDecoder('utf8');
  let bytesRead = 0;
  let open = true;
  const chunks: TextChunks = {
    next(): string | null {
      if (!open) return null;
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (e) {
        throw new ReadFailure(why(e));
      }
      if (n === 0) {
        const rest = decoder.end();
        chunks.close();
        return rest.length > 0 ? rest : null;
      }
      bytesRead += n;
      if (bytesRead > maxBytes) throw new ReadFailure(`larger than ${maxBytes} bytes`);
      return decoder.write(buffer.subarray(0, n));
    },
    get bytesRead(): number {
      return bytesRead;
    },
    close(): void {
      if (open) closeSync(fd);
      open = false;
    },
  };
  return { ok: true, chunks };
}

export function readRegularFile(file: string, maxBytes = MAX_INPUT_BYTES): ReadResult {
  const opened = openRegular(file, maxBytes);
  if (!opened.ok) return opened;
  const fd = opened.fd;
  try {
    // Read at most one byte past the limit: a file that grows while it is read is still refused.
    const buffer = Buffer.alloc(opened.size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return { ok: false, why: `larger than ${maxBytes} bytes` };
      if (length === buffer.length) break;
    }
    if (length > maxBytes) return { ok: false, why: `larger than ${maxBytes} bytes` };
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch (e) {
    return { ok: false, why: why(e) };
  } finally {
    closeSync(fd);
  }
}

/** The text of a file for printing source lines under diagnostics; '' when it cannot be read as above. */
export function sourceTextOf(file: string): string {
  const read = readRegularFile(file);
  return read.ok ? read.text : '';
}
