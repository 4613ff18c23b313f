/* 003_2b0e7a205e879def.txt, "Global Lock" on two CPUs, as models/aarch64-003/context-switch-lock.sched: schedule()
 * takes CONTEXT_SWITCH_LOCK (a compare-and-swap spin) with IRQs masked, requeues, picks and switches; the task
 * switched to releases it (switch_finish_hook), a new task first thing. One run queue for both CPUs. */
#include "kernel.h"

const u32 timer_min = 1500, timer_spread = 3000;

static struct thread boot0 = { .name = "boot[0]" }, boot1 = { .name = "boot[1]" }, task = { .name = "task[0]" };
static u32 CONTEXT_SWITCH_LOCK;
static volatile u32 started;

static void acquire_csl(void) {      /* compare_exchange(false, true) in a spin loop */
    for (u32 spins = 0;; spins++) {
        u32 expected = 0;
        if (__atomic_compare_exchange_n(&CONTEXT_SWITCH_LOCK, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) break;
        if (spins == 2000000) trace_hang("spinning on CONTEXT_SWITCH_LOCK");
    }
    trace_lock("lock_acquire", "CONTEXT_SWITCH_LOCK");
}

static void release_csl(void) {      /* switch_finish_hook, on the task switched to */
    trace_lock("lock_release", "CONTEXT_SWITCH_LOCK");
    __atomic_store_n(&CONTEXT_SWITCH_LOCK, 0, __ATOMIC_RELEASE);
}

static void schedule(void) {         /* IRQs masked (Q4) */
    acquire_csl();
    rq_push(current);
    struct thread *next = rq_pop();
    if (next != current) {
        struct thread *prev = current;
        trace_switch(prev, next);
        current = next;
        context_switch(prev, next);  /* may resume on the other CPU */
    }
    release_csl();
}

static void boot_main(void) {
    sti_logged();
    for (;;) work(3000);
}

static void task_main(void) {
    release_csl();
    sti_logged();
    for (;;) work(3000);
}

void irq_handler(void) {
    trace_irq_entry();
    u32 intid = gic_ack();
    gic_eoi(intid);
    schedule();
    trace_thread("eret", current);
}

static void cpu1_main(void) {
    timer_start();
    started = 1;
    start_thread(&boot1, boot_main);
}

void design_init(void) {
    thread_switch_frame(&task, task_main);
    rq_push(&task);
    start_secondary(cpu1_main);
    while (!started) {}
    timer_start();
    start_thread(&boot0, boot_main);
}
