// Privilege levels (src/hw/privilege.ts): user-mode code in `user` blocks, system calls (x86_64 syscall/sysret,
// aarch64 svc/eret), software interrupts (int), interrupts taken in user mode, `from_user`, and fairness that
// does not let the tick be timed to land in kernel mode only. Each regression model in both engines, with the
// verdict it flips to when its rule is reverted named in its header (each tried).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectBothEngines } from './both-engines.js';
import { checkProgram } from '../../src/checker/check.js';
import { cexOf, check, load, modelOf, summary } from './helpers.js';
import { machineOf } from '../../src/hw/build.js';
import { loadModelFromText } from '../../src/lang/load.js';

describe('privilege levels', () => {
  it('from_user reads the innermost entry: a system call and a tick from user mode, not a tick inside the call (x86_64)', async () => {
    await expectBothEngines('priv-from-user', 'assertions', 'holds 156', 'holds', 8);
    await expectBothEngines('priv-from-user', 'stack-integrity', 'holds 156', 'holds', 8);
  });

  it('sysret returns to user mode only: a tick taken in the kernel cannot return with it', async () => {
    await expectBothEngines('priv-sysret-kernel', 'stack-integrity', 'violated 10 3', 'violated 3', 3);
    await expectBothEngines('priv-sysret-from-user', 'stack-integrity', 'holds 40', 'holds', 8);
    const report = await check(
      `machine x86_64 { cpus 1; irq timer line 0; syscall entry }
thread app on 0 { cli; user { loop { work; syscall } } }
proc entry { sti; work; cli; sysret }
handler timer { eoi timer; sysret }`,
      ['stack-integrity'],
    );
    expect(cexOf(report, 'stack-integrity').message).toBe('sysret returns to kernel code: SYSRET always returns to user mode (CPL 3)');
  });

  it('a return to user mode with frames left on the kernel stack is a stack-integrity fault', async () => {
    await expectBothEngines('priv-user-leftover-frame', 'stack-integrity', 'violated 3 2', 'violated 2', 2);
    const report = await check(`machine x86_64 { cpus 1 }\nthread app on 0 { irqsave; user { loop { work } } }`, ['stack-integrity']);
    expect(cexOf(report, 'stack-integrity').message).toBe(
      "returning to user mode (the start of a user block) with 1 frame left on app's kernel stack: the next entry from user mode starts at its top and overwrites them",
    );
  });

  it('svc writes ELR/SPSR and eret returns to EL0; from_user reads a live pair first (aarch64)', async () => {
    await expectBothEngines('priv-svc-eret', 'assertions', 'holds 65', 'holds', 8);
    await expectBothEngines('priv-svc-eret', 'stack-integrity', 'holds 65', 'holds', 8);
    await expectBothEngines('priv-svc-unmask-early', 'stack-integrity', 'violated 22 6', 'violated 6', 6);
  });

  it('int goes through the line gate with no interrupt controller: nothing in service, no EOI', async () => {
    // The SMT engine checks the immediate EOI rules only ("in service forever" needs the whole graph).
    await expectBothEngines('priv-int-gate', 'eoi-discipline', 'holds 36', 'inconclusive', 8);
    await expectBothEngines('priv-int-gate', 'assertions', 'holds 36', 'holds', 8);
    await expectBothEngines('priv-int-eoi', 'eoi-discipline', 'violated 5 4', 'violated 4', 4);
  });

  it('a tick that keeps being deliverable in user mode is taken there: no-starvation holds against a kernel-only tick', async () => {
    const file = 'test/checker/models/priv-tick-user-fair.sched';
    const program = load(readFileSync(file, 'utf8'), [], file);
    const report = await checkProgram(program, { properties: ['no-starvation'], progress: false });
    expect(summary(report, 'no-starvation')).toBe('holds 237');
    await expectBothEngines('priv-tick-user-fair', 'stack-integrity', 'holds 237', 'holds', 8);
  });

  it('a return to user mode holding a lock is lockdep\'s "lock held when returning to user space"', async () => {
    await expectBothEngines('priv-user-lock-held', 'lock-order', 'violated 8 7', 'violated 7', 7);
    const report = await check(readFileSync('test/checker/models/priv-user-lock-held.sched', 'utf8'), ['lock-order']);
    expect(cexOf(report, 'lock-order').message).toBe('lock held when returning to user space: app holds L (sysret on CPU 0)');
  });

  it('syscall and int begin an activation of their own, and sysret and iret end it: their locals start fresh', async () => {
    await expectBothEngines('priv-syscall-locals', 'assertions', 'holds 120', 'holds', 8);
    await expectBothEngines('priv-syscall-locals', 'stack-integrity', 'holds 120', 'holds', 8);
  });

  it('a return to user mode checks the kernel stack the CPU runs on, not the software current\'s (split switch)', async () => {
    await expectBothEngines('priv-user-split-leftover', 'stack-integrity', 'violated 3 3', 'violated 3', 4);
    await expectBothEngines('priv-user-split-stale-current', 'stack-integrity', 'holds 5', 'holds', 4);
    await expectBothEngines('priv-int-split-window', 'stack-integrity', 'holds 6', 'holds', 4);
  });

  it("restore_context returns to user mode through a task's interrupt frame, or to its return to user mode", async () => {
    await expectBothEngines('priv-restore-context-user', 'stack-integrity', 'holds 118', 'holds', 8);
  });

  it('the mode is the code: user pcs are the user block, after its return to user mode', () => {
    const model = modelOf(`machine x86_64 { cpus 1; syscall e }\nthread t on 0 { work; user { loop { work; syscall } } }\nproc e { sysret }`);
    const m = machineOf(model);
    expect(m.userPcs.map((pc) => m.code[pc]!.op)).toEqual(['work', 'syscall', 'jump']);
    expect(m.code[m.userPcs[0]! - 1]!.op).toBe('to_user');
  });

  it('a model without user code has no user-mode fairness classes and no wider frame', () => {
    const model = modelOf(`machine x86_64 { cpus 1; irq timer line 0; irq b line 1 }\nthread t on 0 { loop { work } }\nhandler timer { eoi timer; iret }\nhandler b { eoi b; iret }`);
    expect(machineOf(model).userPcs).toEqual([]);
    expect(model.layout.frame.line.bits).toBe(1);
    const sync = modelOf(`machine x86_64 { cpus 1; irq timer line 0; irq b line 1 }\nthread t on 0 { user { loop { int b } } }\nhandler timer { eoi timer; iret }\nhandler b { iret }`);
    expect(sync.layout.frame.line.bits).toBe(2);
  });

  it('says what user-mode code may do, and what a system call needs', () => {
    const { diagnostics } = loadModelFromText(
      `machine x86_64 { cpus 1 }\nthread t on 0 { user { loop { break; syscall } } }`,
      'm.sched',
      [],
    );
    expect(diagnostics.map((d) => `${d.code} at ${d.span.line}:${d.span.col}: ${d.message}`)).toEqual([
      "E561 at 2:31: 'break' is not allowed in user-mode code: a 'user' block can only do 'work', 'loop', 'either', 'syscall'/'svc' and 'int'.",
      "E565 at 2:38: 'syscall' needs 'syscall PROC' in the machine declaration: the procedure it enters.",
    ]);
  });
});
