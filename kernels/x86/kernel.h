/* The runtime every x86 kernel shares: hardware setup, the trace over COM1, threads, locks, the run queue. */
#ifndef KERNEL_H
#define KERNEL_H

typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define EFLAGS_IF 0x200u
#define KERNEL_CS 0x08u
#define STACK_BYTES 4096

struct thread {
    const char *name;                /* the model's name for it */
    u32 esp;                         /* saved stack pointer (offset 4: the assembly relies on it) */
    u8 stack[STACK_BYTES] __attribute__((aligned(16)));
};

struct lock {
    volatile u32 word;               /* 0 free, 1 taken */
    const char *name;                /* the model's name for it */
    struct thread *owner;
    u32 saved_flags;                 /* irqsave locks: EFLAGS before the acquire */
};

#define MAX_CPUS 2

/* The running thread: `current` on one CPU; on SMP designs `current_of[cpu]` (lapic set). */
extern struct thread *current;
extern struct thread *current_of[MAX_CPUS];
extern volatile u32 *lapic;
u32 this_cpu(void);
struct thread *running(void);

/* Set by kmain from the kernel command line ("seed=N events=N"). */
extern u32 seed;

/* The design's part: its threads and its timer stub, set up before interrupts are enabled. */
void design_init(void);
extern void timer_stub(void);
/* The range the timer period is drawn from: PIT ticks (1.193 MHz), or LAPIC ns on SMP designs. */
extern const u32 timer_min, timer_spread;
/* Programs the PIT at a seeded period and unmasks IRQ0 (one-CPU designs). */
void pit_start(void);
/* An interrupt gate at `vector`. */
void gate(int vector, u32 handler);

/* Hardware. */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 irq_save(void) { u32 f; __asm__ volatile("pushf; pop %0; cli" : "=r"(f) : : "memory"); return f; }
static inline void irq_restore(u32 f) { __asm__ volatile("push %0; popf" : : "r"(f) : "memory", "cc"); }
static inline u32 xchg(volatile u32 *p, u32 v) { __asm__ volatile("xchg %0, %1" : "+r"(v), "+m"(*p) : : "memory"); return v; }

/* Randomness from the seed: work lengths and the timer period. */
u32 rand32(void);
/* One unit of a thread's work: a busy loop of a seeded length below `max` iterations. */
void work(u32 max);

/* Trace events, one JSON line each over COM1, logged with interrupts masked so that a line is never split. */
void trace0(const char *event);
void trace_thread(const char *event, const struct thread *t);
void trace_line(const char *event, const char *line);
void trace_irq_entry(void);
void trace_switch(const struct thread *from, const struct thread *to);
/* Logs `sti` and then executes it: an interrupt the sti lets in is logged after it. */
void sti_logged(void);
/* Sends the 8259 EOI for the timer and logs it. */
void eoi_timer(void);

/* Locks: spin (spin::Mutex, interrupts left alone) and irqsave (saves EFLAGS, masks, restores on release). */
void spin_lock(struct lock *l);
void spin_unlock(struct lock *l);
void irqsave_lock(struct lock *l);
void irqsave_unlock(struct lock *l);

/* Run queue of ready threads (a ring). */
void rq_push(struct thread *t);
struct thread *rq_pop(void);

/* Threads: a stack holding a switch frame (context_switch returns into entry) or an interrupt frame. */
void thread_switch_frame(struct thread *t, void (*entry)(void));
void thread_iret_frame(struct thread *t, void (*entry)(void), u32 below);
/* Linux-style switch: saves callee-saved registers on this stack, loads next's stack pointer, `ret`. */
void context_switch(struct thread *prev, struct thread *next);

/* Ends the run: `end` after the configured number of events, or a fault or a hang already logged. */
void finish(u32 code) __attribute__((noreturn));
#define EXIT_END 1
#define EXIT_FAULT 2
#define EXIT_HANG 3

#endif

#ifndef KERNEL_H_START
#define KERNEL_H_START
void start_on(u32 stack_top, void (*entry)(void)) __attribute__((noreturn));
static inline void start_thread(struct thread *t, void (*entry)(void)) {
    current = t;
    start_on((u32)(t->stack + STACK_BYTES), entry);
}
#endif
