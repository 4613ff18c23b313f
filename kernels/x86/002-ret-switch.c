/* 002_40260a4a6be5a521.txt, "Remaining Concerns" 4, as models/ckernel-002/stub-ret-switch.sched: the stub calls
 * scheduler_check_reschedule() -> scheduler_schedule() -> context_switch(), which switches stacks and ends
 * with `ret` "but we still have interrupt frame on stack". The first switch to a thread that has never run pops
 * its "callee-saved registers" out of its zeroed register block and returns through the next word of it, 0:
 * the fetch from the unmapped page 0 is a #PF. */
#include "ckernel.h"

static void scheduler_schedule(void) {
    rq_push(current);                /* old_thread back on the ready queue */
    struct thread *next = rq_pop();  /* pick_next_thread() */
    if (next != current) {
        struct thread *prev = current;
        trace_switch(prev, next);
        current = next;
        context_switch(prev, next);  /* save, load the new esp, pop, ret */
    }
}

void scheduler_check_reschedule(void) {
    need_reschedule = 0;
    scheduler_schedule();
}
