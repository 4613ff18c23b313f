// A streaming JSON reader that knows where it is, so that a problem found in a saved trace is reported at its
// file:line:col. It reads text in chunks as it needs them (a file is never held whole), checks the syntax as it
// goes, and lets its caller take values one at a time: a trace's states are decoded as they are read, and a
// syntax error near the start of a large file is reported without reading the rest.
//
// A value found wrong after it was read is located by reading the text again up to it (`locate`), so that no
// position table is kept for values that turn out fine.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonPath = (string | number)[];

export interface Position {
  line: number;
  col: number;
}

/** The next piece of the text, or null at its end. */
export type Chunks = () => string | null;

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
  }
}

/** Deeper nesting than any trace has is refused, so that no input can exhaust the call stack. */
export const MAX_JSON_DEPTH = 256;

const PLAIN = /[^"\\\x00-\x1f]*/y;
const LITERAL_CHARS = /[-+.0-9a-zA-Z]*/y;
const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A copy of a piece of the buffer that does not keep the buffer alive: V8 represents a long `slice` as a view of
 * its parent, which would keep every chunk a decoded string came from.
 */
function own(s: string): string {
  return s.length < 16 ? s : (' ' + s).slice(1);
}

export class JsonReader {
  private buf = '';
  /** Offset in `buf` of the next character. */
  private pos = 0;
  /** Offset in the whole text of `buf[0]`. */
  private base = 0;
  private line = 1;
  /** Offset in the whole text where the current line starts. */
  private lineStart = 0;
  private ended = false;
  /** Per open container: no element read yet. */
  private readonly first: boolean[] = [];
  /** Where the last key read starts. */
  keyAt: Position = { line: 1, col: 1 };

  constructor(private readonly next: Chunks) {}

  static ofText(text: string, chunkChars = text.length): JsonReader {
    let at = 0;
    return new JsonReader(() => {
      if (at >= text.length) return null;
      const chunk = text.slice(at, at + Math.max(1, chunkChars));
      at += chunk.length;
      return chunk;
    });
  }

  /** Appends the next chunk to the buffer (dropping what was read); false at the end of the text. */
  private more(): boolean {
    while (!this.ended) {
      const chunk = this.next();
      if (chunk === null) {
        this.ended = true;
        break;
      }
      if (chunk.length === 0) continue;
      if (this.pos > 0) {
        this.base += this.pos;
        this.buf = this.buf.slice(this.pos);
        this.pos = 0;
      }
      this.buf += chunk;
      return true;
    }
    return false;
  }

  /** The character code at `pos + ahead`, reading on as needed; -1 past the end. */
  private peek(ahead = 0): number {
    while (this.pos + ahead >= this.buf.length) if (!this.more()) return -1;
    return this.buf.charCodeAt(this.pos + ahead);
  }

  private here(): Position {
    return { line: this.line, col: this.base + this.pos - this.lineStart + 1 };
  }

  private fail(message: string, at: Position = this.here()): never {
    throw new JsonSyntaxError(message, at);
  }

  private skipSpace(): void {
    for (;;) {
      const buf = this.buf;
      let i = this.pos;
      for (; i < buf.length; i++) {
        const c = buf.charCodeAt(i);
        if (c === 10) {
          this.line++;
          this.lineStart = this.base + i + 1;
        } else if (c !== 32 && c !== 9 && c !== 13) {
          this.pos = i;
          return;
        }
      }
      this.pos = i;
      if (!this.more()) return;
    }
  }

  /** Where the next value starts (after any white space). */
  position(): Position {
    this.skipSpace();
    return this.here();
  }

  private expect(ch: string): void {
    const c = this.peek();
    if (c !== ch.charCodeAt(0)) this.fail(c === -1 ? `expected '${ch}' but the file ends` : `expected '${ch}'`);
    this.pos++;
  }

  private string(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      PLAIN.lastIndex = this.pos;
      PLAIN.test(this.buf);
      if (PLAIN.lastIndex > this.pos) out += this.buf.slice(this.pos, PLAIN.lastIndex);
      this.pos = PLAIN.lastIndex;
      const c = this.peek();
      if (c === -1) this.fail('unterminated string');
      if (c === 34) {
        this.pos++;
        return own(out);
      }
      if (c < 32) this.fail('control character in string');
      if (c !== 92) continue; // the run of plain characters went on in the next chunk
      // A backslash: its escape is read whole.
      this.peek(5);
      const e = this.buf[this.pos + 1];
      const simple = e === undefined ? undefined : ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        this.pos += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.buf.slice(this.pos + 2, this.pos + 6))) {
        out += String.fromCharCode(parseInt(this.buf.slice(this.pos + 2, this.pos + 6), 16));
        this.pos += 6;
      } else {
        this.fail('bad escape in string');
      }
    }
  }

  private literal(): boolean | number | null {
    // The run of characters a literal is made of, whole in the buffer.
    let end = this.pos;
    for (;;) {
      LITERAL_CHARS.lastIndex = end;
      LITERAL_CHARS.test(this.buf);
      end = LITERAL_CHARS.lastIndex;
      if (end < this.buf.length) break;
      const offset = end - this.pos;
      if (!this.more()) break;
      end = this.pos + offset;
    }
    const m = LITERAL.exec(this.buf.slice(this.pos, end));
    if (m === null) {
      const c = this.buf.charCodeAt(this.pos);
      const shown = c < 32 || c === 127 ? `\\x${c.toString(16).padStart(2, '0')}` : this.buf[this.pos];
      return this.fail(`unexpected character '${shown}'`);
    }
    this.pos += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
  }

  /**
   * Opens the object or list that starts here (only an object or only a list when `kind` says so): its first
   * character, or null when the value is not one (and nothing is read).
   */
  open(kind?: '{' | '['): '{' | '[' | null {
    this.skipSpace();
    const c = this.peek();
    if ((c !== 123 && c !== 91) || (kind !== undefined && c !== kind.charCodeAt(0))) return null;
    if (this.first.length >= MAX_JSON_DEPTH) this.fail(`nested more than ${MAX_JSON_DEPTH} deep`);
    this.pos++;
    this.first.push(true);
    return c === 123 ? '{' : '[';
  }

  /** The open container's next element starts (true, after its comma), or the container ends (false). */
  private another(close: string): boolean {
    this.skipSpace();
    const top = this.first.length - 1;
    if (this.first[top]) {
      this.first[top] = false;
      if (this.peek() !== close.charCodeAt(0)) return true;
    } else if (this.peek() === 44) {
      this.pos++;
      this.skipSpace();
      return true;
    }
    this.expect(close);
    this.first.pop();
    return false;
  }

  /** In an open object: the next key (the reader is then at its value), or null at the object's end. */
  key(): string | null {
    if (!this.another('}')) return null;
    this.keyAt = this.here();
    const key = this.string();
    this.skipSpace();
    this.expect(':');
    return key;
  }

  /** In an open list: true when another element follows (the reader is then at it), false at the list's end. */
  element(): boolean {
    return this.another(']');
  }

  /** The value that starts here, whole. A key given twice in an object is refused. */
  value(): JsonValue {
    this.skipSpace();
    const c = this.peek();
    if (c === -1) this.fail('unexpected end of file');
    const open = this.open();
    if (open === '{') {
      const obj: { [key: string]: JsonValue } = {};
      for (let key = this.key(); key !== null; key = this.key()) {
        if (Object.hasOwn(obj, key)) this.fail(`the key "${key}" is given twice`, this.keyAt);
        const value = this.value();
        if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        else obj[key] = value;
      }
      return obj;
    }
    if (open === '[') {
      const list: JsonValue[] = [];
      while (this.element()) list.push(this.value());
      return list;
    }
    return c === 34 ? this.string() : this.literal();
  }

  /** Reads past the value that starts here, checking it, without keeping it. */
  skip(): void {
    this.skipSpace();
    const c = this.peek();
    if (c === -1) this.fail('unexpected end of file');
    const open = this.open();
    if (open === '{') {
      const keys = new Set<string>();
      for (let key = this.key(); key !== null; key = this.key()) {
        if (keys.has(key)) this.fail(`the key "${key}" is given twice`, this.keyAt);
        keys.add(key);
        this.skip();
      }
    } else if (open === '[') {
      while (this.element()) this.skip();
    } else if (c === 34) {
      this.string();
    } else {
      this.literal();
    }
  }

  /** Nothing but white space is left. */
  end(): void {
    this.skipSpace();
    if (this.peek() !== -1) this.fail('unexpected text after the JSON value');
  }
}

