/* The C kernel of 002_40260a4a6be5a521.txt: what both of its designs share. Its irq32 stub pushes an
 * error-code slot and every register (pushal), calls the C handler (tick, need_reschedule, EOI) and on its
 * way out reschedules. Threads are created for the stub's return path: thread_create leaves the register
 * block and an interrupt frame on the new stack, so that the stub's pops and iret start it. */
#include "kernel.h"

const u32 timer_min = 40, timer_spread = 60;

struct thread first = { .name = "first" }, other = { .name = "other[0]" };
volatile u32 need_reschedule;

static void test_thread(void) {      /* print to serial periodically */
    sti_logged();
    for (;;) work(3000);
}

void interrupt_handler_c(void) {     /* timer_interrupt_handler() */
    work(200);                       /* ticks++ */
    need_reschedule = 1;             /* scheduler_tick() */
    eoi_timer();
}

void log_iret(void) { trace_thread("iret", current); }

void design_init(void) {
    pit_start();
    thread_iret_frame(&other, test_thread, 1 + 8);   /* error code, then the pushal block: all zero */
    rq_push(&other);
    start_thread(&first, test_thread);
}
