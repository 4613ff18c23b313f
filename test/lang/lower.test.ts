import { describe, expect, it } from 'vitest';
import type { Program, Unit } from '../../src/ir/ir.js';
import { instrText } from '../../src/ir/print.js';
import { loadModelFromText } from '../../src/lang/load.js';
import { assertWellFormed } from '../ir/well-formed.js';

const X86 = 'machine x86_64 { cpus 1; irq timer line 0 }\nhandler timer { eoi timer }\n';

function load(text: string, sets: string[] = []): Program {
  const { diagnostics, program } = loadModelFromText(text, 'm.sched', sets);
  expect(diagnostics).toEqual([]);
  assertWellFormed(program!);
  return program!;
}

function unit(program: Program, name: string): Unit {
  return program.units.find((u) => u.name === name)!;
}

/** A unit's code as `pc op operands` lines. */
function code(program: Program, name: string): string[] {
  return unit(program, name).code.map((i, pc) => `${pc} ${instrText(program, i, 'ir')}`);
}

describe('lowering control flow', () => {
  it('either: a choice, one alternative per block right after it, each block jumping to END but the last', () => {
    const p = load(`${X86}var n : 0..3\nthread main on 0 { either { work } or { cli; sti } or { }; n := any 1..2; hlt }`);
    expect(code(p, 'main')).toEqual([
      '0 choose 3',
      '1 alternative 0 -> 4',
      '2 alternative 1 -> 6',
      '3 alternative 2 -> 9',
      '4 work',
      '5 jump -> 9',
      '6 cli',
      '7 sti',
      '8 jump -> 9',
      '9 choose 2',
      '10 alternative 0 n := 1 -> 12',
      '11 alternative 1 n := 2 -> 12',
      '12 hlt',
      '13 halted (hlt)',
      '14 end',
    ]);
  });

  it('a unit whose last statement is a choice still gets its terminator', () => {
    const p = load(`${X86}proc p { either { ret } or { ret } }\nthread main on 0 { call p; loop { work } }`);
    expect(code(p, 'p')).toEqual(['0 choose 2', '1 alternative 0 -> 3', '2 alternative 1 -> 5', '3 ret', '4 jump -> 6', '5 ret', '6 ret']);
  });

  it('if/else: branch to ELSE, jump over it to END', () => {
    const p = load(`${X86}var b : bool\nthread main on 0 { if b { work } else { cli; sti }; hlt }`);
    expect(code(p, 'main')).toEqual(['0 branch b else -> 3', '1 work', '2 jump -> 5', '3 cli', '4 sti', '5 hlt', '6 halted (hlt)', '7 end']);
  });

  it('if without else branches straight to END', () => {
    const p = load(`${X86}var b : bool\nthread main on 0 { if b { work; work } }`);
    expect(code(p, 'main')).toEqual(['0 branch b else -> 3', '1 work', '2 work', '3 end']);
  });

  it('while tests at TOP; break jumps to END and continue back to the test', () => {
    const p = load(`${X86}var n : 0..3\nthread main on 0 { while n < 3 { n := n + 1; if n == 1 { continue }; if n == 2 { break }; work }; hlt }`);
    expect(code(p, 'main')).toEqual([
      '0 branch n < 3 else -> 8',
      '1 n := n + 1',
      '2 branch n == 1 else -> 4',
      '3 jump -> 0',
      '4 branch n == 2 else -> 6',
      '5 jump -> 8',
      '6 work',
      '7 jump -> 0',
      '8 hlt',
      '9 halted (hlt)',
      '10 end',
    ]);
  });

  it('loop jumps back to its top; break in an inner loop leaves only that loop', () => {
    const p = load(`${X86}var b : bool\nthread main on 0 { loop { work; loop { if b { break }; work }; cli } }`);
    expect(code(p, 'main')).toEqual([
      '0 work',
      '1 branch b else -> 3',
      '2 jump -> 5',
      '3 work',
      '4 jump -> 1',
      '5 cli',
      '6 jump -> 0',
      '7 end',
    ]);
  });

  it('skip emits nothing', () => {
    const p = load(`${X86}thread main on 0 { skip; work; skip }`);
    expect(code(p, 'main')).toEqual(['0 work', '1 end']);
  });

  it('reports a loop that can go around by jumps alone, at the innermost such loop', () => {
    const { diagnostics, program } = loadModelFromText(`${X86}var b : bool\nthread main on 0 { while b { loop { if b { work }; continue } } }`, 'm.sched', []);
    // `if b { work }` is a branch, a step: every way around the inner loop passes it.
    expect(diagnostics).toEqual([]);
    expect(program).not.toBeNull();
    const bad = loadModelFromText(`${X86}var b : bool\nthread main on 0 { work; while b { loop { skip } } }`, 'm.sched', []);
    expect(bad.diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`)).toEqual(['E512 at 4:36']);
  });
});

describe('implicit terminators', () => {
  it('end for threads, ret for procs, iret for x86_64 handlers, at the closing brace', () => {
    const p = load(`${X86}thread main on 0 {\n  call p\n}\nproc p {\n  work\n}`);
    expect(code(p, 'main')).toEqual(['0 call p', '1 end']);
    expect(code(p, 'p')).toEqual(['0 work', '1 ret']);
    expect(code(p, 'timer')).toEqual(['0 eoi timer', '1 iret']);
    const close = p.spans[unit(p, 'main').code[1]!.span]!;
    expect([close.line, close.col]).toEqual([5, 1]);
  });

  it('eret for aarch64 handlers', () => {
    const p = load('machine aarch64 { irq timer line 0 }\nhandler timer { ack timer; eoi timer }\nthread main on 0 { wfi }');
    expect(code(p, 'timer')).toEqual(['0 ack timer', '1 eoi timer', '2 eret']);
  });

  it('no second terminator after an explicit one, unless a jump lands past it', () => {
    const p = load(`${X86}var b : bool\nthread main on 0 { call p; call q }\nproc p { work; ret }\nproc q { if b { ret } else { ret } }`);
    expect(code(p, 'p')).toEqual(['0 work', '1 ret']);
    expect(code(p, 'q')).toEqual(['0 branch b else -> 3', '1 ret', '2 jump -> 4', '3 ret', '4 ret']);
  });

  it('an empty body is just its terminator', () => {
    const p = load(`${X86}thread main on 0 { }\nproc p { }`);
    expect(code(p, 'main')).toEqual(['0 end']);
    expect(code(p, 'p')).toEqual(['0 ret']);
  });
});

describe('threads, units and declarations', () => {
  const model = `const N = 2
machine x86_64 { cpus 2; irq timer line 0; scheduler sched }
handler timer { eoi timer }
lock M : mutex
proc sched { work }
thread idle[2] on each { loop { hlt } }
thread worker[N] forged iret stack 3 { work }
thread init dormant entry start
proc start { spawn worker[1]; enqueue self }
`;

  it('assigns thread ids in declaration order, instances consecutively, one shared unit per array', () => {
    const p = load(model.replace('enqueue self', 'work'));
    expect(p.threads.map((t) => `${t.id} ${t.name} ${t.group}[${t.index}] unit ${t.unit} ${JSON.stringify(t.start)} ${t.forged} ${t.stackDepth}`)).toEqual([
      '0 idle[0] idle[0] unit 0 {"kind":"running","cpu":0} switch 8',
      '1 idle[1] idle[1] unit 0 {"kind":"running","cpu":1} switch 8',
      '2 worker[0] worker[0] unit 1 {"kind":"ready"} iret 3',
      '3 worker[1] worker[1] unit 1 {"kind":"ready"} iret 3',
      '4 init init[0] unit 2 {"kind":"dormant"} switch 8',
    ]);
  });

  it('orders units thread bodies, then procedures, then handlers, and binds lines and the scheduler', () => {
    const p = load(model.replace('enqueue self', 'work'));
    expect(p.units.map((u) => `${u.id} ${u.kind} ${u.name}`)).toEqual(['0 thread idle', '1 thread worker', '2 thread init', '3 proc sched', '4 proc start', '5 handler timer']);
    expect(code(p, 'init')).toEqual(['0 call start', '1 end']);
    expect(p.lines[0]).toMatchObject({ name: 'timer', handler: 5, cpus: [0, 1], priority: 1, gate: 'interrupt', source: 'external' });
    expect(unit(p, 'timer').lines).toEqual([0]);
    expect(p.scheduler).toBe(3);
  });

  it('with a local APIC, takes each line\'s priority from its vector class and gives each CPU a task priority', () => {
    const p = load(`machine x86_64 { cpus 2; controller lapic; irq timer line 32; irq ipi_call line 251; irq low line 47 }
      var x : 0..3
      handler timer { tpr := 32; eoi x := 1; eoi timer; eoi }\nhandler ipi_call { eoi }\nhandler low { eoi }
      thread t[2] on each { work }`);
    expect([p.controller, ...p.lines.map((l) => `${l.name} ${l.number} ${l.priority}`)]).toEqual(['lapic', 'timer 32 2', 'ipi_call 251 15', 'low 47 2']);
    expect(code(p, 'timer')).toEqual(['0 tpr := 32', '1 eoi highest', '2 x := 1', '3 eoi timer', '4 eoi highest', '5 iret']);
    expect(p.layout.cpus.map((c) => c.tpr?.max)).toEqual([15, 15]);
    expect(load(X86 + 'thread t on 0 { work }').layout.cpus[0]!.tpr).toBeNull();
  });

  it('lowers each interrupt source to its arrival limit per CPU and whether fairness expects it', () => {
    const p = load(`machine x86_64 { cpus 2; irq a line 0; irq b line 1 periodic; irq c line 2 once; irq d line 3 at most 3 on 1; irq e line 4 none; irq f line 5 ipi }
      handler a { eoi a }\nhandler b { eoi b }\nhandler c { eoi c }\nhandler d { eoi d }\nhandler e { eoi e }\nhandler f { eoi f }
      thread t[2] on each { work }`);
    expect(p.lines.map((l) => `${l.name} ${l.source} ${l.limit} ${l.fair} ${l.cpus.join(',')}`)).toEqual([
      'a external null true 0,1',
      'b external null true 0,1',
      'c external 1 true 0,1',
      'd external 3 false 1',
      'e ipi null true 0,1',
      'f ipi null true 0,1',
    ]);
    // Only a bounded source that arrives on a CPU has a count there.
    expect(p.layout.cpus.map((c) => c.arrived.map((slot) => slot?.max ?? null))).toEqual([
      [null, null, 1, null, null, null],
      [null, null, 1, 3, null, null],
    ]);
  });

  it('rejects self in a procedure', () => {
    const { diagnostics } = loadModelFromText(model, 'm.sched', []);
    expect(diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}`)).toEqual(['E514 at 9:39']);
  });

  it('stores initial values as codes: value - min, member index, thread id, none = thread count', () => {
    const p = load(`${X86}enum Mode { a, b, c }\nvar i : 2..9 = 5\nvar m : Mode = c\nvar t : thread = main\nvar u : thread\nvar f : bool[cpu] = true\nthread w[2] { work }\nthread main on 0 { work }`);
    expect(p.vars.map((v) => `${v.name} ${v.init} ${v.length}`)).toEqual(['i 3 null', 'm 2 null', 't 2 null', 'u 3 null', 'f 1 1']);
  });

  it('resolves instances: this for unqualified percpu/perthread, of for @, global otherwise; folds constants', () => {
    const p = load(`${X86}const K = 3\npercpu var pc : 0..7\nperthread var pt : 0..7\nvar g : 0..7\nvar arr : bool[thread]\nthread w[2] { work }\nthread main on 0 {
  pc := K * 2 - 1
  pt @ w[1] := pc @ 0
  g := pt
  arr[w[g % 2]] := true
}`);
    const assigns = unit(p, 'main').code.filter((i) => i.op === 'assign');
    expect(assigns.slice(0, 3).map((i) => JSON.stringify(i))).toEqual([
      JSON.stringify({ op: 'assign', target: { var: 0, index: null, instance: { kind: 'this' } }, value: { kind: 'const', value: 5, type: { kind: 'int', min: 5, max: 5 } }, span: assigns[0]!.span }),
      JSON.stringify({
        op: 'assign',
        target: { var: 1, index: null, instance: { kind: 'of', which: { kind: 'const', value: 1, type: { kind: 'thread' } } } },
        value: { kind: 'var', var: 0, index: null, instance: { kind: 'of', which: { kind: 'const', value: 0, type: { kind: 'cpu' } } }, type: { kind: 'int', min: 0, max: 7 } },
        span: assigns[1]!.span,
      }),
      JSON.stringify({ op: 'assign', target: { var: 2, index: null, instance: { kind: 'global' } }, value: { kind: 'var', var: 1, index: null, instance: { kind: 'this' }, type: { kind: 'int', min: 0, max: 7 } }, span: assigns[2]!.span }),
    ]);
    const last = assigns[3]!;
    expect(last.op === 'assign' && last.target.index).toMatchObject({ kind: 'thread_of', group: 'w', first: 0, count: 2, index: { kind: 'binary', op: '%' } });
  });

  it('computes the layout with no latency counters', () => {
    const p = load(`${X86}machine_placeholder`.replace('machine_placeholder', 'thread main on 0 { work }'));
    expect(p.layout.cpus[0]!.maskedSteps).toBeNull();
    expect(p.layout.pcBase).toEqual([0, 2]);
    expect(p.layout.stoppedPc).toBe(4);
  });
});
