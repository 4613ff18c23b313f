/* 001_2ccd5835c35eb7e9.txt before Phase 1, as models/aethelos-001/spin-mutex-loom.sched: LOOM and WRITER are
 * spin::Mutex (interrupts left enabled); a cooperative worker prints under WRITER and yields through
 * yield_now(), which holds LOOM while it prepares the yield; the timer handler takes LOOM for its quantum
 * accounting. A tick that lands while the worker holds LOOM spins in the handler on a lock only the interrupted
 * worker can release: the lockup detector reports the hang. */
#include "kernel.h"

const u32 timer_min = 40, timer_spread = 60;

static struct thread worker = { .name = "worker" };
static struct lock LOOM = { .name = "LOOM" }, WRITER = { .name = "WRITER" };

static void yield_now(void) {
    spin_lock(&LOOM);
    rq_push(current);                /* prepare_yield(): enqueue current, pick next */
    struct thread *next = rq_pop();
    work(400);
    spin_unlock(&LOOM);              /* the guard is dropped before the switch */
    if (next != current) {           /* one thread: the switch is to itself, a no-op */
        struct thread *prev = current;
        trace_switch(prev, next);
        current = next;
        context_switch(prev, next);
    }
}

static void worker_main(void) {
    sti_logged();
    for (;;) {
        spin_lock(&WRITER);          /* println! */
        work(3000);
        spin_unlock(&WRITER);
        yield_now();
    }
}

void timer_handler(void) {
    trace_irq_entry();
    work(200);                       /* timer::tick() */
    spin_lock(&LOOM);                /* get_loom().lock() */
    work(200);                       /* tick_quantum(); should_preempt() is false: preemption is off */
    spin_unlock(&LOOM);
    eoi_timer();                     /* PICS.notify_end_of_interrupt(32) */
    trace_thread("iret", current);
}

void design_init(void) {
    pit_start();
    start_thread(&worker, worker_main);
}
