/* 003_2b0e7a205e879def.txt, "Q3: Idle Task Behavior" done right, as models/aarch64-003/idle-wfi-unmask.sched: the
 * idle task masks IRQs, waits with wfi and unmasks to take the interrupt that woke it; a worker sleeps until
 * the next tick, which wakes it. */
#include "kernel.h"

const u32 timer_min = 1500, timer_spread = 3000;

static struct thread idle = { .name = "idle" }, worker = { .name = "worker[0]" };

static void switch_to(struct thread *next) {
    if (next == current) return;
    struct thread *prev = current;
    trace_switch(prev, next);
    current = next;
    context_switch(prev, next);
}

static void sleep_until_tick(void) {
    cli_logged();
    current->blocked = 1;            /* not re-queued: blocked until the timer wakes it */
    switch_to(rq_pop());
    sti_logged();
}

static void worker_main(void) {
    sti_logged();
    for (;;) {
        work(3000);
        sleep_until_tick();
    }
}

static void idle_main(void) {
    for (;;) {
        cli_logged();
        __asm__ volatile("wfi");
        trace0("wfi");               /* it returned: a line is pending, masked */
        sti_logged();                /* take the interrupt that woke us */
    }
}

void irq_handler(void) {
    trace_irq_entry();
    u32 intid = gic_ack();
    gic_eoi(intid);
    trace_thread("wake", &worker);
    if (worker.blocked) {
        worker.blocked = 0;
        rq_push(&worker);
    }
    rq_push(current);                /* schedule() */
    switch_to(rq_pop());
    trace_thread("eret", current);
}

void design_init(void) {
    thread_switch_frame(&worker, worker_main);
    rq_push(&worker);
    timer_start();
    start_thread(&idle, idle_main);
}
