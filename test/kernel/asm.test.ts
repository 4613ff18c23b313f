// The kernel assembler: operands, labels, annotations, and the errors a mistyped design gets.
import { describe, expect, it } from 'vitest';
import { AsmError, CODE_BASE, assemble } from '../../src/kernel/asm.js';
import { LR, PCPU, SP } from '../../src/kernel/isa.js';

const symbols = new Map([
  ['LOCK', 0x20_0040],
  ['TCB_SP', 0],
  ['TCB_STATE', 8],
]);

describe('assemble', () => {
  it('encodes registers, immediates, symbols, labels and memory operands', () => {
    const { code, labels } = assemble(
      'x86_64',
      `
start:                       ; a comment
    mov rax, 0x10
    mov rbx, LOCK+8
    load rcx, [rdi+TCB_STATE]
    store [LOCK], rsp        // another comment
    load rdx, [gsbase+8]
    push start
    jne start
`,
      symbols,
    );
    expect(labels.get('start')).toBe(0);
    expect(code.map(({ text: _t, routine: _r, offset: _o, trace: _a, silent: _s, ...op }) => op)).toEqual([
      { op: 'mov', dst: 0, src: { kind: 'imm', value: 16 } },
      { op: 'mov', dst: 1, src: { kind: 'imm', value: 0x20_0048 } },
      { op: 'load', dst: 2, addr: { base: 5, offset: 8 } },
      { op: 'store', addr: { base: null, offset: 0x20_0040 }, src: { kind: 'reg', reg: SP } },
      { op: 'load', dst: 3, addr: { base: PCPU, offset: 8 } },
      { op: 'push', src: { kind: 'imm', value: CODE_BASE } },
      { op: 'jcc', cond: 'ne', target: 0 },
    ]);
    expect(code[3]).toMatchObject({ routine: 'start', offset: 3, text: 'store [LOCK], rsp' });
  });

  it('attaches @event annotations and @silent to the next instruction', () => {
    const { code } = assemble(
      'aarch64',
      `
switch:
@switch from=x0 to=x1
    load sp, [x1+TCB_SP]
@silent
    cli
    bl switch
    ret
`,
      symbols,
    );
    expect(code[0]!.trace).toEqual([{ event: 'switch', threads: { from: { kind: 'reg', reg: 0 }, to: { kind: 'reg', reg: 1 } }, literals: {} }]);
    expect([code[1]!.silent, code[1]!.op]).toEqual([true, 'cli']);
    expect(code[2]).toMatchObject({ op: 'call', target: 0 });
    expect(code[3]).toMatchObject({ op: 'ret' });
    expect(LR).toBe(30);
  });

  it.each([
    ['x86_64', 'main:\n    frobnicate rax', 'line 2: unknown instruction frobnicate: frobnicate rax'],
    ['x86_64', 'main:\n    eret', 'line 2: eret is an aarch64 instruction: eret'],
    ['aarch64', 'main:\n    iretq', 'line 2: iretq is an x86_64 instruction: iretq'],
    ['x86_64', 'main:\n    jmp nowhere', 'line 2: unknown label nowhere: jmp nowhere'],
    ['x86_64', 'main:\n    mov rax, MISSING', 'line 2: unknown name MISSING: mov rax, MISSING'],
    ['x86_64', 'main:\n    mov gsbase, 1', 'line 2: gsbase is read-only: mov gsbase, 1'],
    ['x86_64', 'main:\nmain:\n    nop', 'line 2: duplicate name main: main:'],
    ['x86_64', 'main:\n    mov rax', 'line 2: mov takes 2 operand(s): mov rax'],
    ['x86_64', 'main:\n    nop\n@silent', 'an annotation at the end annotates nothing'],
  ] as const)('rejects a bad %s program: %j', (arch, source, message) => {
    expect(() => assemble(arch, source, symbols)).toThrow(new AsmError(message));
  });
});
