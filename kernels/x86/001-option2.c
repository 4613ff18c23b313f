/* 001_2ccd5835c35eb7e9.txt, Step 3.4 Option 2 with Phase 1 done, as models/aethelos-001/option2-yield-pending.sched:
 * every lock is an InterruptSafeLock; the timer handler ticks, marks a yield pending and sends its EOI; the
 * interrupt return path takes the pending yield, so Test 4.1's CPU hog is preempted by the worker. */
#include "kernel.h"

const u32 timer_min = 40, timer_spread = 60;

static struct thread hog = { .name = "hog" }, worker = { .name = "worker[0]" };
static struct lock LOOM = { .name = "LOOM" }, WRITER = { .name = "WRITER" };
static volatile int yield_pending;

static void switch_to(struct thread *next) {
    if (next == current) return;
    struct thread *prev = current;
    trace_switch(prev, next);
    current = next;
    context_switch(prev, next);
}

static void yield_now(void) {
    u32 flags = irq_save();          /* without_interrupts() */
    trace0("irqsave");
    irqsave_lock(&LOOM);
    rq_push(current);
    struct thread *next = rq_pop();
    irqsave_unlock(&LOOM);
    switch_to(next);
    trace0("irqrestore");
    irq_restore(flags);
}

static void preempt_on_return(void) {
    yield_pending = 0;
    irqsave_lock(&LOOM);
    rq_push(current);
    struct thread *next = rq_pop();
    irqsave_unlock(&LOOM);
    switch_to(next);
}

static void hog_main(void) {         /* Test 4.1: cpu_hog_thread never yields */
    sti_logged();
    for (;;) work(2000);
}

static void worker_main(void) {      /* thread_entry_wrapper, then the print loop */
    sti_logged();
    for (;;) {
        irqsave_lock(&WRITER);       /* println! */
        work(2000);
        irqsave_unlock(&WRITER);
        yield_now();
    }
}

void timer_handler(void) {
    trace_irq_entry();
    work(200);                       /* timer::tick() */
    yield_pending = 1;               /* request_preemptive_yield() */
    eoi_timer();
    if (yield_pending) preempt_on_return();   /* the return path, after the handler's EOI */
    trace_thread("iret", current);
}

void design_init(void) {
    pit_start();
    thread_switch_frame(&worker, worker_main);
    rq_push(&worker);
    start_thread(&hog, hog_main);
}
