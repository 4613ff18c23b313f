// The AArch64 kernel design (seed 003_2b0e7a205e879def.txt), as models/aarch64-003/ describes it. The Generic
// Timer's PPI enters the IRQ vector, which saves the caller-saved registers and ELR_EL1/SPSR_EL1 on the task's
// stack, acknowledges (GICC_IAR) and deactivates (GICC_EOIR) the line and calls schedule() on the way out.
//
// 003-aarch64 (elr-saved-before-unmask.sched): ELR/SPSR saved before anything can unmask; Redox-style switch.
// 003-idle (idle-wfi-unmask.sched): an idle task that masks, waits with wfi and unmasks; a worker that sleeps
//   until the next tick, which wakes it.
// 003-wfi-masked (idle-wfi-masked.sched): the idle task is entered with IRQs masked and only loops on wfi: a
//   pending tick wakes wfi but is never taken, so the sleeping worker is never woken.
// 003-reaper (next-task-reaps.sched): cooperative tasks; the task switched to finishes the switch, freeing the
//   previous task's stack if it exited, and releases CONTEXT_SWITCH_LOCK (held across the switch).
// 003-csl (context-switch-lock.sched): two CPUs; schedule() holds CONTEXT_SWITCH_LOCK across the switch and the
//   task switched to releases it.

import { ImageBuilder } from '../image.js';
import {
  A64_CORRUPT,
  A64_LOCKS,
  A64_REQUEUE_PICK_SWITCH,
  A64_RESTORE_ELR,
  A64_RESTORE_SCRATCH,
  A64_RUNQUEUE,
  A64_SAVE_ELR,
  A64_SAVE_SCRATCH,
  A64_SWITCH,
  A64_CONTEXT,
  A64_TAKE_IDENTITY,
  a64CheckIdentity,
  a64FreshContext,
  a64WorkLoop,
} from './a64lib.js';
import type { Design } from './design.js';

/** The IRQ vector: save, acknowledge, deactivate, then `extra` and schedule() on the return path. */
function irqVector(extra = ''): string {
  return `
irq_vector:                         ; VBAR_EL1 + 0x280: IRQ from EL1h; the hardware has set PSTATE.I
${A64_SAVE_SCRATCH}
${A64_SAVE_ELR}
    ack x0                          ; GICC_IAR: x0 = INTID, the line becomes active
    eoi x0                          ; GICC_EOIR: the next tick can be taken by whoever runs next
${extra}
    bl schedule                     ; irq_exit, then schedule() on the exception-return path
${A64_RESTORE_ELR}
${A64_RESTORE_SCRATCH}
    eret
`;
}

/** wake: a blocked task becomes ready and is queued; otherwise nothing. */
const WAKE = `
wake:                               ; x0 = TCB
@wake thread=x0
    load x1, [x0+TCB_STATE]
    cmp x1, BLOCKED
    b.eq rq_push
    ret
`;

const SCHEDULE = `
schedule:                           ; IRQs masked (Q4)
    push lr${A64_REQUEUE_PICK_SWITCH}
    pop lr
    ret
`;

const TASK_MAIN = `
task_main:
    sti                             ; msr daifclr, #2: a new task runs with IRQs unmasked${A64_TAKE_IDENTITY}
${a64WorkLoop('task_loop')}
`;

function common(name: string, cpus = 1, timer = true): ImageBuilder {
  const b = new ImageBuilder(name, 'aarch64', cpus);
  for (const [key, value] of Object.entries(A64_CONTEXT)) b.constant(key, value);
  if (timer) b.line('timer', 30, 1, 'irq_vector');
  b.code(A64_RUNQUEUE).code(A64_LOCKS).code(A64_SWITCH).code(A64_CORRUPT);
  return b;
}

export const aarch64ElrSaved: Design = {
  name: '003-aarch64',
  seed: '003_2b0e7a205e879def.txt, "2. Task Control Block" and "3. Scheduler Logic" (ELR/SPSR in the Context)',
  summary: 'ELR/SPSR saved before anything can unmask; schedule() on the exception-return path',
  arch: 'aarch64',
  cpus: 1,
  expect: 'survives',
  model: 'models/aarch64-003/elr-saved-before-unmask.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.code(irqVector()).code(SCHEDULE).code(TASK_MAIN);
    b.thread({ name: 'first', entry: 'task_main', start: { kind: 'running', cpu: 0 } });
    b.thread({ name: 'task[0]', entry: 'task_main', start: { kind: 'ready' }, context: a64FreshContext('task_main') });
    return b.build();
  },
};

