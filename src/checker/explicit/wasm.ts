// A minimal WebAssembly binary writer: what the WebAssembly back end of the compiler (wasmgen.ts) needs and
// nothing else. Every value is an i32; one memory, mutable i32 globals, functions that call each other by index.
// No name section is written, so a module holds nothing but numbers and the opcodes of its code.

const I32 = 0x7f;
const EMPTY = 0x40;

function uleb(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`internal: not an unsigned integer: ${value}`);
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(out: number[], value: number): void {
  if (!Number.isSafeInteger(value)) throw new Error(`internal: not an integer: ${value}`);
  let v = value | 0;
  if (v !== value && value >>> 0 !== value) throw new Error(`internal: not a 32-bit integer: ${value}`);
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Binary operators on i32, by their opcodes. */
export const op = {
  eqz: 0x45,
  eq: 0x46,
  ne: 0x47,
  lt_s: 0x48,
  lt_u: 0x49,
  gt_s: 0x4a,
  gt_u: 0x4b,
  le_s: 0x4c,
  le_u: 0x4d,
  ge_s: 0x4e,
  ge_u: 0x4f,
  add: 0x6a,
  sub: 0x6b,
  mul: 0x6c,
  div_s: 0x6d,
  rem_s: 0x6f,
  and: 0x71,
  or: 0x72,
  xor: 0x73,
  shl: 0x74,
  shr_s: 0x75,
  shr_u: 0x76,
} as const;

/** The body of one function being written. Locals are i32; parameters are the first locals. */
export class Code {
  readonly bytes: number[] = [];
  private count: number;

  /** @param owner the function whose locals this code uses, when it is written apart and appended to it */
  constructor(
    readonly params: number,
    readonly results: 0 | 1,
    private readonly owner: Code | null = null,
  ) {
    this.count = params;
  }

  /** A fresh local. */
  local(): number {
    return this.owner !== null ? this.owner.local() : this.count++;
  }

  get locals(): number {
    return this.count - this.params;
  }

  i32(v: number): this {
    this.bytes.push(0x41);
    sleb(this.bytes, v);
    return this;
  }
  get(l: number): this {
    this.bytes.push(0x20);
    uleb(this.bytes, l);
    return this;
  }
  set(l: number): this {
    this.bytes.push(0x21);
    uleb(this.bytes, l);
    return this;
  }
  tee(l: number): this {
    this.bytes.push(0x22);
    uleb(this.bytes, l);
    return this;
  }
  gget(g: number): this {
    this.bytes.push(0x23);
    uleb(this.bytes, g);
    return this;
  }
  gset(g: number): this {
    this.bytes.push(0x24);
    uleb(this.bytes, g);
    return this;
  }
  /** i32.load of the address on the stack plus `offset`. */
  load(offset: number): this {
    this.bytes.push(0x28, 2);
    uleb(this.bytes, offset);
    return this;
  }
  /** i32.store of (address, value) on the stack, at address plus `offset`. */
  store(offset: number): this {
    this.bytes.push(0x36, 2);
    uleb(this.bytes, offset);
    return this;
  }
  op(code: number): this {
    this.bytes.push(code);
    return this;
  }
  call(f: number): this {
    this.bytes.push(0x10);
    uleb(this.bytes, f);
    return this;
  }
  drop(): this {
    this.bytes.push(0x1a);
    return this;
  }
  ret(): this {
    this.bytes.push(0x0f);
    return this;
  }
  /** `if` consuming the condition on the stack; `result` says whether each arm leaves an i32. */
  if(result = false): this {
    this.bytes.push(0x04, result ? I32 : EMPTY);
    return this;
  }
  else(): this {
    this.bytes.push(0x05);
    return this;
  }
  block(): this {
    this.bytes.push(0x02, EMPTY);
    return this;
  }
  loop(): this {
    this.bytes.push(0x03, EMPTY);
    return this;
  }
  end(): this {
    this.bytes.push(0x0b);
    return this;
  }
  br(depth: number): this {
    this.bytes.push(0x0c);
    uleb(this.bytes, depth);
    return this;
  }
  brIf(depth: number): this {
    this.bytes.push(0x0d);
    uleb(this.bytes, depth);
    return this;
  }
  brTable(targets: number[], fallback: number): this {
    this.bytes.push(0x0e);
    uleb(this.bytes, targets.length);
    for (const t of targets) uleb(this.bytes, t);
    uleb(this.bytes, fallback);
    return this;
  }
  /** memory.copy (dest, src, length on the stack). */
  copy(): this {
    this.bytes.push(0xfc);
    uleb(this.bytes, 10);
    this.bytes.push(0, 0);
    return this;
  }
  /** memory.fill (dest, value, length on the stack). */
  fill(): this {
    this.bytes.push(0xfc);
    uleb(this.bytes, 11);
    this.bytes.push(0);
    return this;
  }
  /** Appends another body's code (its locals must have been taken from this function). */
  append(other: Code): this {
    for (const b of other.bytes) this.bytes.push(b);
    return this;
  }
}

interface Func {
  params: number;
  results: 0 | 1;
  code: Code | null;
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  for (const b of content) out.push(b);
}

/**
 * A section made of many parts (function bodies, data segments), copied into place natively: per-byte loops in a
 * cold process cost more than generating the code did.
 */
function bigSection(id: number, parts: (number[] | Uint8Array)[]): (number[] | Uint8Array)[] {
  let length = 0;
  for (const p of parts) length += p.length;
  const head = [id];
  uleb(head, length);
  return [head, ...parts];
}

function concat(parts: (number[] | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function name(out: number[], text: string): void {
  const bytes = [...Buffer.from(text, 'utf8')];
  uleb(out, bytes.length);
  out.push(...bytes);
}

/** A module: functions declared first (so that calls can name them), bodies given later. */
export class ModuleWriter {
  private readonly funcs: Func[] = [];
  private readonly globals: number[] = [];
  private readonly exports: { name: string; kind: number; index: number }[] = [];
  private readonly data: { offset: number; bytes: Uint8Array }[] = [];

  /**
   * @param pages the memory's initial size, in 64 KiB pages
   * @param maxPages its declared maximum, or null for none (see wasmMemoryMaximum in memory.ts)
   */
  constructor(
    private readonly pages: number,
    private readonly maxPages: number | null = null,
  ) {}

  /** Declares a function of `params` i32 parameters returning one i32 or nothing; its index. */
  declare(params: number, results: 0 | 1): number {
    this.funcs.push({ params, results, code: null });
    return this.funcs.length - 1;
  }

  /** A fresh body for function `f`. */
  body(f: number): Code {
    const fn = this.funcs[f]!;
    fn.code = new Code(fn.params, fn.results);
    return fn.code;
  }

  /** A mutable i32 global; its index. */
  global(initial = 0): number {
    this.globals.push(initial);
    return this.globals.length - 1;
  }

  exportFunc(exported: string, f: number): void {
    this.exports.push({ name: exported, kind: 0, index: f });
  }

  exportMemory(exported: string): void {
    this.exports.push({ name: exported, kind: 2, index: 0 });
  }

  /** Initial contents of memory at `offset`: 32-bit words, little-endian. */
  words(offset: number, values: ArrayLike<number>): void {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i]! | 0, true);
    this.data.push({ offset, bytes });
  }

  bytes(): Uint8Array<ArrayBuffer> {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const signatures: string[] = [];
    const typeOf = (f: Func): number => {
      const key = `${f.params}:${f.results}`;
      let i = signatures.indexOf(key);
      if (i < 0) i = signatures.push(key) - 1;
      return i;
    };
    const typeIndex = this.funcs.map(typeOf);
    const types: number[] = [];
    uleb(types, signatures.length);
    for (const key of signatures) {
      const [params, results] = key.split(':').map(Number) as [number, number];
      types.push(0x60);
      uleb(types, params);
      for (let i = 0; i < params; i++) types.push(I32);
      uleb(types, results);
      for (let i = 0; i < results; i++) types.push(I32);
    }
    section(out, 1, types);
    const functions: number[] = [];
    uleb(functions, this.funcs.length);
    for (const t of typeIndex) uleb(functions, t);
    section(out, 3, functions);
    const memory: number[] = [1, this.maxPages === null ? 0 : 1];
    uleb(memory, this.pages);
    if (this.maxPages !== null) uleb(memory, Math.max(this.pages, this.maxPages));
    section(out, 5, memory);
    if (this.globals.length > 0) {
      const globals: number[] = [];
      uleb(globals, this.globals.length);
      for (const g of this.globals) {
        globals.push(I32, 1, 0x41);
        sleb(globals, g);
        globals.push(0x0b);
      }
      section(out, 6, globals);
    }
    const exports: number[] = [];
    uleb(exports, this.exports.length);
    for (const e of this.exports) {
      name(exports, e.name);
      exports.push(e.kind);
      uleb(exports, e.index);
    }
    section(out, 7, exports);
    const code: (number[] | Uint8Array)[] = [];
    const count: number[] = [];
    uleb(count, this.funcs.length);
    code.push(count);
    for (const [i, f] of this.funcs.entries()) {
      if (f.code === null) throw new Error(`internal: function ${i} has no body`);
      const locals: number[] = [];
      if (f.code.locals === 0) locals.push(0);
      else {
        locals.push(1);
        uleb(locals, f.code.locals);
        locals.push(I32);
      }
      const size: number[] = [];
      uleb(size, locals.length + f.code.bytes.length + 1);
      code.push(size, locals, f.code.bytes, [0x0b]);
    }
    const parts = [out, ...bigSection(10, code)];
    if (this.data.length > 0) {
      const data: (number[] | Uint8Array)[] = [];
      const head: number[] = [];
      uleb(head, this.data.length);
      data.push(head);
      for (const d of this.data) {
        const at: number[] = [0, 0x41];
        sleb(at, d.offset);
        at.push(0x0b);
        uleb(at, d.bytes.length);
        data.push(at, d.bytes);
      }
      parts.push(...bigSection(11, data));
    }
    return concat(parts);
  }
}
