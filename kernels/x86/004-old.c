/* 004_bc203f168223d5e6.txt, "Current Problems", as models/forkexec-004/old-handler-abba.sched: the timer handler
 * takes SCHED, requeues the interrupted thread and picks the next, takes PROC, drops both, sends the EOI and
 * leaves through the next thread's interrupt frame. Its SCHED -> PROC against fork's PROC -> SCHED deadlocks
 * the two CPUs: the other CPU's tick holds SCHED and spins on PROC while fork holds PROC and spins on SCHED. */
#include "forkexec.h"

static void child_main(void) { for (;;) work(3000); }

/* The child is created for the stub's return path: its register block and an interrupt frame. */
static void child_frame(void) { thread_iret_frame(&child, child_main, 8); }

static struct thread *leaving[MAX_CPUS];

/* Called by the stub with the stack pointer of the frame it saved; returns the thread to leave through. */
struct thread *old_handler(u32 esp) {
    struct thread *cur = running();
    trace_irq_entry();
    cur->esp = esp;
    irqsave_lock(&SCHED);
    rq_push(cur);                        /* enqueue current */
    struct thread *next = rq_pop();      /* the scheduling decision, in the handler */
    irqsave_lock(&PROC);                 /* the next thread's process: page table, kernel stack */
    work(300);                           /* set up the thread context, modify the interrupt frame */
    irqsave_unlock(&PROC);
    irqsave_unlock(&SCHED);
    lapic_eoi_timer();
    leaving[this_cpu()] = cur;           /* restore_context next: leave through next's frame */
    current_of[this_cpu()] = next;
    return next;
}

/* Called by the stub once it stands on the stack it leaves through: the switch is logged where it happened. */
void log_leave(struct thread *next) {
    struct thread *cur = leaving[this_cpu()];
    if (next != cur) trace_switch(cur, next);
    trace_thread("iret", next);
}
