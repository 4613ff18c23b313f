/* 003_2b0e7a205e879def.txt, Phase 2 design, as models/aarch64-003/elr-saved-before-unmask.sched: the IRQ stub
 * saves ELR_EL1/SPSR_EL1 into the task's frame before anything can unmask, acknowledges the generic timer's
 * interrupt at the GIC, sends the EOI, calls schedule() (a Linux-style switch_to), and restores ELR/SPSR before
 * its eret. A new task unmasks IRQs first thing.
 *
 * Built with ELR_UNSAVED (boot.S), it is 003-elr-unsaved, models/aarch64-003/elr-unsaved.sched: the preempted
 * task's return state stays only in ELR/SPSR while schedule() switches to a task that unmasks IRQs; the next
 * tick's entry overwrites them, and the first task, switched back to, erets to where the other was interrupted. */
#include "kernel.h"

const u32 timer_min = 1500, timer_spread = 3000;   /* counter ticks at 62.5 MHz */

static struct thread first = { .name = "first" }, task = { .name = "task[0]" };

/* task_main, one copy per task: each checks after every unit of work (a loop in place, not a call, so that a
 * task is nearly always interrupted in its own copy) that it runs as the task it was written for, so that a task
 * resumed in another task's code (an eret through another task's ELR) is caught. */
/* The address of `t`, computed where it is used: kept in a callee-saved register, it would come back with the
 * registers of whichever task's frame was restored, and the check would pass. */
#define here(t)                                                                                  \
    ({                                                                                          \
        struct thread *p_;                                                                      \
        __asm__ volatile("adrp %0, %1\n\tadd %0, %0, :lo12:%1" : "=r"(p_) : "S"(t));          \
        p_;                                                                                     \
    })

#define TASK_MAIN(fn, self)                                                                     \
    static void fn(void) {                                                                      \
        sti_logged();                /* msr daifclr, #2: a new task runs with IRQs unmasked */ \
        for (;;) {                                                                              \
            for (volatile u32 i = rand32() % 3000; i != 0; i--) {}                              \
            if (current != here(&(self))) panic("a task resumed in another task's code: its ELR/SPSR were another's"); \
        }                                                                                       \
    }
TASK_MAIN(first_main, first)
TASK_MAIN(task_main, task)

static void schedule(void) {         /* runs with IRQs masked (Q4) */
    rq_push(current);
    struct thread *next = rq_pop();
    if (next != current) {
        struct thread *prev = current;
        trace_switch(prev, next);
        current = next;
        context_switch(prev, next);
    }
}

void irq_handler(void) {
    trace_irq_entry();
    u32 intid = gic_ack();           /* 1. Acknowledge the interrupt (GICC_IAR) */
    gic_eoi(intid);                  /*    GICC_EOIR */
    schedule();                      /* 2. Call schedule() */
    trace_thread("eret", current);   /* the stub restores this task's ELR/SPSR and erets */
}

void design_init(void) {
    thread_switch_frame(&task, task_main);
    rq_push(&task);
    timer_start();
    start_thread(&first, first_main);
}
