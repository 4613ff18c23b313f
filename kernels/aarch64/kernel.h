/* The runtime of the AArch64 kernels on QEMU's virt machine: PL011 UART for the trace, GICv2, the EL1 physical
 * timer (PPI 30), threads and the run queue; a run ends through semihosting's SYS_EXIT. */
#ifndef KERNEL_H
#define KERNEL_H

typedef unsigned long u64;
typedef unsigned int u32;

#define STACK_BYTES 8192

struct thread {
    const char *name;
    u64 sp;                          /* offset 8: context_switch relies on it */
    int blocked;
    u64 stack[STACK_BYTES / 8] __attribute__((aligned(16)));
};

#define MAX_CPUS 2
/* The running thread of this CPU. */
extern struct thread *current_of[MAX_CPUS];
static inline u32 this_cpu(void) {
    u64 mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    return (u32)(mpidr & 0xff);
}
#define current (current_of[this_cpu()])
extern u32 seed;
extern const u32 timer_min, timer_spread;

void design_init(void);

u32 rand32(void);
void work(u32 max);

void trace0(const char *event);
void trace_thread(const char *event, const struct thread *t);
void trace_line(const char *event, const char *line);
void trace_irq_entry(void);
void trace_switch(const struct thread *from, const struct thread *to);
void trace_hang(const char *detail);
/* A kernel BUG: logs a fault (vector "panic") and ends the run. */
void panic(const char *reason) __attribute__((noreturn));
void trace_lock(const char *event, const char *lock);
void sti_logged(void);               /* logs sti, then msr daifclr, #2 */
void cli_logged(void);               /* msr daifset, #2, then logs cli */

/* Starts the second CPU (PSCI CPU_ON) in `main`, on a stack of its own, its GIC interface and vectors ready. */
void start_secondary(void (*main)(void));
/* This CPU's GIC CPU interface and its banked timer PPI. */
void gic_cpu_init(void);

/* The GIC: ack (IAR, logged), the timer re-armed, EOI (EOIR, logged). Returns the INTID. */
u32 gic_ack(void);
void gic_eoi(u32 intid);
void timer_start(void);

void rq_push(struct thread *t);
struct thread *rq_pop(void);
void thread_switch_frame(struct thread *t, void (*entry)(void));
void context_switch(struct thread *prev, struct thread *next);
void start_on(u64 stack_top, void (*entry)(void)) __attribute__((noreturn));
static inline void start_thread(struct thread *t, void (*entry)(void)) {
    current = t;
    start_on((u64)(t->stack + STACK_BYTES / 8), entry);
}

void finish(u32 code) __attribute__((noreturn));
#define EXIT_END 1
#define EXIT_FAULT 2
#define EXIT_HANG 3

#endif
