/* What every AArch64 kernel here shares: the trace over the PL011 UART, the GICv2 distributor and CPU interface,
 * the EL1 physical timer at a seeded period, the run queue and thread stacks, the fault handler. */
#include "kernel.h"

#define UART 0x09000000ul
#define GICD 0x08000000ul
#define GICC 0x08010000ul
#define TIMER_INTID 30

struct thread *current_of[MAX_CPUS];
u32 seed = 1;
static u32 rng;
static u32 events_left = 2000;
static u32 period;

static inline void mmio_write(u64 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline u32 mmio_read(u64 addr) { return *(volatile u32 *)addr; }

static void putc(char c) {
    while (mmio_read(UART + 0x18) & 0x20) {}
    mmio_write(UART, (u32)c);
}
static void puts(const char *s) { while (*s) putc(*s++); }
static void puthex(u64 v) {
    puts("0x");
    int started = 0;
    for (int shift = 60; shift >= 0; shift -= 4) {
        u32 d = (v >> shift) & 0xf;
        if (d != 0 || started || shift == 0) { putc("0123456789abcdef"[d]); started = 1; }
    }
}
static void putu(u32 v) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v != 0);
    puts(buf + i);
}
static void str(const char *key, const char *value) { puts(",\""); puts(key); puts("\":\""); puts(value); putc('"'); }

static u64 irq_save(void) {
    u64 daif;
    __asm__ volatile("mrs %0, daif; msr daifset, #2" : "=r"(daif) : : "memory");
    return daif;
}
static void irq_restore(u64 daif) { __asm__ volatile("msr daif, %0" : : "r"(daif) : "memory"); }

/* One lock keeps the CPUs' lines apart; it is the log's own, not a lock of any model. */
static u32 log_lock;
static volatile u32 log_owner;       /* the CPU holding it, plus one */

static void begin(const char *event) {
    while (__atomic_exchange_n(&log_lock, 1, __ATOMIC_ACQUIRE) != 0) {}
    log_owner = this_cpu() + 1;
    puts("{\"cpu\":"); putu(this_cpu()); puts(",\"event\":\""); puts(event); putc('"');
}
static void end_line(void) {
    puts("}\n");
    if (--events_left == 0) {
        puts("{\"cpu\":"); putu(this_cpu()); puts(",\"event\":\"end\"}\n");
        finish(EXIT_END);
    }
    log_owner = 0;
    __atomic_store_n(&log_lock, 0, __ATOMIC_RELEASE);
}

void trace0(const char *event) { u64 f = irq_save(); begin(event); end_line(); irq_restore(f); }
void trace_thread(const char *event, const struct thread *t) {
    u64 f = irq_save(); begin(event); str("thread", t->name); end_line(); irq_restore(f);
}
void trace_line(const char *event, const char *line) {
    u64 f = irq_save(); begin(event); str("line", line); end_line(); irq_restore(f);
}
void trace_irq_entry(void) {
    u64 f = irq_save(); begin("irq_entry"); str("line", "timer"); str("thread", current->name); end_line(); irq_restore(f);
}
void trace_switch(const struct thread *from, const struct thread *to) {
    u64 f = irq_save(); begin("switch"); str("from", from->name); str("to", to->name); end_line(); irq_restore(f);
}
void panic(const char *reason) {
    irq_save();
    u64 pc;
    __asm__ volatile("mov %0, x30" : "=r"(pc));
    begin("fault"); str("reason", reason); str("vector", "panic");
    puts(",\"pc\":\""); puthex(pc); putc('"');
    str("thread", current->name); puts("}\n");
    finish(EXIT_FAULT);
}

void trace_lock(const char *event, const char *lock) {
    u64 f = irq_save(); begin(event); str("lock", lock); str("thread", current->name); end_line(); irq_restore(f);
}
void trace_hang(const char *detail) {
    irq_save();
    begin("hang"); puts(",\"cpus\":["); putu(this_cpu()); puts("],\"detail\":[\"cpu"); putu(this_cpu()); puts(" (");
    puts(current->name); puts("): "); puts(detail); puts("\"]}\n");
    finish(EXIT_HANG);
}

void sti_logged(void) { trace0("sti"); __asm__ volatile("msr daifclr, #2" : : : "memory"); }
void cli_logged(void) { __asm__ volatile("msr daifset, #2" : : : "memory"); trace0("cli"); }

/* Semihosting SYS_EXIT with ADP_Stopped_ApplicationExit: QEMU exits with `code`. */
void finish(u32 code) {
    static volatile u64 block[2];
    block[0] = 0x20026;
    block[1] = (code << 1) | 1;           /* as isa-debug-exit reports it on x86: 3 end, 5 fault, 7 hang */
    register u64 x0 __asm__("x0") = 0x18;
    register u64 x1 __asm__("x1") = (u64)block;
    __asm__ volatile("hlt #0xf000" : : "r"(x0), "r"(x1) : "memory");
    for (;;) __asm__ volatile("wfe");
}

