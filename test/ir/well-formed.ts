// Laws every lowered Program obeys, checked on golden models, lowering tests and random inputs alike.

import { expect } from 'vitest';
import type { Instr, Program } from '../../src/ir/ir.js';

const TERMINATORS = new Set<Instr['op']>(['ret', 'iret', 'eret', 'end']);

export function assertWellFormed(program: Program): void {
  program.units.forEach((unit, id) => {
    expect(unit.id).toBe(id);
    expect(unit.code.length).toBeGreaterThan(0);
    expect(TERMINATORS.has(unit.code.at(-1)!.op), `${unit.name} ends in a terminator`).toBe(true);
    for (const instr of unit.code) {
      expect(program.spans[instr.span], `${unit.name}: span ${instr.span} exists`).toBeDefined();
      if (instr.op === 'jump') expect(instr.target).toBeGreaterThanOrEqual(0);
      if (instr.op === 'jump') expect(instr.target).toBeLessThan(unit.code.length);
      if (instr.op === 'branch') expect(instr.ifFalse).toBeGreaterThanOrEqual(0);
      if (instr.op === 'branch') expect(instr.ifFalse).toBeLessThan(unit.code.length);
      if (instr.op === 'call') expect(program.units[instr.unit]?.kind).toBe('proc');
      if (instr.op === 'alternative') expect(instr.target).toBeLessThan(unit.code.length);
    }
    // A choice is followed by exactly its alternatives, in order; nothing else reaches an alternative's pc.
    unit.code.forEach((instr, pc) => {
      if (instr.op === 'choose') {
        expect(instr.count).toBeGreaterThanOrEqual(1); // `any 3..3` chooses among one value
        for (let i = 0; i < instr.count; i++) expect(unit.code[pc + 1 + i]).toMatchObject({ op: 'alternative', index: i });
      }
      if (instr.op === 'alternative') expect(unit.code[pc - instr.index - 1]?.op).toBe('choose');
      const targets = instr.op === 'jump' || instr.op === 'alternative' ? [instr.target] : instr.op === 'branch' ? [instr.ifFalse] : [];
      for (const t of targets) expect(unit.code[t]?.op, `${unit.name}: ${pc} leads to an alternative`).not.toBe('alternative');
    });
  });
  for (const line of program.lines) expect(program.units[line.handler]?.kind).toBe('handler');
  program.threads.forEach((t, id) => {
    expect(t.id).toBe(id);
    expect(program.units[t.unit]?.kind).toBe('thread');
  });
  for (let cpu = 0; cpu < program.cpus; cpu++) {
    expect(program.threads.filter((t) => t.start.kind === 'running' && t.start.cpu === cpu)).toHaveLength(1);
  }
  expect(program.layout.pcBase).toHaveLength(program.units.length);
}
