// AethelOS (seed 001_2ccd5835c35eb7e9.txt) on one x86_64 CPU, as models/aethelos-001/ describes it.
//
// 001-naive (spin-mutex-loom.sched): the system before Phase 1. LOOM and WRITER are spin::Mutex, which leave
// interrupts enabled; a cooperative worker prints under WRITER and yields through yield_now(), which holds LOOM
// while it picks the next thread; the timer handler takes LOOM for its quantum accounting. A tick that lands
// while the worker holds LOOM spins in the handler on a lock only the interrupted worker can release.
//
// 001-option2 (option2-yield-pending.sched): Step 3.4's Option 2 with Phase 1 done. Every lock is an
// InterruptSafeLock; the handler ticks, marks a yield pending and sends its EOI; the interrupt return path
// takes the pending yield, so Test 4.1's CPU hog is preempted.

import { ImageBuilder } from '../image.js';
import { type Design, forgeSwitchFrame } from './design.js';
import {
  X86_CORRUPT,
  X86_IRQRESTORE,
  X86_IRQSAVE,
  X86_LOCKS,
  X86_RESTORE_SCRATCH,
  X86_RUNQUEUE,
  X86_SAVE_SCRATCH,
  X86_SWITCH,
  X86_SWITCH_SAVED,
  X86_TAKE_IDENTITY,
  x86CheckIdentity,
  x86WorkLoop,
} from './x86lib.js';

const SWITCH_TO = `
switch_to:                          ; rdi = current, rsi = next; switching to oneself does nothing
    cmp rdi, rsi
    jne context_switch
    store [rdi+TCB_STATE], RUNNING
    ret
`;

/** enqueue current; pick next (LOOM held by the caller). */
const REQUEUE_AND_PICK = `
    load rdi, [gsbase+PCPU_CURRENT]
    call rq_push
    call rq_pop
    store [gsbase+PCPU_NEXT], rax`;

const SWITCH_TO_NEXT = `
    load rdi, [gsbase+PCPU_CURRENT]
    load rsi, [gsbase+PCPU_NEXT]
    call switch_to`;

/** A worker: print under WRITER, then yield. */
function worker(lock: 'spin' | 'irqsave'): string {
  return `
worker_main:
    sti${X86_TAKE_IDENTITY}
worker_loop:
    mov rdi, WRITER                 ; println!
    call ${lock}_lock
    work
    mov rdi, WRITER
    call ${lock}_unlock
    call yield_now${x86CheckIdentity('identity_corrupt')}
    jmp worker_loop
`;
}

function common(name: string): ImageBuilder {
  const b = new ImageBuilder(name, 'x86_64', 1);
  b.lock('LOOM', 'LOOM');
  b.lock('WRITER', 'WRITER');
  b.line('timer', 32, 1, 'timer_stub');
  b.code(X86_RUNQUEUE).code(X86_LOCKS).code(X86_SWITCH).code(SWITCH_TO).code(X86_CORRUPT);
  return b;
}

export const aethelosNaive: Design = {
  name: '001-naive',
  seed: '001_2ccd5835c35eb7e9.txt, before Phase 1 (spin::Mutex locks; the timer handler takes LOOM)',
  summary: 'LOOM is a spin::Mutex that yield_now() holds with interrupts on; the timer handler takes LOOM',
  arch: 'x86_64',
  cpus: 1,
  expect: 'hangs',
  model: 'models/aethelos-001/spin-mutex-loom.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.code(worker('spin')).code(`
yield_now:
    mov rdi, LOOM
    call spin_lock${REQUEUE_AND_PICK}               ; prepare_yield()
    mov rdi, LOOM                   ; the guard is dropped before the switch
    call spin_unlock${SWITCH_TO_NEXT}
    ret

timer_stub:
${X86_SAVE_SCRATCH}
    work                            ; timer::tick()
    mov rdi, LOOM                   ; get_loom().lock()
    call spin_lock
    work                            ; tick_quantum(); should_preempt() is false
    mov rdi, LOOM
    call spin_unlock
    eoi VEC_TIMER                   ; PICS.notify_end_of_interrupt(32)
${X86_RESTORE_SCRATCH}
    iretq
`);
    b.thread({ name: 'worker', entry: 'worker_main', start: { kind: 'running', cpu: 0 } });
    return b.build();
  },
};

export const aethelosOption2: Design = {
  name: '001-option2',
  seed: '001_2ccd5835c35eb7e9.txt, Step 3.4 Option 2 with Phase 1 done (InterruptSafeLock everywhere)',
  summary: 'irq-safe locks; the handler marks a yield pending, taken on the interrupt return path',
  arch: 'x86_64',
  cpus: 1,
  expect: 'survives',
  model: 'models/aethelos-001/option2-yield-pending.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.code(worker('irqsave')).code(`
hog_main:                           ; Test 4.1: cpu_hog_thread, never yields
    sti${X86_TAKE_IDENTITY}
${x86WorkLoop('hog_loop')}

yield_now:
${X86_IRQSAVE}
    mov rdi, LOOM                   ; without_interrupts()
    call irqsave_lock${REQUEUE_AND_PICK}
    mov rdi, LOOM
    call irqsave_unlock${SWITCH_TO_NEXT}
${X86_IRQRESTORE}
    ret

preempt_on_return:                  ; the pending yield, taken on the interrupt-return path
    store [gsbase+PCPU_NEED_RESCHED], 0
    mov rdi, LOOM
    call irqsave_lock${REQUEUE_AND_PICK}
    mov rdi, LOOM
    call irqsave_unlock${SWITCH_TO_NEXT}
    ret

timer_stub:
${X86_SAVE_SCRATCH}
    work                            ; timer::tick()
    store [gsbase+PCPU_NEED_RESCHED], 1   ; request_preemptive_yield()
    eoi VEC_TIMER
    load rax, [gsbase+PCPU_NEED_RESCHED]  ; irq_exit: the return path checks the pending yield
    cmp rax, 0
    je timer_stub_iret
    call preempt_on_return
timer_stub_iret:
${X86_RESTORE_SCRATCH}
    iretq
`);
    b.thread({ name: 'hog', entry: 'hog_main', start: { kind: 'running', cpu: 0 } });
    b.thread({ name: 'worker[0]', entry: 'worker_main', start: { kind: 'ready' }, forge: forgeSwitchFrame('worker_main', X86_SWITCH_SAVED) });
    return b.build();
  },
};
