// A two-pass assembler for the reference kernel's instruction set. Kernel routines are written as text, one
// instruction per line, so a design reads like the assembly and C it stands for:
//
//   context_switch:                ; rdi = old TCB, rsi = new TCB
//       push rbx
//       store [rdi+TCB_SP], rsp
//   @switch from=rdi to=rsi
//       load rsp, [rsi+TCB_SP]
//       pop rbx
//       ret
//
// `@EVENT key=value ...` logs a software event when the next instruction executes (`from`, `to` and `thread`
// take a register holding a TCB address, or `current`); `@silent` suppresses the machine's own event for the
// next instruction. Operands: registers, immediates (`5`, `0x20`, `#2`, `-8`, symbol and label names, sums
// of them) and memory `[reg+expr]`, `[expr]`. Errors are bugs in a design and throw, naming the line.

import {
  type AluFn,
  type Arch,
  type Cond,
  type Instr,
  type Mem,
  type Op,
  type Src,
  type SysReg,
  type ThreadRef,
  type TraceAnnotation,
  PCPU,
  registerNames,
} from './isa.js';

export const CODE_BASE = 0x10_0000;
export const INSTR_BYTES = 4;

export interface Assembled {
  code: Instr[];
  /** Code labels, as instruction indexes. */
  labels: Map<string, number>;
}

export class AsmError extends Error {}

/** The code address of an instruction index. */
export function codeAddress(index: number): number {
  return CODE_BASE + index * INSTR_BYTES;
}

interface Line {
  number: number;
  text: string;
  mnemonic: string;
  operands: string[];
  trace: TraceAnnotation[];
  silent: boolean;
  label: string;
  offset: number;
}

const CONDS: Record<string, Cond> = {
  je: 'eq', jz: 'eq', jne: 'ne', jnz: 'ne', jl: 'lt', jge: 'ge', jg: 'gt', jle: 'le', jb: 'b', jae: 'ae',
  'b.eq': 'eq', 'b.ne': 'ne', 'b.lt': 'lt', 'b.ge': 'ge', 'b.gt': 'gt', 'b.le': 'le', 'b.lo': 'b', 'b.hs': 'ae',
};
const ALU: Record<string, AluFn> = {
  add: 'add', sub: 'sub', and: 'and', or: 'or', xor: 'xor', shl: 'shl', shr: 'shr', mul: 'mul',
};
const X86_ONLY = new Set(['iret', 'iretq', 'hlt', 'pushf', 'popf', 'call', 'jmp', 'pause']);
const A64_ONLY = new Set(['eret', 'wfi', 'mrs', 'msr', 'ack', 'bl', 'blr', 'b', 'yield']);
const THREAD_KEYS = new Set(['from', 'to', 'thread']);

function stripComment(raw: string): string {
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === ';' || (c === '/' && raw[i + 1] === '/'))) return raw.slice(0, i);
  }
  return raw;
}

