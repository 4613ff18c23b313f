// The fork/exec kernel (seed 004_bc203f168223d5e6.txt) on two x86_64 CPUs, as models/forkexec-004/ describes
// it. Every CPU runs a boot thread; boot[0] is the shell and forks one child: fork takes PROC, copies, then
// takes SCHED to queue the child.
//
// 004-old (old-handler-abba.sched): the timer handler takes SCHED, requeues the interrupted thread and picks
// the next, takes PROC, drops both, sends the EOI and leaves through the next thread's interrupt frame. The
// order SCHED -> PROC against fork's PROC -> SCHED deadlocks two CPUs; dropping SCHED before leaving the
// interrupted thread's stack lets the other CPU resume that thread while it still runs here.
//
// 004-redesign (redesign-need-resched.sched): the handler only ticks, sets need_resched and sends the EOI; the
// interrupt return path calls schedule(), which holds SCHED across a Linux-style switch and lets the thread
// switched to release it (a new child does so first thing).

import { ImageBuilder } from '../image.js';
import { type Design, forgeIretFrame, forgeSwitchFrame } from './design.js';
import {
  X86_CORRUPT,
  X86_LOCKS,
  X86_RESTORE_SCRATCH,
  X86_RUNQUEUE,
  X86_SAVE_SCRATCH,
  X86_SWITCH,
  X86_SWITCH_SAVED,
  X86_TAKE_IDENTITY,
  x86WorkLoop,
} from './x86lib.js';

const CPUS = 2;
/** The shell and its children (the models' THREADS): one fork. */
const THREADS = 2;

/** Every register a thread uses, saved by a stub that may leave through another thread's frame. */
const ALL = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r12', 'r13'];
const PUSH_ALL = ALL.map((r) => `    push ${r}`).join('\n');
const POP_ALL = [...ALL].reverse().map((r) => `    pop ${r}`).join('\n');

const BOOT_AND_FORK = `
boot_main:                          ; thread boot[CPUS] on each
    sti${X86_TAKE_IDENTITY}
    load rax, [gsbase+PCPU_CURRENT]
    cmp rax, tcb_boot_0_
    jne boot_loop
boot_fork:                          ; the shell: while forked < THREADS - 1 { call fork }
    load rax, [forked]
    cmp rax, CHILDREN
    jge boot_loop
    call fork
    jmp boot_fork
${x86WorkLoop('boot_loop')}

fork:
    mov rdi, PROC                   ; process manager: create the process
    call irqsave_lock
    work                            ; copy the parent's address space, create the child's thread
    mov rdi, SCHED                  ; add the child's thread to the scheduler, PROC still held
    call irqsave_lock
    load rax, [forked]
    shl rax, 3
    add rax, children
    load rdi, [rax]
@spawn thread=rdi
    call rq_push
    mov rdi, SCHED
    call irqsave_unlock
    mov rdi, PROC
    call irqsave_unlock
    load rax, [forked]
    add rax, 1
    store [forked], rax
    ret
`;

function common(name: string): ImageBuilder {
  const b = new ImageBuilder(name, 'x86_64', CPUS);
  b.lock('SCHED', 'SCHED');
  b.lock('PROC', 'PROC');
  b.constant('CHILDREN', THREADS - 1);
  b.data('forked');
  b.data('children', THREADS - 1);
  b.line('timer', 32, 1, 'timer_stub');
  b.code(X86_RUNQUEUE).code(X86_LOCKS).code(BOOT_AND_FORK).code(X86_CORRUPT);
  for (let c = 0; c < CPUS; c++) b.thread({ name: `boot[${c}]`, entry: 'boot_main', start: { kind: 'running', cpu: c } });
  return b;
}

/** Fills the `children` table with the child threads' TCBs, in fork order. */
function listChildren(b: ImageBuilder, tcbs: number[]): void {
  const table = b.symbolAddress('children');
  tcbs.forEach((tcb, i) => b.write(table + 8 * i, tcb));
}

