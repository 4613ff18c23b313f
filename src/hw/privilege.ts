// Privilege levels: user and kernel mode (x86_64 CPL, the RPL of the CS an entry saves in its frame; aarch64
// EL0/EL1, SPSR_EL1.M). The mode a CPU runs in follows from its pc: the code of a `user` block runs in user mode,
// every other instruction in kernel mode, so the mode a frame returns to is the mode of its return point (the CS
// or SPSR.M it holds). Written here: the entries user code makes (x86_64 SYSCALL and INT n, aarch64 SVC), SYSRET,
// the first return to user mode at a `user` block, what every return to user mode requires, and `from_user`
// (Linux's user_mode(regs)). Interrupts taken in user mode need no rule of their own: in user mode the CPU is on
// its thread's kernel stack with nothing on it (every return to user mode checks it), which is where the hardware
// switches to (TSS RSP0, SP_EL1), so the ordinary entry (x86_64.ts, aarch64.ts) pushes or writes the frame where
// the hardware does.

import { ELR_CODE, KIND_CODE, type Access } from './access.js';
import { lockName } from './describe.js';
import { num, type Cond, type Val } from './domain.js';
import type { Instr } from '../ir/ir.js';
import { entryStack, returnThroughFrame } from './profile.js';
import type { State } from './state.js';
import type { Step } from './step.js';

/** `pc` is user-mode code. */
export function userCode(a: Access, pc: Val): Cond {
  return a.pcIn(pc, a.m.userPcs);
}

/**
 * A return to user mode at `pc` (where `pc` is user code): the CPU must be back on its thread's kernel stack with
 * nothing left on it. The next entry from user mode starts at the top of that stack (x86_64: the TSS RSP0, Intel
 * SDM vol. 3A 6.12.1; aarch64: SP_EL1), so a frame left there would be overwritten. And the thread must hold no
 * lock: lockdep's "lock held when returning to user space!" (kernel/locking/lockdep.c lockdep_sys_exit()).
 */
export function checkReturnToUser(x: Step, pc: Val, how: string): void {
  const { a, s, cpu } = x;
  const o = a.ops;
  const user = userCode(a, pc);
  if (user === false) return;
  s.fault('stack-integrity', o.and(user, o.ne(a.stackSel(s, cpu), 0)), () => `returning to user mode (${how}) on CPU ${cpu} while on a handler stack`);
  // The kernel stack the next entry starts on is the one the CPU runs on (its stack pointer's, 4.5b), whichever
  // thread the software's `current` names.
  const sp = s.select(
    a.threadStack(x.stackOwner).map(({ when, stack }) => ({ when, then: () => a.sp(s, stack) })),
    0,
  );
  s.fault('stack-integrity', o.and(user, o.ne(sp, 0)), () => {
    const n = num(sp);
    return `returning to user mode (${how}) with ${n} frame${n === 1 ? '' : 's'} left on ${x.name(x.stackOwner)}'s kernel stack: the next entry from user mode starts at its top and overwrites them`;
  });
  const held = a.locksHeldBy(s, x.current);
  s.warn('lock-order', o.and(user, o.or(...held)), ({ m, s: w }) => {
    const locks = m.locksHeldBy(w, num(x.current));
    return {
      message: `lock held when returning to user space: ${x.name(x.current)} holds ${locks.map((l) => lockName(m, l)).join(', ')} (${how} on CPU ${cpu})`,
      locks,
    };
  });
}

/**
 * `from_user` (Linux's user_mode(regs)): the innermost entry the CPU runs in was taken in user mode. The innermost
 * entry is, on aarch64, a live ELR/SPSR pair, else the topmost exception frame on the stack the CPU runs on; on
 * x86_64 the topmost interrupt frame there (the frame of an interrupt, an `int`, or a system call). Outside every
 * entry it is false.
 */
export function fromUser(a: Access, s: State, c: number): Cond {
  const o = a.ops;
  if (a.m.userPcs.length === 0) return false;
  const kind = a.m.program.arch === 'x86_64' ? KIND_CODE.irq : KIND_CODE.exc;
  let pc: Val = a.layout.stoppedPc;
  for (const { when, stack } of a.currentStack(s, c)) {
    const sp = a.sp(s, stack);
    stack.cells.forEach((cell, i) => {
      const frame = a.decodeFrame(s.read(cell));
      pc = o.ite(o.and(when, o.ult(i, sp), o.eq(frame.kind, kind)), frame.pc, pc);
    });
  }
  if (a.m.program.arch === 'aarch64') pc = o.ite(o.eq(a.elrState(s, c), ELR_CODE.live), a.elr(s, c).pc, pc);
  return userCode(a, pc);
}

/** The frame a synchronous entry saves: return past the instruction, in the mode and with the flags it ran with. */
function syncFrame(x: Step, kind: 'irq' | 'exc') {
  const { a, s, cpu } = x;
  return a.frame(kind, {
    pc: a.m.resolve(x.pc + 1),
    ie: a.ie(s, cpu),
    owner: x.stackOwner,
    hardirq: a.hardirq(s, cpu),
    line: a.m.program.lines.length,
    stack: a.stackSel(s, cpu),
  });
}

