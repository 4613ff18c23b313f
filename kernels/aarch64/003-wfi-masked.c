/* 003_2b0e7a205e879def.txt, "Q3: Idle Task Behavior" with Q4's masking, as models/aarch64-003/idle-wfi-masked.sched:
 * the worker masks IRQs and sleeps until the next tick; the idle task it switches to loops on wfi with IRQs
 * still masked. wfi returns at once for the pending tick, which is never taken: the worker never wakes. After
 * 1000 such returns in a row the idle task reports the hang. */
#include "kernel.h"

const u32 timer_min = 1500, timer_spread = 3000;

static struct thread worker = { .name = "worker" }, idle = { .name = "idle" };

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
    for (u32 spins = 0;; spins++) {  /* idle_task: wfi in a loop, with whatever mask it was entered with */
        __asm__ volatile("wfi");
        trace0("wfi");               /* it returned and no interrupt was taken */
        if (spins == 1000) trace_hang("looping on wfi with interrupts masked: the pending tick wakes it but is never taken");
    }
}

void irq_handler(void) {
    trace_irq_entry();
    u32 intid = gic_ack();
    gic_eoi(intid);
    trace_thread("wake", &worker);   /* the tick the worker sleeps for */
    if (worker.blocked) {
        worker.blocked = 0;
        rq_push(&worker);
    }
    rq_push(current);                /* schedule() */
    switch_to(rq_pop());
    trace_thread("eret", current);
}

void design_init(void) {
    thread_switch_frame(&idle, idle_main);
    rq_push(&idle);
    timer_start();
    start_thread(&worker, worker_main);
}