const SLEEPER = `
worker_main:
    sti${A64_TAKE_IDENTITY}
worker_loop:
    work${a64CheckIdentity('identity_corrupt')}
    bl sleep_until_tick
    b worker_loop

sleep_until_tick:                   ; not re-queued: blocked until the timer wakes it
    push lr
    cli
    bl rq_pop
    store [tpidr+PCPU_NEXT], x0
    load x0, [tpidr+PCPU_CURRENT]
    load x1, [tpidr+PCPU_NEXT]
    bl switch_to
    sti
    pop lr
    ret
`;

export const aarch64Idle: Design = {
  name: '003-idle',
  seed: '003_2b0e7a205e879def.txt, "Q3: Idle Task Behavior" done right (mask, wfi, unmask)',
  summary: 'the idle task masks, waits with wfi and unmasks; the tick wakes a sleeping worker',
  arch: 'aarch64',
  cpus: 1,
  expect: 'survives',
  model: 'models/aarch64-003/idle-wfi-unmask.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.data('workers', 1);
    b.code(WAKE).code(SCHEDULE).code(SLEEPER).code(
      irqVector(`
    mov x3, 0                       ; while i < THREADS - 1 { wake worker[i] }
wake_all:
    cmp x3, WORKERS
    b.ge wake_all_done
    mov x0, x3
    shl x0, 3
    add x0, workers
    load x0, [x0]
    bl wake
    add x3, 1
    b wake_all
wake_all_done:`),
    ).code(`
idle_main:                          ; loop { cli; wfi; sti }
    cli
    wfi
    sti
    b idle_main
`);
    b.constant('WORKERS', 1);
    b.thread({ name: 'idle', entry: 'idle_main', start: { kind: 'running', cpu: 0 } });
    const worker = b.thread({ name: 'worker[0]', entry: 'worker_main', start: { kind: 'ready' }, context: a64FreshContext('worker_main') });
    b.write(b.symbolAddress('workers'), worker.tcb);
    return b.build();
  },
};

export const aarch64WfiMasked: Design = {
  name: '003-wfi-masked',
  seed: '003_2b0e7a205e879def.txt, "Q3" with "Q4": the idle task entered with IRQs masked, looping on wfi',
  summary: 'the idle task loops on wfi with IRQs still masked: the tick that would wake the worker is never taken',
  arch: 'aarch64',
  cpus: 1,
  expect: 'hangs',
  model: 'models/aarch64-003/idle-wfi-masked.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.code(WAKE).code(SCHEDULE).code(SLEEPER).code(
      irqVector(`
    mov x0, tcb_worker              ; the tick the worker sleeps for
    bl wake`),
    ).code(`
idle_main:                          ; idle_task: wfi in a loop, with whatever mask it was entered with
    wfi
    b idle_main
`);
    b.thread({ name: 'worker', entry: 'worker_main', start: { kind: 'running', cpu: 0 } });
    b.thread({ name: 'idle', entry: 'idle_main', start: { kind: 'ready' }, context: a64FreshContext('idle_main') });
    return b.build();
  },
};