export const forkexecOld: Design = {
  name: '004-old',
  seed: '004_bc203f168223d5e6.txt, "Current Problems" (the design before the redesign)',
  summary: 'the timer takes SCHED then PROC and leaves through the next thread\'s frame; fork takes PROC then SCHED',
  arch: 'x86_64',
  cpus: CPUS,
  expect: 'hangs',
  model: 'models/forkexec-004/old-handler-abba.sched',
  timer: { period: 120, jitter: 60 },
  stall: 48,
  build() {
    const b = common(this.name);
    b.code(`
child_main:                         ; thread child[THREADS - 1]: resumed through its forged interrupt frame
${X86_TAKE_IDENTITY}
${x86WorkLoop('child_loop')}

timer_stub:                         ; the interrupt frame and every register: this thread's context
${PUSH_ALL}
    load rbx, [gsbase+PCPU_CURRENT]
    store [rbx+TCB_SP], rsp
    mov rdi, SCHED
    call irqsave_lock
    mov rdi, rbx                    ; enqueue current
    call rq_push
    call rq_pop                     ; pick next: the scheduling decision, in the handler
    store [gsbase+PCPU_NEXT], rax
    mov rdi, PROC                   ; the next thread's process: page table, kernel stack
    call irqsave_lock
    work                            ; set up the thread context, modify the interrupt frame
    mov rdi, PROC
    call irqsave_unlock
    mov rdi, SCHED
    call irqsave_unlock
    eoi VEC_TIMER
    load rsi, [gsbase+PCPU_NEXT]
    cmp rsi, rbx
    je timer_stub_iret
    store [gsbase+PCPU_CURRENT], rsi   ; restore_context next: return through next's frame instead of ours
    store [rsi+TCB_STATE], RUNNING
@switch from=rbx to=rsi
    load rsp, [rsi+TCB_SP]
timer_stub_iret:
${POP_ALL}
    iretq
`);
    const child = b.thread({
      name: 'child[0]',
      entry: 'child_main',
      start: { kind: 'dormant' },
      forge: forgeIretFrame('child_main', ALL.map(() => 0)),
    });
    listChildren(b, [child.tcb]);
    return b.build();
  },
};

export const forkexecRedesign: Design = {
  name: '004-redesign',
  seed: '004_bc203f168223d5e6.txt, "Correct Architecture" 1-2 (minimal handler, switch on interrupt return)',
  summary: 'a minimal handler sets need_resched; the return path calls schedule(), which holds SCHED across the switch',
  arch: 'x86_64',
  cpus: CPUS,
  expect: 'survives',
  model: 'models/forkexec-004/redesign-need-resched.sched',
  timer: { period: 120, jitter: 60 },
  stall: 48,
  build() {
    const b = common(this.name);
    b.code(X86_SWITCH).code(`
switch_to:                          ; rdi = current, rsi = next; switching to oneself does nothing
    cmp rdi, rsi
    jne context_switch
    store [rdi+TCB_STATE], RUNNING
    ret

child_main:                         ; thread child[THREADS - 1]: first resumed by schedule()'s switch
    mov rdi, SCHED                  ; schedule_tail(): finish the switch that started us
    call irqsave_unlock
    sti${X86_TAKE_IDENTITY}
${x86WorkLoop('child_loop')}

timer_stub:
${X86_SAVE_SCRATCH}
    work                            ; tick count, the current thread's time slice
    store [gsbase+PCPU_NEED_RESCHED], 1
    eoi VEC_TIMER
    load rax, [gsbase+PCPU_NEED_RESCHED]   ; the interrupt-return path (irq_exit)
    cmp rax, 0
    je timer_stub_iret
    store [gsbase+PCPU_NEED_RESCHED], 0
    call schedule
timer_stub_iret:
${X86_RESTORE_SCRATCH}
    iretq

schedule:
    mov rdi, SCHED
    call irqsave_lock
    load rdi, [gsbase+PCPU_CURRENT] ; enqueue current
    call rq_push
    call rq_pop                     ; pick next
    store [gsbase+PCPU_NEXT], rax
    load rdi, [gsbase+PCPU_CURRENT]
    load rsi, [gsbase+PCPU_NEXT]
    call switch_to
    mov rdi, SCHED                  ; by whichever thread resumes here
    call irqsave_unlock
    ret
`);
    const child = b.thread({
      name: 'child[0]',
      entry: 'child_main',
      start: { kind: 'dormant' },
      forge: forgeSwitchFrame('child_main', X86_SWITCH_SAVED),
    });
    listChildren(b, [child.tcb]);
    return b.build();
  },
};