function splitOperands(rest: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '[') depth++;
    else if (!quoted && c === ']') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(rest.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = rest.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

export function assemble(arch: Arch, source: string, symbols: ReadonlyMap<string, number>): Assembled {
  const regs = registerNames(arch);
  const lines: Line[] = [];
  const labels = new Map<string, number>();
  let pendingTrace: TraceAnnotation[] = [];
  let pendingSilent = false;
  let label = '(start)';
  let offset = 0;

  // Pass 1: labels and annotations.
  source.split('\n').forEach((raw, i) => {
    const number = i + 1;
    const text = stripComment(raw).trim();
    if (text === '') return;
    const fail = (message: string): never => {
      throw new AsmError(`line ${number}: ${message}: ${text}`);
    };
    if (text.endsWith(':') && /^[A-Za-z_.][\w.]*:$/.test(text)) {
      const name = text.slice(0, -1);
      if (labels.has(name) || symbols.has(name)) fail(`duplicate name ${name}`);
      labels.set(name, lines.length);
      label = name;
      offset = 0;
      return;
    }
    if (text.startsWith('@')) {
      const [event, ...args] = text.slice(1).split(/\s+/);
      if (event === 'silent') {
        pendingSilent = true;
        return;
      }
      const annotation: TraceAnnotation = { event: event!, threads: {}, literals: {} };
      for (const arg of args) {
        const eq = arg.indexOf('=');
        if (eq <= 0) fail(`annotation argument needs key=value`);
        const key = arg.slice(0, eq);
        const value = arg.slice(eq + 1);
        if (THREAD_KEYS.has(key)) {
          let ref: ThreadRef | null = null;
          if (value === 'current') ref = { kind: 'current' };
          else if (regs.has(value)) ref = { kind: 'reg', reg: regs.get(value)! };
          if (ref === null) return fail(`${key}= needs a register or current`);
          annotation.threads[key] = ref;
        } else {
          annotation.literals[key] = /^-?\d+$/.test(value) ? Number(value) : value;
        }
      }
      pendingTrace.push(annotation);
      return;
    }
    const space = text.search(/\s/);
    const mnemonic = (space < 0 ? text : text.slice(0, space)).toLowerCase();
    const operands = space < 0 ? [] : splitOperands(text.slice(space + 1));
    lines.push({ number, text, mnemonic, operands, trace: pendingTrace, silent: pendingSilent, label, offset });
    offset++;
    pendingTrace = [];
    pendingSilent = false;
  });
  if (pendingTrace.length > 0 || pendingSilent) throw new AsmError('an annotation at the end annotates nothing');

  // Pass 2: operands.
  const code = lines.map((line) => {
    const op = encode(arch, line, regs, symbols, labels);
    return { ...op, text: line.text, routine: line.label, offset: line.offset, trace: line.trace, silent: line.silent } as Instr;
  });
  return { code, labels };
}

function encode(
  arch: Arch,
  line: Line,
  regs: ReadonlyMap<string, number>,
  symbols: ReadonlyMap<string, number>,
  labels: ReadonlyMap<string, number>,
): Op {
  const { mnemonic: m, operands } = line;
  const fail = (message: string): never => {
    throw new AsmError(`line ${line.number}: ${message}: ${line.text}`);
  };
  if (arch === 'x86_64' && A64_ONLY.has(m)) fail(`${m} is an aarch64 instruction`);
  if (arch === 'aarch64' && X86_ONLY.has(m)) fail(`${m} is an x86_64 instruction`);
  const arity = (n: number): void => {
    if (operands.length !== n) fail(`${m} takes ${n} operand(s)`);
  };

  const value = (expr: string): number => {
    let total = 0;
    const terms = expr.replace(/\s+/g, '').replace(/^#/, '').match(/[+-]?[^+-]+/g);
    if (terms === null) return fail(`empty expression`);
    for (const term of terms) {
      const sign = term.startsWith('-') ? -1 : 1;
      const name = term.replace(/^[+-]/, '');
      let v: number | undefined;
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(name)) v = Number(name);
      else if (symbols.has(name)) v = symbols.get(name);
      else if (labels.has(name)) v = CODE_BASE + labels.get(name)! * 4;
      if (v === undefined) return fail(`unknown name ${name}`);
      total += sign * v;
    }
    return total;
  };
  const reg = (text: string, writable = true): number => {
    const r = regs.get(text.toLowerCase());
    if (r === undefined) return fail(`${text} is not a register`);
    if (writable && r === PCPU) return fail(`${text} is read-only`);
    return r;
  };
  const src = (text: string): Src =>
    regs.has(text.toLowerCase()) ? { kind: 'reg', reg: reg(text, false) } : { kind: 'imm', value: value(text) };
  const mem = (text: string): Mem => {
    if (!text.startsWith('[') || !text.endsWith(']')) return fail(`${text} is not a memory operand`);
    const inner = text.slice(1, -1).replace(/\s+/g, '');
    const first = inner.match(/^[A-Za-z]\w*/)?.[0];
    if (first !== undefined && regs.has(first.toLowerCase())) {
      const rest = inner.slice(first.length);
      return { base: reg(first, false), offset: rest === '' ? 0 : value(rest) };
    }
    return { base: null, offset: value(inner) };
  };
  const target = (text: string): number => {
    const t = labels.get(text);
    if (t === undefined) return fail(`unknown label ${text}`);
    return t;
  };
  const sysreg = (text: string): SysReg => {
    const s = ({ elr_el1: 'elr', spsr_el1: 'spsr', daif: 'daif' } as Record<string, SysReg>)[text.toLowerCase()];
    if (s === undefined) return fail(`${text} is not a system register`);
    return s;
  };

  if (m in CONDS) {
    arity(1);
    return { op: 'jcc', cond: CONDS[m]!, target: target(operands[0]!) };
  }
  if (m in ALU) {
    arity(2);
    return { op: 'alu', fn: ALU[m]!, dst: reg(operands[0]!), src: src(operands[1]!) };
  }
  switch (m) {
    case 'mov':
      arity(2);
      return { op: 'mov', dst: reg(operands[0]!), src: src(operands[1]!) };
    case 'load':
      arity(2);
      return { op: 'load', dst: reg(operands[0]!), addr: mem(operands[1]!) };
    case 'store':
      arity(2);
      return { op: 'store', addr: mem(operands[0]!), src: src(operands[1]!) };
    case 'cmp':
      arity(2);
      return { op: 'cmp', left: reg(operands[0]!, false), right: src(operands[1]!) };
    case 'jmp':
    case 'b':
      arity(1);
      return { op: 'jmp', target: target(operands[0]!) };
    case 'call':
    case 'bl':
      arity(1);
      return regs.has(operands[0]!.toLowerCase()) && m === 'call'
        ? { op: 'callr', reg: reg(operands[0]!, false) }
        : { op: 'call', target: target(operands[0]!) };
    case 'blr':
      arity(1);
      return { op: 'callr', reg: reg(operands[0]!, false) };
    case 'ret':
      arity(0);
      return { op: 'ret' };
    case 'push':
      arity(1);
      return { op: 'push', src: src(operands[0]!) };
    case 'pop':
      arity(1);
      return { op: 'pop', dst: reg(operands[0]!) };
    case 'xchg':
      arity(2);
      return { op: 'xchg', reg: reg(operands[0]!), addr: mem(operands[1]!) };
    case 'mrs':
      arity(2);
      return { op: 'mrs', dst: reg(operands[0]!), sysreg: sysreg(operands[1]!) };
    case 'msr':
      arity(2);
      return { op: 'msr', sysreg: sysreg(operands[0]!), src: reg(operands[1]!, false) };
    case 'eoi':
      arity(1);
      return { op: 'eoi', src: src(operands[0]!) };
    case 'free':
      arity(1);
      return { op: 'free', reg: reg(operands[0]!, false) };
    case 'ack':
      arity(1);
      return { op: 'ack', dst: reg(operands[0]!) };
    case 'panic': {
      arity(1);
      const message = operands[0]!;
      if (!/^".*"$/.test(message)) fail('panic takes a quoted message');
      return { op: 'panic', message: message.slice(1, -1) };
    }
    case 'iret':
    case 'iretq':
      arity(0);
      return { op: 'iret' };
    case 'pause':
    case 'yield':
      arity(0);
      return { op: 'pause' };
    case 'pushf':
    case 'popf':
    case 'cli':
    case 'sti':
    case 'eret':
    case 'hlt':
    case 'wfi':
    case 'work':
    case 'nop':
      arity(0);
      return { op: m };
    default:
      return fail(`unknown instruction ${m}`);
  }
}
