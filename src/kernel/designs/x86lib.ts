// Kernel routines every x86_64 design shares: the run queue, the two kinds of spinlock, the Linux-style context
// switch and thread creation. Calling convention (System V, cut down): arguments in rdi, rsi; result in rax;
// rax, rcx, rdx, rsi, rdi are scratch (interrupt stubs save them); rbx, rbp, r12, r13 are preserved by callees
// and by the context switch. Threads keep their own id in r12 and check it after every unit of work: a frame
// that restores another thread's registers is caught at the next check.

/** Run queue: a ring of TCB pointers. `rq_pop` returns 0 (none) when it is empty. */
export const X86_RUNQUEUE = `
rq_push:                            ; rdi = TCB to append at the tail
    load rax, [runqueue+RQ_HEAD]
    load rcx, [runqueue+RQ_LEN]
    add rax, rcx
    and rax, RQ_MASK
    shl rax, 3
    add rax, runqueue
    store [rax+RQ_SLOTS], rdi
    add rcx, 1
    store [runqueue+RQ_LEN], rcx
    store [rdi+TCB_STATE], READY
    ret

rq_pop:                             ; rax = TCB at the head, or 0 when the queue is empty
    load rcx, [runqueue+RQ_LEN]
    cmp rcx, 0
    je rq_pop_empty
    load rdx, [runqueue+RQ_HEAD]
    mov rax, rdx
    shl rax, 3
    add rax, runqueue
    load rax, [rax+RQ_SLOTS]
    add rdx, 1
    and rdx, RQ_MASK
    store [runqueue+RQ_HEAD], rdx
    sub rcx, 1
    store [runqueue+RQ_LEN], rcx
    ret
rq_pop_empty:
    mov rax, 0
    ret
`;

/**
 * `spin_lock` is spin::Mutex: test-and-set on the lock word, interrupts left as they are. `irqsave_lock` is
 * InterruptSafeLock / spin_lock_irqsave: save RFLAGS, mask, spin, and keep the saved RFLAGS in the lock;
 * `irqsave_unlock` frees the word and restores the RFLAGS the lock holds (whoever took it: a hand-off lock is
 * released by another thread). Their cli and popf are part of the logged acquire and release.
 */
export const X86_LOCKS = `
spin_lock:                          ; rdi = lock word
    mov rax, 1
    xchg rax, [rdi]
    cmp rax, 0
    je spin_lock_taken
    pause
    jmp spin_lock
spin_lock_taken:
    ret

spin_unlock:                        ; rdi = lock word
    store [rdi], 0
    ret

irqsave_lock:                       ; rdi = lock word
    pushf
    pop rsi
@silent
    cli
irqsave_lock_spin:
    mov rax, 1
    xchg rax, [rdi]
    cmp rax, 0
    je irqsave_lock_taken
    pause
    jmp irqsave_lock_spin
irqsave_lock_taken:
    store [rdi+8], rsi
    ret

irqsave_unlock:                     ; rdi = lock word
    load rsi, [rdi+8]
    store [rdi], 0
    push rsi
    popf
    ret
`;

/**
 * Linux-style switch: push the callee-saved registers on this thread's stack, save RSP in its TCB, load the
 * next thread's RSP, pop its callee-saved registers and `ret` into wherever it was suspended. RFLAGS is not
 * part of the switch frame: the interrupt flag carries over to the resumed thread, as in Linux's switch_to.
 * The switch itself runs masked so that an interrupt sees it as one step. The thread switched away from is
 * blocked unless it was queued. On SMP the next thread may still be on its way off another CPU: wait for its
 * `on_cpu` to clear (Linux's p->on_cpu), and clear ours once we stand on the next stack.
 */
export const X86_SWITCH = `
context_switch:                     ; rdi = current TCB, rsi = next TCB
    pushf
    pop rdx                         ; the switcher's RFLAGS, carried over to the next thread
@silent
    cli
    push rbp
    push rbx
    push r12
    push r13
    store [rdi+TCB_SP], rsp
    load rax, [rdi+TCB_STATE]
    cmp rax, RUNNING
    jne context_switch_wait
    store [rdi+TCB_STATE], BLOCKED
context_switch_wait:
    load rax, [rsi+TCB_ON_CPU]
    cmp rax, 0
    je context_switch_go
    pause
    jmp context_switch_wait
context_switch_go:
    store [rsi+TCB_ON_CPU], 1
    store [gsbase+PCPU_CURRENT], rsi
    store [rsi+TCB_STATE], RUNNING
@switch from=rdi to=rsi
    load rsp, [rsi+TCB_SP]
    store [rdi+TCB_ON_CPU], 0
    pop r13
    pop r12
    pop rbx
    pop rbp
    push rdx
    popf
    ret
`;

/** Callee-saved registers context_switch pushes: a forged switch frame has these below the return address. */
export const X86_SWITCH_SAVED = 4;

/** The caller-saved registers an interrupt stub saves and restores. */
export const X86_SAVE_SCRATCH = ['rax', 'rcx', 'rdx', 'rsi', 'rdi'].map((r) => `    push ${r}`).join('\n');
export const X86_RESTORE_SCRATCH = ['rdi', 'rsi', 'rdx', 'rcx', 'rax'].map((r) => `    pop ${r}`).join('\n');

/** Loads the running thread's id into r12 (its identity for the rest of its life). */
export const X86_TAKE_IDENTITY = `
    load rax, [gsbase+PCPU_CURRENT]
    load r12, [rax+TCB_ID]`;

/** After a unit of work: r12 must still hold the running thread's id. */
export function x86CheckIdentity(label: string): string {
  return `
    load rax, [gsbase+PCPU_CURRENT]
    load rax, [rax+TCB_ID]
    cmp rax, r12
    jne ${label}`;
}

export const X86_CORRUPT = `
identity_corrupt:
    panic "r12 does not hold the running thread's id: a frame restored another thread's registers"
`;

/** `loop { work }` with the identity check: the body of most threads in the models. */
export function x86WorkLoop(label: string): string {
  return `
${label}:
    work${x86CheckIdentity('identity_corrupt')}
    jmp ${label}`;
}

/** `irqsave` / `irqrestore` statements: pushf; cli and popf, logged as one event each. */
export const X86_IRQSAVE = `
    pushf
@irqsave
@silent
    cli`;
export const X86_IRQRESTORE = `
@irqrestore
    popf`;