/**
 * Where the value at `path` starts, reading `reader` from the start of its text; for a path that does not exist,
 * where its deepest ancestor that does starts (a missing field is reported at the object that lacks it).
 */
export function locate(reader: JsonReader, path: JsonPath): Position {
  let at = reader.position();
  try {
    for (const step of path) {
      const open = reader.open();
      let found = false;
      if (open === '{' && typeof step === 'string') {
        let key = reader.key();
        while (key !== null && key !== step) {
          reader.skip();
          key = reader.key();
        }
        found = key !== null;
      } else if (open === '[' && typeof step === 'number') {
        for (let n = 0; reader.element(); n++) {
          if (n === step) {
            found = true;
            break;
          }
          reader.skip();
        }
      }
      if (!found) return at;
      at = reader.position();
    }
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
  }
  return at;
}

export type JsonParse =
  | { ok: true; value: JsonValue; positionOf: (path: JsonPath) => Position }
  | { ok: false; message: string; position: Position };

/** Parse a whole text (what a file reader does chunk by chunk); positions are found when asked for. */
export function parseJson(text: string): JsonParse {
  try {
    const reader = JsonReader.ofText(text);
    const value = reader.value();
    reader.end();
    return { ok: true, value, positionOf: (path) => locate(JsonReader.ofText(text), path) };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, position: error.position };
    throw error;
  }
}