u32 rand32(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}
void work(u32 max) { for (volatile u32 i = rand32() % max; i != 0; i--) {} }

u32 gic_ack(void) {
    u32 intid = mmio_read(GICC + 0x0c);
    trace_line("ack", "timer");
    __asm__ volatile("msr cntp_tval_el0, %0; isb" : : "r"((u64)period));   /* the next tick */
    return intid;
}
void gic_eoi(u32 intid) {
    mmio_write(GICC + 0x10, intid);
    trace_line("eoi", "timer");
}

void timer_start(void) {
    period = timer_min + rand32() % timer_spread;
    __asm__ volatile("msr cntp_tval_el0, %0; msr cntp_ctl_el0, %1; isb" : : "r"((u64)period), "r"((u64)1));
}

#define RQ_SLOTS 8
static struct thread *rq[RQ_SLOTS];
static u32 rq_head, rq_len;
void rq_push(struct thread *t) { rq[(rq_head + rq_len++) % RQ_SLOTS] = t; }
struct thread *rq_pop(void) {
    if (rq_len == 0) return 0;
    struct thread *t = rq[rq_head];
    rq_head = (rq_head + 1) % RQ_SLOTS;
    rq_len--;
    return t;
}

void thread_switch_frame(struct thread *t, void (*entry)(void)) {
    u64 *sp = t->stack + STACK_BYTES / 8 - 12;
    for (int i = 0; i < 12; i++) sp[i] = 0;
    sp[11] = (u64)entry;                     /* x30: context_switch's ret goes there */
    t->sp = (u64)sp;
}

void fault_handler(u64 *frame) {
    u64 esr, far;
    __asm__ volatile("mrs %0, esr_el1; mrs %1, far_el1" : "=r"(esr), "=r"(far));
    if (log_owner == this_cpu() + 1) {   /* faulted in the middle of a line: end it, not wait for ourselves */
        puts("\n");
        log_owner = 0;
        __atomic_store_n(&log_lock, 0, __ATOMIC_RELEASE);
    }
    begin("fault");
    str("reason", "synchronous exception");
    puts(",\"vector\":\"ESR "); puthex(esr); putc('"');
    puts(",\"address\":\""); puthex(far); putc('"');
    puts(",\"pc\":\""); puthex(frame[32]); putc('"');
    if (current != 0) str("thread", current->name);
    puts("}\n");
    finish(EXIT_FAULT);
}

void gic_cpu_init(void) {
    mmio_write(GICD + 0x100, 1u << TIMER_INTID);           /* enable the timer PPI (banked per CPU) */
    *(volatile unsigned char *)(GICD + 0x400 + TIMER_INTID) = 0x80;
    mmio_write(GICC + 0x004, 0xf0);                        /* priority mask */
    mmio_write(GICC + 0x000, 1);                           /* CPU interface on */
}

static void setup_gic(void) {
    mmio_write(GICD + 0x000, 1);                           /* distributor on */
    gic_cpu_init();
}

/* PSCI CPU_ON (SMC calling convention over hvc, as QEMU's virt machine offers it to EL1). */
extern void secondary_entry(void);
void (*secondary_main)(void);
void start_secondary(void (*main)(void)) {
    secondary_main = main;
    register u64 x0 __asm__("x0") = 0xc4000003;
    register u64 x1 __asm__("x1") = 1;
    register u64 x2 __asm__("x2") = (u64)secondary_entry;
    register u64 x3 __asm__("x3") = 0;
    __asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
}

static u32 option(const char *cmdline, const char *key, u32 fallback) {
    for (const char *p = cmdline; p && *p; p++) {
        if (p != cmdline && p[-1] != ' ') continue;
        const char *k = key, *q = p;
        while (*k && *q == *k) { k++; q++; }
        if (*k || *q != '=') continue;
        u32 v = 0;
        for (q++; *q >= '0' && *q <= '9'; q++) v = v * 10 + (u32)(*q - '0');
        return v;
    }
    return fallback;
}

/* QEMU puts no command line where a bare ELF can find it: the harness patches this string in the image. */
volatile char cmdline[64] = "SCHEDCHECK_CMDLINE seed=1 events=2000                          ";

void kmain(void) {
    const char *line = (const char *)cmdline;
    seed = option(line, "seed", 1);
    events_left = option(line, "events", 2000);
    rng = seed * 2654435761u + 0x9e3779b9u;
    for (int i = 0; i < 8; i++) rand32();
    puts("# booted, seed="); putu(seed); puts("\n");
    setup_gic();
    design_init();
    finish(EXIT_FAULT);
}
