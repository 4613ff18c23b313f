// What differs between architecture profiles, symbolically: src/hw/profile.ts, x86_64.ts and aarch64.ts rule
// for rule (interrupt entry, the return instructions, EOI/acknowledge, ELR handling).

import type { Arch, Instr } from '../../ir/ir.js';
import { MAX_HARDIRQ, type StackSlots } from '../../ir/layout.js';
import { ELR_CODE, KIND_CODE, type StackRef, type SymFrame, type SymMachine } from './machine.js';
import type { SymState } from './state.js';
import type { SymStep } from './step.js';
import type { Val } from './sym.js';

export interface SymProfile {
  readonly arch: Arch;
  readonly resumeKind: 'irq' | 'exc';
  enter(m: SymMachine, s: SymState, c: number, line: number): void;
  execute(x: SymStep, instr: Instr): boolean;
  afterRestore(m: SymMachine, s: SymState, c: number, frame: SymFrame): void;
}

/** The instruction an interrupt returns to: the one it was taken at, or the one after a `hlt`/`wfi`. */
export function returnPoint(m: SymMachine, s: SymState, c: number): Val {
  const pc = m.pc(s, c);
  return m.lookup(pc, m.haltLikePcs, (p) => m.m.resolve(p + 1));
}

export function checkNesting(m: SymMachine, s: SymState, c: number): void {
  s.fault('stack-integrity', m.sym.ule(MAX_HARDIRQ, m.hardirq(s, c)));
}

/** The stack a handler's entry pushes on (its own stack, which must be empty, or the current one). */
export function entryStack(m: SymMachine, s: SymState, c: number, line: number): StackRef {
  const handler = m.m.program.lines[line]!.handler;
  const k = m.m.handlerStackOf[handler]!;
  if (k < 0) return m.currentStack(s, c);
  const stack: StackSlots = m.layout.cpus[c]!.handlerStacks[k]!;
  s.fault('stack-integrity', m.sym.ne(m.sp(s, stack), 0));
  m.setStackSel(s, c, k + 1);
  return [{ when: true, stack }];
}

function lineBit(m: SymMachine, mask: Val, line: Val) {
  const sym = m.sym;
  return sym.or(...m.m.program.lines.map((_, l) => sym.and(sym.eq(line, l), sym.bit(mask, l))));
}

// ---------------------------------------------------------------------------------------------------------
// x86_64

function iret(x: SymStep): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const { empty, frame } = m.pop(s, m.currentStack(s, cpu));
  s.fault('stack-integrity', empty);
  s.fault('stack-integrity', sym.ne(frame.kind, KIND_CODE.irq));
  s.fault('stack-integrity', sym.ne(frame.owner, x.current));
  s.warn('eoi-discipline', lineBit(m, m.inService(s, cpu), frame.line));
  m.setIe(s, cpu, frame.ie);
  m.setHardirq(s, cpu, frame.hardirq);
  m.setStackSel(s, cpu, frame.stack);
  x.nextPc = frame.pc;
}

function eoi(x: SymStep, line: number): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const inService = m.inService(s, cpu);
  const on = sym.bit(inService, line);
  s.warn('eoi-discipline', sym.not(on));
  s.when(on, () => {
    m.setInService(s, cpu, sym.clearBit(inService, line));
    s.eoi(cpu, line);
  });
}

export const x86_64: SymProfile = {
  arch: 'x86_64',
  resumeKind: 'irq',

  enter(m, s, c, line) {
    const sym = m.sym;
    checkNesting(m, s, c);
    const decl = m.m.program.lines[line]!;
    const frame = m.frame('irq', {
      pc: returnPoint(m, s, c),
      ie: m.ie(s, c),
      owner: m.current(s, c),
      hardirq: m.hardirq(s, c),
      line,
      stack: m.stackSel(s, c),
    });
    m.push(s, entryStack(m, s, c, line), frame);
    if (decl.gate === 'interrupt') m.setIe(s, c, 0);
    m.setShadow(s, c, 0);
    m.setPending(s, c, sym.clearBit(m.pending(s, c), line));
    m.setInService(s, c, sym.or32(m.inService(s, c), 2 ** line));
    m.setHardirq(s, c, sym.add(frame.hardirq, 1));
    m.setPc(s, c, m.m.unitStart(decl.handler));
  },

  execute(x, instr) {
    switch (instr.op) {
      case 'iret':
        iret(x);
        return true;
      case 'eoi':
        eoi(x, instr.line);
        return true;
      default:
        return false;
    }
  },

  afterRestore() {},
};

