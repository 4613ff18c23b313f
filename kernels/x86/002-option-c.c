/* 002_40260a4a6be5a521.txt, "Possible Solutions", Option C, as models/ckernel-002/option-c-context-stub.sched:
 * the stub saves the interrupted thread's frame as thread->context on entry and always leaves by loading the
 * stack pointer of the thread chosen to run and popping that thread's own register block and interrupt frame. */
#include "ckernel.h"

/* Returns the thread whose context the stub restores; logs the switch (if any) and the iret. */
struct thread *scheduler_check_reschedule(void) {
    struct thread *next = current;
    if (need_reschedule) {
        need_reschedule = 0;
        rq_push(current);
        next = rq_pop();
    }
    if (next != current) trace_switch(current, next);
    current = next;
    log_iret();
    return next;
}
