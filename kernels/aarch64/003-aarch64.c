/* 003_2b0e7a205e879def.txt, Phase 2 design, as models/aarch64-003/elr-saved-before-unmask.sched: the IRQ stub
 * saves ELR_EL1/SPSR_EL1 into the task's frame before anything can unmask, acknowledges the generic timer's
 * interrupt at the GIC, sends the EOI, calls schedule() (a Linux-style switch_to), and restores ELR/SPSR before
 * its eret. A new task unmasks IRQs first thing. */
#include "kernel.h"

const u32 timer_min = 1500, timer_spread = 3000;   /* counter ticks at 62.5 MHz */

static struct thread first = { .name = "first" }, task = { .name = "task[0]" };

static void task_main(void) {
    sti_logged();                    /* msr daifclr, #2: a new task runs with IRQs unmasked */
    for (;;) work(3000);
}

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
    start_thread(&first, task_main);
}
