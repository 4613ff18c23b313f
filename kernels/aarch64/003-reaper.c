/* 003_2b0e7a205e879def.txt, "Q2: Task Termination & Cleanup", as models/aarch64-003/next-task-reaps.sched: a task
 * that exits takes CONTEXT_SWITCH_LOCK and switches away for good; the task switched to finishes the switch,
 * frees the exited task's stack (it is no longer running on it) and releases the lock. No timer: the boot task
 * yields. The freed stack is filled with a poison pattern, so that running on it would fault. */
#include "kernel.h"

const u32 timer_min = 1500, timer_spread = 3000;

static struct thread boot = { .name = "boot[0]" }, task = { .name = "task[0]" };
static struct thread *prev;
static int exited;
static volatile u32 CONTEXT_SWITCH_LOCK;

static void acquire_csl(void) {      /* IRQs are masked: one CPU, so the word is ours once free */
    for (u32 spins = 0; CONTEXT_SWITCH_LOCK != 0; spins++) {
        if (spins == 200000) trace_hang("spinning on CONTEXT_SWITCH_LOCK");
    }
    CONTEXT_SWITCH_LOCK = 1;
    trace_lock("lock_acquire", "CONTEXT_SWITCH_LOCK");
}

static void release_csl(void) {
    trace_lock("lock_release", "CONTEXT_SWITCH_LOCK");
    CONTEXT_SWITCH_LOCK = 0;
}

static void switch_to(struct thread *next) {
    if (next == current) return;
    struct thread *from = current;
    trace_switch(from, next);
    current = next;
    context_switch(from, next);
}

static void finish_switch(void) {    /* on the task switched to, the lock still held */
    if (prev != 0) {
        if (prev == &task && exited) {
            trace_thread("free_stack", prev);
            for (u32 i = 0; i < STACK_BYTES / 8; i++) prev->stack[i] = 0xdeaddeaddeaddeadul;
        }
        prev = 0;
    }
    release_csl();
}

static void yield_now(void) {
    cli_logged();
    acquire_csl();
    rq_push(current);
    prev = current;
    switch_to(rq_pop());
    finish_switch();
    sti_logged();
}

static void task_exit(void) {
    cli_logged();
    exited = 1;
    trace_thread("exit", current);
    acquire_csl();
    prev = current;
    switch_to(rq_pop());             /* never returns: the next task reaps this one */
    for (;;) {}
}

static void task_main(void) {
    finish_switch();                 /* a new task finishes the switch that started it */
    sti_logged();
    work(3000);
    task_exit();
}

static void boot_main(void) {
    sti_logged();
    for (;;) {
        work(3000);
        yield_now();
    }
}

void irq_handler(void) { trace_hang("an interrupt in a kernel with no timer"); }

void design_init(void) {
    thread_switch_frame(&task, task_main);
    rq_push(&task);
    start_thread(&boot, boot_main);
}
