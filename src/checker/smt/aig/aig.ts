// An and-inverter graph (AIG): the bit-level form of a transition system that a hardware model checker (ABC's
// `pdr`) reads. A literal is 2 * variable + negation; variable 0 is the constant, so literal 0 is false and 1 is
// true. Variables are numbered as the AIGER format wants them: the primary inputs first, then the latches, then
// the AND gates in the order they were made (each gate's operands are older than the gate). Gates are hashed
// structurally and simplified locally (constants, equal and complementary operands), so the same function built
// twice is one gate.
//
// `toAiger` writes the binary AIGER format (http://fmv.jku.at/aiger/FORMAT) restricted to the cone of influence
// of the outputs: the latches and gates an output depends on, transitively through the latches' next-state
// functions. Every latch starts at 0 (AIGER 1.0), which is the convention of ABC's `pdr -d` invariants too.

export const FALSE = 0;
export const TRUE = 1;

export function neg(lit: number): number {
  return lit ^ 1;
}

/** Literals are numbered up to this, so that two of them make one exact hash key. */
const MAX_LIT = 2 ** 26;

export class Aig {
  /** Operands of gate variable `inputs + latches + k + 1`, at index k. */
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly hash = new Map<number, number>();
  private readonly nextOf: number[];

  constructor(
    readonly inputs: number,
    readonly latches: number,
  ) {
    this.nextOf = new Array<number>(latches).fill(-1);
  }

  /** Literal of primary input `i`. */
  input(i: number): number {
    return 2 * (1 + i);
  }

  /** Literal of latch `i` (its current value). */
  latch(i: number): number {
    return 2 * (1 + this.inputs + i);
  }

  /** Sets latch `i`'s next-state function. */
  setNext(i: number, lit: number): void {
    this.nextOf[i] = lit;
  }

  get gates(): number {
    return this.left.length;
  }

  and(a: number, b: number): number {
    if (a > b) [a, b] = [b, a];
    if (a === FALSE) return FALSE;
    if (a === TRUE) return b;
    if (a === b) return a;
    if (a === (b ^ 1)) return FALSE;
    const key = a * MAX_LIT + b;
    const known = this.hash.get(key);
    if (known !== undefined) return known;
    const lit = 2 * (1 + this.inputs + this.latches + this.left.length);
    if (lit >= MAX_LIT) throw new AigTooLarge(`more than ${MAX_LIT / 2} variables`);
    this.left.push(a);
    this.right.push(b);
    this.hash.set(key, lit);
    return lit;
  }

  or(a: number, b: number): number {
    return neg(this.and(neg(a), neg(b)));
  }

  xor(a: number, b: number): number {
    if (a <= TRUE) return a === FALSE ? b : neg(b);
    if (b <= TRUE) return b === FALSE ? a : neg(a);
    if (a === b) return FALSE;
    if (a === (b ^ 1)) return TRUE;
    return this.or(this.and(a, neg(b)), this.and(neg(a), b));
  }

  /** `c ? a : b`. */
  mux(c: number, a: number, b: number): number {
    if (c === TRUE || a === b) return a;
    if (c === FALSE) return b;
    if (a === TRUE && b === FALSE) return c;
    if (a === FALSE && b === TRUE) return neg(c);
    return this.or(this.and(c, a), this.and(neg(c), b));
  }

  andAll(lits: readonly number[]): number {
    let out = TRUE;
    for (const l of lits) {
      out = this.and(out, l);
      if (out === FALSE) return FALSE;
    }
    return out;
  }

  orAll(lits: readonly number[]): number {
    let out = FALSE;
    for (const l of lits) {
      out = this.or(out, l);
      if (out === TRUE) return TRUE;
    }
    return out;
  }

  /**
   * The value of every variable (index: variable) under the given inputs and latch values, and of the latches'
   * next-state functions: one step of the circuit, computed gate by gate.
   */
  simulate(inputs: readonly boolean[], latches: readonly boolean[]): { value: (lit: number) => boolean; next: boolean[] } {
    const base = 1 + this.inputs + this.latches;
    const v = new Uint8Array(base + this.left.length);
    inputs.forEach((x, i) => (v[1 + i] = x ? 1 : 0));
    latches.forEach((x, i) => (v[1 + this.inputs + i] = x ? 1 : 0));
    const value = (lit: number): boolean => (v[lit >> 1]! ^ (lit & 1)) === 1;
    for (let k = 0; k < this.left.length; k++) v[base + k] = value(this.left[k]!) && value(this.right[k]!) ? 1 : 0;
    return { value, next: this.nextOf.map(value) };
  }

  /**
   * The binary AIGER file of the cone of influence of `outputs`, and which of this graph's latches it keeps (the
   * file's latch k is `latches[k]`), so that an invariant over the file's latches can be read back.
   */
  toAiger(outputs: readonly number[]): { bytes: Uint8Array; latches: number[]; ands: number } {
    const base = 1 + this.inputs + this.latches;
    const used = new Uint8Array(base + this.left.length);
    const stack: number[] = outputs.map((l) => l >> 1);
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (used[v]) continue;
      used[v] = 1;
      if (v >= base) stack.push(this.left[v - base]! >> 1, this.right[v - base]! >> 1);
      else if (v > this.inputs) {
        const next = this.nextOf[v - this.inputs - 1]!;
        if (next < 0) throw new Error(`internal: latch ${v - this.inputs - 1} has no next-state function`);
        stack.push(next >> 1);
      }
    }
    // Inputs keep their numbers (unused ones are harmless); latches and gates outside the cone are dropped.
    const renum = new Int32Array(used.length).fill(-1);
    renum[0] = 0;
    for (let i = 1; i <= this.inputs; i++) renum[i] = i;
    let next = this.inputs + 1;
    const kept: number[] = [];
    for (let l = 0; l < this.latches; l++) {
      const v = this.inputs + 1 + l;
      if (used[v]) {
        renum[v] = next++;
        kept.push(l);
      }
    }
    let ands = 0;
    for (let v = base; v < used.length; v++) {
      if (used[v]) {
        renum[v] = next++;
        ands++;
      }
    }
    const map = (lit: number): number => {
      const v = renum[lit >> 1]!;
      if (v < 0) throw new Error('internal: literal outside the cone of influence');
      return 2 * v + (lit & 1);
    };
    const maxVar = next - 1;
    const head = [`aig ${maxVar} ${this.inputs} ${kept.length} ${outputs.length} ${ands}\n`];
    for (const l of kept) head.push(`${map(this.nextOf[l]!)}\n`);
    for (const o of outputs) head.push(`${map(o)}\n`);
    const text = new TextEncoder().encode(head.join(''));
    const body: number[] = [];
    const put = (x: number): void => {
      while (x >= 0x80) {
        body.push((x & 0x7f) | 0x80);
        x >>>= 7;
      }
      body.push(x);
    };
    for (let v = base; v < used.length; v++) {
      if (!used[v]) continue;
      const lhs = 2 * renum[v]!;
      let a = map(this.left[v - base]!);
      let b = map(this.right[v - base]!);
      if (a < b) [a, b] = [b, a];
      put(lhs - a);
      put(a - b);
    }
    const bytes = new Uint8Array(text.length + body.length);
    bytes.set(text, 0);
    bytes.set(body, text.length);
    return { bytes, latches: kept, ands };
  }
}

/** The graph outgrew the literal numbering. */
export class AigTooLarge extends Error {}
