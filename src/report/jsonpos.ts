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

function pointer(path: JsonPath): string {
  return path.map((p) => `/${String(p)}`).join('');
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

export function parseJson(text: string): JsonParse {
  const starts = new Map<string, number>();
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

  const parseString = (): string => {
    expect('"');
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail('control character in string');
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail('bad escape in string');
        }
      } else {
        out += c;
        i++;
      }
    }
  };

  const parseValue = (path: JsonPath): JsonValue => {
    skipSpace();
    starts.set(pointer(path), i);
    const c = text[i];
    if (c === undefined) return fail('unexpected end of file');
    if (c === '{') {
      i++;
      const obj: { [key: string]: JsonValue } = {};
      skipSpace();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipSpace();
        const key = parseString();
        skipSpace();
        expect(':');
        obj[key] = parseValue([...path, key]);
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}');
        return obj;
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue([...path, arr.length]));
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']');
        return arr;
      }
    }
    if (c === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal === null) return fail(`unexpected character '${c}'`);
    i += literal[0].length;
    if (literal[0] === 'true') return true;
    if (literal[0] === 'false') return false;
    if (literal[0] === 'null') return null;
    return Number(literal[0]);
  };

  try {
    const value = parseValue([]);
    skipSpace();
    if (i < text.length) fail('unexpected text after the JSON value');
    return {
      ok: true,
      value,
      positionOf: (path) => {
        // The deepest recorded ancestor: a missing field is reported at the object that lacks it.
        for (let n = path.length; n >= 0; n--) {
          const start = starts.get(pointer(path.slice(0, n)));
          if (start !== undefined) return positionAt(text, start);
        }
        return { line: 1, col: 1 };
      },
    };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, position: positionAt(text, error.offset) };
    throw error;
  }
}