// ---------------------------------------------------------------------------------------------------------
// aarch64

function eret(x: SymStep): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  s.fault('stack-integrity', sym.eq(m.elrState(s, cpu), ELR_CODE.empty));
  const frame = m.elr(s, cpu);
  s.fault('stack-integrity', sym.ne(frame.owner, x.current));
  s.warn('eoi-discipline', lineBit(m, m.inService(s, cpu), frame.line));
  m.setIe(s, cpu, frame.ie);
  m.setHardirq(s, cpu, frame.hardirq);
  m.setStackSel(s, cpu, frame.stack);
  m.setElr(s, cpu, 'empty', null);
  x.nextPc = frame.pc;
}

function saveElr(x: SymStep): void {
  const { m, s, cpu } = x;
  s.fault('stack-integrity', m.sym.eq(m.elrState(s, cpu), ELR_CODE.empty));
  const frame = m.elr(s, cpu);
  m.push(s, m.currentStack(s, cpu), frame);
  m.setElr(s, cpu, 'saved', frame);
}

function restoreElr(x: SymStep): void {
  const { m, s, cpu } = x;
  const { empty, frame } = m.pop(s, m.currentStack(s, cpu));
  s.fault('stack-integrity', empty);
  s.fault('stack-integrity', m.sym.ne(frame.kind, KIND_CODE.exc));
  m.setElr(s, cpu, 'live', frame);
}

function ack(x: SymStep, line: number): void {
  const { m, s, cpu } = x;
  const sym = m.sym;
  const pending = m.pending(s, cpu);
  const on = sym.bit(pending, line);
  s.warn('eoi-discipline', sym.not(on));
  s.when(on, () => {
    m.setPending(s, cpu, sym.clearBit(pending, line));
    m.setInService(s, cpu, sym.or32(m.inService(s, cpu), 2 ** line));
  });
}

function eoiAarch64(x: SymStep, line: number): void {
  eoi(x, line);
}

export const aarch64: SymProfile = {
  arch: 'aarch64',
  resumeKind: 'exc',

  enter(m, s, c, line) {
    const sym = m.sym;
    s.fault('stack-integrity', sym.eq(m.elrState(s, c), ELR_CODE.live));
    checkNesting(m, s, c);
    const decl = m.m.program.lines[line]!;
    const frame = m.frame('exc', {
      pc: returnPoint(m, s, c),
      ie: m.ie(s, c),
      owner: m.current(s, c),
      hardirq: m.hardirq(s, c),
      line,
      stack: m.stackSel(s, c),
    });
    entryStack(m, s, c, line);
    m.setElr(s, c, 'live', frame);
    m.setIe(s, c, 0);
    m.setHardirq(s, c, sym.add(frame.hardirq, 1));
    m.setPc(s, c, m.m.unitStart(decl.handler));
  },

  execute(x, instr) {
    switch (instr.op) {
      case 'eret':
        eret(x);
        return true;
      case 'save_elr':
        saveElr(x);
        return true;
      case 'restore_elr':
        restoreElr(x);
        return true;
      case 'ack':
        ack(x, instr.line);
        return true;
      case 'eoi':
        eoiAarch64(x, instr.line);
        return true;
      default:
        return false;
    }
  },

  afterRestore(m, s, c) {
    m.setElr(s, c, 'empty', null);
  },
};

export function profileOf(arch: Arch): SymProfile {
  return arch === 'x86_64' ? x86_64 : aarch64;
}