export const aarch64Reaper: Design = {
  name: '003-reaper',
  seed: '003_2b0e7a205e879def.txt, "Q2: Task Termination & Cleanup" (the next task cleans up after the switch)',
  summary: 'the task switched to frees the previous task\'s stack if it exited, then releases CONTEXT_SWITCH_LOCK',
  arch: 'aarch64',
  cpus: 1,
  expect: 'survives',
  model: 'models/aarch64-003/next-task-reaps.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name, 1, false);
    b.lock('CONTEXT_SWITCH_LOCK', 'CONTEXT_SWITCH_LOCK');
    b.code(`
boot_main:
    sti${A64_TAKE_IDENTITY}
boot_loop:
    work${a64CheckIdentity('identity_corrupt')}
    bl yield_now
    b boot_loop

task_main:                          ; a new task finishes the switch that started it
    bl finish_switch
    sti${A64_TAKE_IDENTITY}
    work${a64CheckIdentity('identity_corrupt')}
    bl task_exit

yield_now:
    push lr
    cli
    mov x0, CONTEXT_SWITCH_LOCK
    bl spin_lock
    load x0, [tpidr+PCPU_CURRENT]   ; enqueue current
    bl rq_push
    load x0, [tpidr+PCPU_CURRENT]   ; prev := current
    store [tpidr+PCPU_PREV], x0
    bl rq_pop                       ; pick next
    store [tpidr+PCPU_NEXT], x0
    load x0, [tpidr+PCPU_CURRENT]
    load x1, [tpidr+PCPU_NEXT]
    bl switch_to
    bl finish_switch
    sti
    pop lr
    ret

task_exit:
    cli
    load x0, [tpidr+PCPU_CURRENT]
@exit thread=x0
    store [x0+TCB_STATE], EXITED
    mov x0, CONTEXT_SWITCH_LOCK
    bl spin_lock
    load x0, [tpidr+PCPU_CURRENT]   ; prev := current
    store [tpidr+PCPU_PREV], x0
    bl rq_pop
    store [tpidr+PCPU_NEXT], x0
    load x0, [tpidr+PCPU_CURRENT]
    load x1, [tpidr+PCPU_NEXT]
    bl switch_to                    ; never returns: the next task reaps this one
    panic "an exited task was resumed"

finish_switch:                      ; on the task switched to, the lock still held
    push lr
    load x0, [tpidr+PCPU_PREV]
    cmp x0, 0
    b.eq finish_switch_release
    load x1, [x0+TCB_STATE]
    cmp x1, EXITED
    b.ne finish_switch_forget
    load x1, [x0+TCB_STACK]
@free_stack thread=x0
    free x1
finish_switch_forget:
    store [tpidr+PCPU_PREV], 0
finish_switch_release:
    mov x0, CONTEXT_SWITCH_LOCK
    bl spin_unlock
    pop lr
    ret
`);
    b.thread({ name: 'boot[0]', entry: 'boot_main', start: { kind: 'running', cpu: 0 } });
    b.thread({ name: 'task[0]', entry: 'task_main', start: { kind: 'ready' }, context: a64FreshContext('task_main') });
    return b.build();
  },
};

export const aarch64ContextSwitchLock: Design = {
  name: '003-csl',
  seed: '003_2b0e7a205e879def.txt, "3. Scheduler Logic", Global Lock (CONTEXT_SWITCH_LOCK) on two CPUs',
  summary: 'two CPUs; schedule() holds CONTEXT_SWITCH_LOCK across the switch, released by the task switched to',
  arch: 'aarch64',
  cpus: 2,
  expect: 'survives',
  model: 'models/aarch64-003/context-switch-lock.sched',
  timer: { period: 120, jitter: 60 },
  stall: 48,
  build() {
    const b = common(this.name, 2);
    b.lock('CONTEXT_SWITCH_LOCK', 'CONTEXT_SWITCH_LOCK');
    b.code(irqVector()).code(`
schedule:                           ; IRQs masked (Q4)
    push lr
    mov x0, CONTEXT_SWITCH_LOCK     ; compare_exchange(false, true) in a spin loop
    bl spin_lock${A64_REQUEUE_PICK_SWITCH}
    mov x0, CONTEXT_SWITCH_LOCK     ; switch_finish_hook, on the task switched to
    bl spin_unlock
    pop lr
    ret

boot_main:
    sti${A64_TAKE_IDENTITY}
${a64WorkLoop('boot_loop')}

task_main:
    mov x0, CONTEXT_SWITCH_LOCK     ; switch_finish_hook
    bl spin_unlock
    sti${A64_TAKE_IDENTITY}
${a64WorkLoop('task_loop')}
`);
    for (let c = 0; c < 2; c++) b.thread({ name: `boot[${c}]`, entry: 'boot_main', start: { kind: 'running', cpu: c } });
    b.thread({ name: 'task[0]', entry: 'task_main', start: { kind: 'ready' }, context: a64FreshContext('task_main') });
    return b.build();
  },
};
