// A JSON parser that remembers where every value starts, so that a problem found in a saved trace is
// reported at its file:line:col (JSON.parse gives neither the place of a syntax error reliably nor any
// place at all for a value that parses but is wrong).

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonPath = (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export type JsonParse =
  | { ok: true; value: JsonValue; positionOf: (path: JsonPath) => Position }
  | { ok: false; message: string; position: Position };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** Deeper nesting than any trace has is refused, so that no input can exhaust the call stack. */
export const MAX_JSON_DEPTH = 256;

/**
 * Parse `text`. The value comes from JSON.parse (linear and fast on tens of megabytes); positions are found
 * afterwards and only for the paths asked for, by walking the text to them, so that a large file costs no
 * position table. A syntax error is located by the checking parser below.
 */
export function parseJson(text: string): JsonParse {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return syntaxError(text);
  }
  // JSON.parse has no depth limit of its own that a reader could rely on; the values schedcheck reads are shallow.
  if (depthOf(value) > MAX_JSON_DEPTH) return syntaxError(text);
  return { ok: true, value, positionOf: (path) => positionAt(text, locate(text, path)) };
}

/** Nesting depth of a parsed value, without recursion. */
function depthOf(root: JsonValue): number {
  let deepest = 0;
  const stack: [JsonValue, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > deepest) deepest = d;
    if (deepest > MAX_JSON_DEPTH) return deepest;
    if (v !== null && typeof v === 'object') for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

const SPACE = new Set([' ', '\t', '\n', '\r']);

function skipSpaceAt(text: string, i: number): number {
  while (i < text.length && SPACE.has(text[i]!)) i++;
  return i;
}

/** The offset just past the string that starts at `i` (text is valid JSON). */
function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return i;
}

/** The offset just past the value that starts at `i`, by counting brackets (text is valid JSON). */
function skipValue(text: string, i: number): number {
  let depth = 0;
  for (;;) {
    const c = text[i];
    if (c === undefined) return i;
    if (depth === 0 && (c === ',' || c === ']' || c === '}' || SPACE.has(c))) return i;
    if (c === '"') i = skipString(text, i);
    else {
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      i++;
    }
    if (depth === 0 && (c === '"' || c === ']' || c === '}')) return i;
  }
}

/**
 * Offset of the value at `path` in valid JSON text, or of its deepest ancestor that exists: a missing field is
 * reported at the object that lacks it. A key given twice is the last one, as JSON.parse keeps it.
 */
function locate(text: string, path: JsonPath): number {
  let at = skipSpaceAt(text, 0);
  for (const step of path) {
    const open = text[at];
    let found = -1;
    let i = skipSpaceAt(text, at + 1);
    if (open === '{' && typeof step === 'string') {
      while (text[i] === '"') {
        const keyEnd = skipString(text, i);
        const key = JSON.parse(text.slice(i, keyEnd)) as string;
        i = skipSpaceAt(text, skipSpaceAt(text, keyEnd) + 1);
        if (key === step) found = i;
        i = skipSpaceAt(text, skipValue(text, i));
        if (text[i] === ',') i = skipSpaceAt(text, i + 1);
      }
    } else if (open === '[' && typeof step === 'number') {
      for (let n = 0; text[i] !== ']' && i < text.length; n++) {
        if (n === step) {
          found = i;
          break;
        }
        i = skipSpaceAt(text, skipValue(text, i));
        if (text[i] === ',') i = skipSpaceAt(text, i + 1);
      }
    }
    if (found < 0) break;
    at = found;
  }
  return at;
}

/** The checking parser: where, and why, `text` is not JSON (or nests deeper than MAX_JSON_DEPTH). */
function syntaxError(text: string): JsonParse {
  let i = 0;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, i);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (c: string): void => {
    if (text[i] !== c) fail(i >= text.length ? `expected '${c}' but the file ends` : `expected '${c}'`);
    i++;
  };

  const parseString = (): void => {
    expect('"');
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail('control character in string');
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('bad escape in string');
      } else {
        i++;
      }
    }
  };

  const parseValue = (depth: number): void => {
    skipSpace();
    const c = text[i];
    if (c === undefined) return fail('unexpected end of file');
    if (c === '{' || c === '[') {
      if (depth >= MAX_JSON_DEPTH) fail(`nested more than ${MAX_JSON_DEPTH} deep`);
      const close = c === '{' ? '}' : ']';
      i++;
      skipSpace();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (c === '{') {
          parseString();
          skipSpace();
          expect(':');
        }
        parseValue(depth + 1);
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(close);
        return;
      }
    }
    if (c === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal === null) return fail(`unexpected character '${c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c}'`);
    i += literal[0].length;
  };

  try {
    parseValue(0);
    skipSpace();
    if (i < text.length) fail('unexpected text after the JSON value');
    return { ok: false, message: 'not valid JSON', position: { line: 1, col: 1 } };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, position: positionAt(text, error.offset) };
    throw error;
  }
}
