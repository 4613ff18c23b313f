/* The fork/exec kernel of 004_bc203f168223d5e6.txt on two CPUs: what both of its designs share. Every CPU runs a
 * boot thread; boot[0] is the shell and forks one child: fork takes PROC, copies the address space (a long
 * piece of work), then takes SCHED to queue the child. One run queue for both CPUs, under SCHED. */
#include "smp.h"

const u32 timer_min = 30000, timer_spread = 30000;   /* LAPIC ns */

struct thread boot0 = { .name = "boot[0]" }, boot1 = { .name = "boot[1]" }, child = { .name = "child[0]" };
struct lock SCHED = { .name = "SCHED" }, PROC = { .name = "PROC" };
static volatile u32 forked;

static void fork(void) {
    irqsave_lock(&PROC);                 /* process manager: create the process */
    work(400000);                        /* copy the parent's address space, create the child's thread */
    irqsave_lock(&SCHED);                /* add the child's thread to the scheduler, PROC still held */
    trace_thread("spawn", &child);
    rq_push(&child);
    irqsave_unlock(&SCHED);
    irqsave_unlock(&PROC);
    forked++;
}

static void boot_main(void) {
    sti_logged();
    if (running() == &boot0) while (forked < 1) fork();   /* the shell spawns its child */
    for (;;) work(3000);
}

static void child_frame(void);

static void ap_main(void) {
    lapic_timer_start();
    smp_barrier();
    current_of[1] = &boot1;
    start_on((u32)(boot1.stack + STACK_BYTES), boot_main);
}

void design_init(void) {
    child_frame();
    smp_boot(ap_main);
    smp_barrier();
    lapic_timer_start();
    current_of[0] = &boot0;
    start_on((u32)(boot0.stack + STACK_BYTES), boot_main);
}
