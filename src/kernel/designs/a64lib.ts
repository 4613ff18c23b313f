// Kernel routines every aarch64 design shares. AAPCS64, cut down: arguments in x0, x1, result in x0; x0-x3 are
// scratch; x19, x20, x29 and sp are preserved by callees and by switch_to; `bl` writes the return address to lr
// and a routine that calls another pushes lr first. `cli`/`sti` stand for `msr daifset/daifclr, #2`, `xchg`
// for SWPAL. Tasks keep their own id in x19 and check it after every unit of work.

import type { ForgeContext } from '../image.js';

export const A64_RUNQUEUE = `
rq_push:                            ; x0 = TCB to append at the tail
    load x1, [runqueue+RQ_HEAD]
    load x2, [runqueue+RQ_LEN]
    add x1, x2
    and x1, RQ_MASK
    shl x1, 3
    add x1, runqueue
    store [x1+RQ_SLOTS], x0
    add x2, 1
    store [runqueue+RQ_LEN], x2
    store [x0+TCB_STATE], READY
    ret

rq_pop:                             ; x0 = TCB at the head, or 0 when the queue is empty
    load x2, [runqueue+RQ_LEN]
    cmp x2, 0
    b.eq rq_pop_empty
    load x3, [runqueue+RQ_HEAD]
    mov x0, x3
    shl x0, 3
    add x0, runqueue
    load x0, [x0+RQ_SLOTS]
    add x3, 1
    and x3, RQ_MASK
    store [runqueue+RQ_HEAD], x3
    sub x2, 1
    store [runqueue+RQ_LEN], x2
    ret
rq_pop_empty:
    mov x0, 0
    ret
`;

export const A64_LOCKS = `
spin_lock:                          ; x0 = lock word
    mov x1, 1
    xchg x1, [x0]
    cmp x1, 0
    b.eq spin_lock_taken
    yield
    b spin_lock
spin_lock_taken:
    ret

spin_unlock:                        ; x0 = lock word
    store [x0], 0
    ret
`;

/** Saved-context slots inside TCB_CTX (x19, x20, x29, lr, sp). */
export const A64_CONTEXT = { CTX_X19: 32, CTX_X20: 40, CTX_X29: 48, CTX_LR: 56, CTX_SP: 64 } as const;

/**
 * Redox-style switch_to: store the callee-saved registers, lr and sp in the current task's context, load the
 * next task's and `ret` to its lr. PSTATE.I carries over to the next task; the switch runs masked so that an
 * interrupt sees it as one step. The task switched away from is blocked unless it was queued. Switching to
 * oneself does nothing. On SMP it waits for the next task to be off its previous CPU (on_cpu).
 */
export const A64_SWITCH = `
switch_to:                          ; x0 = current TCB, x1 = next TCB
    cmp x0, x1
    b.ne switch_to_other
    store [x0+TCB_STATE], RUNNING
    ret
switch_to_other:
    mrs x2, daif                    ; the switcher's mask, carried over to the next task
@silent
    cli
    store [x0+CTX_X19], x19
    store [x0+CTX_X20], x20
    store [x0+CTX_X29], x29
    store [x0+CTX_LR], lr
    store [x0+CTX_SP], sp
    load x3, [x0+TCB_STATE]
    cmp x3, RUNNING
    b.ne switch_to_wait
    store [x0+TCB_STATE], BLOCKED
switch_to_wait:
    load x3, [x1+TCB_ON_CPU]
    cmp x3, 0
    b.eq switch_to_go
    yield
    b switch_to_wait
switch_to_go:
    store [x1+TCB_ON_CPU], 1
    store [tpidr+PCPU_CURRENT], x1
    store [x1+TCB_STATE], RUNNING
@switch from=x0 to=x1
    load sp, [x1+CTX_SP]
    store [x0+TCB_ON_CPU], 0
    load x19, [x1+CTX_X19]
    load x20, [x1+CTX_X20]
    load x29, [x1+CTX_X29]
    load lr, [x1+CTX_LR]
    msr daif, x2
    ret
`;

/** Loads the running task's id into x19. */
export const A64_TAKE_IDENTITY = `
    load x0, [tpidr+PCPU_CURRENT]
    load x19, [x0+TCB_ID]`;

export function a64CheckIdentity(label: string): string {
  return `
    load x0, [tpidr+PCPU_CURRENT]
    load x0, [x0+TCB_ID]
    cmp x0, x19
    b.ne ${label}`;
}

export const A64_CORRUPT = `
identity_corrupt:
    panic "x19 does not hold the running task's id: a frame restored another task's registers"
`;

/** `loop { work }` with the identity check. */
export function a64WorkLoop(label: string): string {
  return `
${label}:
    work${a64CheckIdentity('identity_corrupt')}
    b ${label}`;
}

/** The IRQ vector's register saves: the caller-saved registers the kernel uses, and lr. */
export const A64_SAVE_SCRATCH = ['x0', 'x1', 'x2', 'x3', 'lr'].map((r) => `    push ${r}`).join('\n');
export const A64_RESTORE_SCRATCH = ['lr', 'x3', 'x2', 'x1', 'x0'].map((r) => `    pop ${r}`).join('\n');

/** `save_elr` / `restore_elr`: ELR_EL1 and SPSR_EL1 to and from the task's stack. */
export const A64_SAVE_ELR = `
    mrs x0, elr_el1
    mrs x1, spsr_el1
    push x0
    push x1`;
export const A64_RESTORE_ELR = `
    pop x1
    pop x0
    msr spsr_el1, x1
    msr elr_el1, x0`;

/** `enqueue current; pick next; switch_to next`, the schedule() of most aarch64 models (lr saved by the caller). */
export const A64_REQUEUE_PICK_SWITCH = `
    load x0, [tpidr+PCPU_CURRENT]
    bl rq_push
    bl rq_pop
    store [tpidr+PCPU_NEXT], x0
    load x0, [tpidr+PCPU_CURRENT]
    load x1, [tpidr+PCPU_NEXT]
    bl switch_to`;

/** The context a task that has not run finds: switch_to's `ret` lands on its entry, on an empty stack. */
export function a64FreshContext(entry: string): (ctx: ForgeContext) => void {
  return (ctx) => {
    ctx.memory.write(ctx.thread.tcb + A64_CONTEXT.CTX_LR, ctx.label(entry));
    ctx.memory.write(ctx.thread.tcb + A64_CONTEXT.CTX_SP, ctx.thread.stackTop);
  };
}