/**
 * x86_64 SYSCALL (Intel SDM vol. 2B): RCX := the next RIP, R11 := RFLAGS, RFLAGS &= ~IA32_FMASK (Linux masks IF),
 * CPL := 0, RIP := IA32_LSTAR; no stack switch and nothing pushed. The kernel's entry (Linux entry_SYSCALL_64)
 * then switches to the thread's kernel stack and pushes the user context (pt_regs) before anything can interrupt
 * it (IF is masked): the model takes the two as one step, which pushes an interrupt frame holding the return point
 * and the flags on the kernel stack, masks interrupts and enters the machine's syscall procedure.
 */
function syscall(x: Step): void {
  const { a, s, cpu } = x;
  const stack = a.currentStack(s, cpu);
  a.push(s, stack, syncFrame(x, 'irq'));
  a.enterActivation(s, stack);
  a.setIe(s, cpu, 0);
  x.goto(a.m.unitStart(a.m.program.syscall!));
}

/**
 * aarch64 SVC (Arm ARM, chapter D1, "Exception entry"): an exception to EL1 from EL0: ELR_EL1 := the next instruction,
 * SPSR_EL1 := PSTATE (EL0t, its DAIF), PSTATE.DAIF masked, SP := SP_EL1, PC := the EL0 synchronous vector (Linux
 * el0t_64_sync, el0_svc): the machine's syscall procedure. Nothing is pushed; ELR/SPSR are live, as after an
 * interrupt entry, and the same rule holds: overwriting a live pair is a stack-integrity fault.
 */
function svc(x: Step): void {
  const { a, s, cpu } = x;
  s.fault('stack-integrity', a.ops.eq(a.elrState(s, cpu), ELR_CODE.live), () => `ELR/SPSR overwritten before they were saved: svc on CPU ${cpu} while ELR/SPSR hold an unsaved context`);
  a.enterActivation(s, a.currentStack(s, cpu));
  a.setElr(s, cpu, 'live', syncFrame(x, 'exc'));
  a.setIe(s, cpu, 0);
  x.goto(a.m.unitStart(a.m.program.syscall!));
}

/**
 * x86_64 INT n (Intel SDM vol. 3A 6.12.1): through line n's gate in the IDT, as an interrupt is taken (the frame
 * pushed on the kernel stack, or on the handler's own IST stack; an interrupt gate clears IF, a trap gate leaves
 * it), but no interrupt controller takes part: nothing becomes in service, nothing pending is cleared, and it is no
 * hardware interrupt (the interrupt-context depth is unchanged). The gate is taken as callable from user mode (DPL
 * 3, as Linux's int 0x80 and int3 gates are).
 */
function softwareInterrupt(x: Step, line: number): void {
  const { a, s, cpu } = x;
  const decl = a.m.program.lines[line]!;
  const frame = syncFrame(x, 'irq');
  const stack = entryStack(a, s, cpu, line);
  a.push(s, stack, frame);
  a.enterActivation(s, stack);
  if (decl.gate === 'interrupt') a.setIe(s, cpu, 0);
  x.goto(a.m.unitStart(decl.handler));
}

/**
 * x86_64 SYSRET (Intel SDM vol. 2B): RIP := RCX, RFLAGS := R11, CPL := 3. The kernel loads RCX and R11 from the
 * frame its entry pushed (Linux's syscall_return_via_sysret pops pt_regs), so the model pops that frame: it must be
 * an interrupt frame of the current thread, and its return point user code, since SYSRET always returns to CPL 3.
 */
function sysret(x: Step): void {
  const { a, s } = x;
  const pc = returnThroughFrame(x, 'sysret', (to) =>
    s.fault('stack-integrity', a.ops.not(userCode(a, to)), () => 'sysret returns to kernel code: SYSRET always returns to user mode (CPL 3)'),
  );
  checkReturnToUser(x, pc, 'sysret');
}

/**
 * The first return to user mode, at the start of a `user` block: as the iret/eret of Linux's ret_from_fork /
 * start_thread returns through a context that enables interrupts (RFLAGS.IF, SPSR with DAIF clear). The pair
 * ELR/SPSR is consumed by that eret.
 */
function toUser(x: Step): void {
  const { a, s, cpu } = x;
  checkReturnToUser(x, a.m.resolve(x.pc + 1), 'the start of a user block');
  a.setIe(s, cpu, 1);
  a.setElr(s, cpu, 'empty', null);
}

/** Executes a privilege instruction; false if `instr` is not one. */
export function executePrivileged(x: Step, instr: Instr): boolean {
  switch (instr.op) {
    case 'to_user':
      toUser(x);
      return true;
    case 'syscall':
      syscall(x);
      return true;
    case 'svc':
      svc(x);
      return true;
    case 'sysret':
      sysret(x);
      return true;
    case 'int':
      softwareInterrupt(x, instr.line);
      return true;
    default:
      return false;
  }
}
