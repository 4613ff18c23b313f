/* 004_bc203f168223d5e6.txt, "Correct Architecture", as models/forkexec-004/redesign-need-resched.sched: the timer
 * handler only ticks, sets need_resched and sends the EOI; the interrupt return path calls schedule(), which
 * holds SCHED across a Linux-style switch and lets the thread switched to release it (a new child does so
 * first thing, as schedule_tail() does). */
#include "forkexec.h"

static volatile u32 need_resched[MAX_CPUS];

static void child_main(void) {
    irqsave_unlock(&SCHED);              /* schedule_tail(): finish the switch that started us */
    sti_logged();
    for (;;) work(3000);
}

static void child_frame(void) { thread_switch_frame(&child, child_main); }

static void schedule(void) {
    irqsave_lock(&SCHED);
    struct thread *prev = running();
    rq_push(prev);
    struct thread *next = rq_pop();
    if (next != prev) {
        trace_switch(prev, next);
        current_of[this_cpu()] = next;
        context_switch(prev, next);      /* may resume on the other CPU */
    }
    irqsave_unlock(&SCHED);              /* by whichever thread resumes here */
}

void timer_handler(void) {
    trace_irq_entry();
    work(200);                           /* tick count, the current thread's time slice */
    need_resched[this_cpu()] = 1;        /* the quantum has expired */
    lapic_eoi_timer();
    u32 cpu = this_cpu();                /* irq_exit: the interrupt-return path */
    if (need_resched[cpu]) {
        need_resched[cpu] = 0;
        schedule();
    }
    trace_thread("iret", running());
}
