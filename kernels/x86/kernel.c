/* Boot, hardware and the trace: what every x86 kernel here shares. i386, one CPU, ring 0: the GDT's flat
 * segments, an IDT of interrupt gates, paging with page 0 unmapped (a jump to 0 is a #PF, not a slide through
 * low memory), the 8259 remapped to vectors 32-47 with only the timer unmasked, the PIT at a seeded period, and
 * COM1 for the trace. A run ends through QEMU's isa-debug-exit port. */
#include "kernel.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define LOCKUP_SPINS 200000u

struct thread *current;
struct thread *current_of[MAX_CPUS];
volatile u32 *lapic;
u32 seed = 1;
static u32 rng;
static u32 events_left = 2000;

/* ---------------------------------------------------------------------------------------------------------- */
/* Serial and the trace */

static void putc(char c) {
    while ((inb(COM1 + 5) & 0x20) == 0) {}
    outb(COM1, (u8)c);
}
static void puts(const char *s) { while (*s) putc(*s++); }
static void putu(u32 v) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v != 0);
    puts(buf + i);
}
static void puthex(u32 v) {
    puts("0x");
    int started = 0;
    for (int shift = 28; shift >= 0; shift -= 4) {
        u32 d = (v >> shift) & 0xf;
        if (d != 0 || started || shift == 0) { putc("0123456789abcdef"[d]); started = 1; }
    }
}
static void str(const char *key, const char *value) {
    puts(",\""); puts(key); puts("\":\""); puts(value); putc('"');
}
/* On SMP one lock keeps the lines of the CPUs apart; it is the log's own, not a lock of any model. */
static volatile u32 log_lock;
/* The CPU holding log_lock, plus one: a fault in the middle of a line must not wait for its own lock. */
static volatile u32 log_owner;

u32 this_cpu(void) { return lapic == 0 ? 0 : lapic[0x20 / 4] >> 24; }
struct thread *running(void) { return lapic == 0 ? current : current_of[this_cpu()]; }

static void begin(const char *event) {
    if (lapic != 0) {
        while (xchg(&log_lock, 1) != 0) __asm__ volatile("pause");
        log_owner = this_cpu() + 1;
    }
    puts("{\"cpu\":"); putu(this_cpu()); puts(",\"event\":\""); puts(event); putc('"');
}

static void end_line(void) {
    puts("}\n");
    if (--events_left == 0) {
        puts("{\"cpu\":"); putu(this_cpu()); puts(",\"event\":\"end\"}\n");
        finish(EXIT_END);
    }
    log_owner = 0;
    log_lock = 0;
}

void trace0(const char *event) {
    u32 f = irq_save();
    begin(event); end_line();
    irq_restore(f);
}
void trace_thread(const char *event, const struct thread *t) {
    u32 f = irq_save();
    begin(event); str("thread", t->name); end_line();
    irq_restore(f);
}
void trace_line(const char *event, const char *line) {
    u32 f = irq_save();
    begin(event); str("line", line); end_line();
    irq_restore(f);
}
void trace_irq_entry(void) {
    u32 f = irq_save();
    begin("irq_entry"); str("line", "timer"); str("thread", running()->name); end_line();
    irq_restore(f);
}
void trace_switch(const struct thread *from, const struct thread *to) {
    u32 f = irq_save();
    begin("switch"); str("from", from->name); str("to", to->name); end_line();
    irq_restore(f);
}
static void trace_lock(const char *event, const struct lock *l) {
    begin(event); str("lock", l->name); str("thread", running()->name); end_line();
}

void sti_logged(void) {
    trace0("sti");
    __asm__ volatile("sti" : : : "memory");
}

void eoi_timer(void) {
    u32 f = irq_save();
    outb(0x20, 0x20);
    begin("eoi"); str("line", "timer"); end_line();
    irq_restore(f);
}

void finish(u32 code) {
    outb(DEBUG_EXIT, (u8)code);
    for (;;) __asm__ volatile("cli; hlt");
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Randomness and work */

u32 rand32(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

void work(u32 max) {
    for (volatile u32 i = rand32() % max; i != 0; i--) {}
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Locks. The test-and-set and its log line are one masked step: the trace never shows an interrupt between
 * the acquire and its event. A CPU that spins LOCKUP_SPINS times reports a lockup (Linux's "spinlock lockup
 * suspected") as a hang event and ends the run. */

static void lockup(struct lock *l) __attribute__((noreturn));
static void lockup(struct lock *l) {
    irq_save();
    u32 cpu = this_cpu();
    begin("hang"); puts(",\"cpus\":["); putu(cpu); puts("],\"detail\":[\"cpu"); putu(cpu); puts(" (");
    puts(running()->name); puts("): spinning on ");
    puts(l->name); puts(", held by "); puts(l->owner != 0 ? l->owner->name : "nobody"); puts("\"]}\n");
    finish(EXIT_HANG);
}

static int try_take(struct lock *l) {
    if (xchg(&l->word, 1) != 0) return 0;
    l->owner = running();
    trace_lock("lock_acquire", l);
    return 1;
}

void spin_lock(struct lock *l) {
    for (u32 spins = 0;; spins++) {
        u32 f = irq_save();
        int taken = try_take(l);
        irq_restore(f);
        if (taken) return;
        if (spins == LOCKUP_SPINS) lockup(l);
        __asm__ volatile("pause");
    }
}

void spin_unlock(struct lock *l) {
    u32 f = irq_save();
    trace_lock("lock_release", l);
    l->owner = 0;
    l->word = 0;
    irq_restore(f);
}

void irqsave_lock(struct lock *l) {
    u32 f = irq_save();
    for (u32 spins = 0; !try_take(l); spins++) {
        if (spins == LOCKUP_SPINS) lockup(l);
        __asm__ volatile("pause");
    }
    l->saved_flags = f;
}

void irqsave_unlock(struct lock *l) {
    u32 f = l->saved_flags;
    trace_lock("lock_release", l);
    l->owner = 0;
    l->word = 0;
    irq_restore(f);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Run queue and thread stacks */

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
    u32 *sp = (u32 *)(t->stack + STACK_BYTES);
    *--sp = (u32)entry;
    for (int i = 0; i < 4; i++) *--sp = 0;   /* ebp, ebx, esi, edi */
    t->esp = (u32)sp;
}

void thread_iret_frame(struct thread *t, void (*entry)(void), u32 below) {
    u32 *sp = (u32 *)(t->stack + STACK_BYTES);
    *--sp = EFLAGS_IF | 0x2;
    *--sp = KERNEL_CS;
    *--sp = (u32)entry;
    for (u32 i = 0; i < below; i++) *--sp = 0;
    t->esp = (u32)sp;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Faults: every exception is fatal; log it and end the run. */

struct fault_frame {
    u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
    u32 vector, error, eip, cs, eflags;
};

static const char *const VECTORS[] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM",
};
static const char *const REASONS[] = {
    "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved", "x87 error", "alignment check", "machine check",
    "SIMD error",
};

void fault_handler(struct fault_frame *f) {
    u32 cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    const int named = f->vector < sizeof VECTORS / sizeof VECTORS[0];
    if (lapic != 0 && log_owner == this_cpu() + 1) {
        puts("\n");                          /* the line it faulted in stays cut short (conform rejects it) */
        log_owner = 0;
        log_lock = 0;
    }
    begin("fault");
    str("reason", named ? REASONS[f->vector] : "exception");
    str("vector", named ? VECTORS[f->vector] : "#?");
    if (f->vector == 14) { puts(",\"address\":\""); puthex(cr2); putc('"'); }
    puts(",\"pc\":\""); puthex(f->eip); putc('"');
    if (running() != 0) str("thread", running()->name);
    puts(",\"registers\":{\"error\":\""); puthex(f->error); puts("\",\"esp\":\""); puthex(f->esp + 12);
    puts("\",\"eflags\":\""); puthex(f->eflags); puts("\"}}\n");
    finish(EXIT_FAULT);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Descriptor tables, paging, the 8259 and the PIT */

static unsigned long long gdt[3] = { 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull };
struct { u16 limit; u32 base; } __attribute__((packed)) gdtr, idtr;
static struct { u16 lo, sel; u8 zero, type; u16 hi; } __attribute__((packed)) idt[256];
u32 page_dir[1024] __attribute__((aligned(4096)));
static u32 page_tables[2][1024] __attribute__((aligned(4096)));

extern void load_gdt(void *);
extern u32 exc_table[32];

void gate(int vector, u32 handler) {
    idt[vector].lo = (u16)handler;
    idt[vector].hi = (u16)(handler >> 16);
    idt[vector].sel = KERNEL_CS;
    idt[vector].zero = 0;
    idt[vector].type = 0x8e;                 /* present, ring 0, 32-bit interrupt gate: clears IF */
}

static void setup_tables(void) {
    gdtr.limit = sizeof gdt - 1;
    gdtr.base = (u32)gdt;
    load_gdt(&gdtr);
    for (int v = 0; v < 32; v++) gate(v, exc_table[v]);
    gate(32, (u32)timer_stub);
    idtr.limit = sizeof idt - 1;
    idtr.base = (u32)idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static void setup_paging(void) {
    for (u32 t = 0; t < 2; t++) {
        for (u32 i = 0; i < 1024; i++) page_tables[t][i] = ((t * 1024 + i) << 12) | 3;
        page_dir[t] = (u32)page_tables[t] | 3;
    }
    page_tables[0][0] = 0;                   /* page 0 unmapped: null pointers and returns to 0 fault */
    page_dir[0xfee00000u >> 22] = 0xfec00000u | 0x80 | 0x10 | 3;   /* the LAPIC: a 4 MiB page, uncached */
    __asm__ volatile("mov %%cr4, %%eax; or $0x10, %%eax; mov %%eax, %%cr4" : : : "eax");   /* PSE */
    __asm__ volatile("mov %0, %%cr3; mov %%cr0, %%eax; or $0x80000000, %%eax; mov %%eax, %%cr0"
                     : : "r"(page_dir) : "eax", "memory");
}

static void setup_pic(void) {
    outb(0x20, 0x11); outb(0xa0, 0x11);      /* ICW1: edge, cascade, ICW4 */
    outb(0x21, 0x20); outb(0xa1, 0x28);      /* ICW2: vectors 32-39, 40-47 */
    outb(0x21, 0x04); outb(0xa1, 0x02);      /* ICW3: slave on line 2 */
    outb(0x21, 0x01); outb(0xa1, 0x01);      /* ICW4: 8086 mode */
    outb(0x21, 0xff); outb(0xa1, 0xff);      /* everything masked until a design starts its timer */
}

void pit_start(void) {
    u32 divisor = timer_min + rand32() % timer_spread;
    outb(0x43, 0x34);                        /* channel 0, lobyte/hibyte, rate generator */
    outb(0x40, (u8)divisor);
    outb(0x40, (u8)(divisor >> 8));
    outb(0x21, 0xfe);                        /* unmask IRQ0 */
}

static void setup_serial(void) {
    outb(COM1 + 1, 0x00);                    /* no serial interrupts */
    outb(COM1 + 3, 0x80); outb(COM1 + 0, 0x01); outb(COM1 + 1, 0x00);  /* 115200 baud */
    outb(COM1 + 3, 0x03);                    /* 8N1 */
    outb(COM1 + 2, 0xc7);
}

/* "seed=N events=N" anywhere on the multiboot command line. */
static u32 option(const char *cmdline, const char *key, u32 fallback) {
    for (const char *p = cmdline; *p; p++) {
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

void kmain(u32 *mbi) {
    const char *cmdline = (mbi[0] & 4) ? (const char *)mbi[4] : "";
    seed = option(cmdline, "seed", 1);
    events_left = option(cmdline, "events", 2000);
    rng = seed * 2654435761u + 0x9e3779b9u;
    for (int i = 0; i < 8; i++) rand32();
    setup_serial();
    puts("# booted, seed="); putu(seed); puts("\n");
    setup_tables();
    setup_paging();
    setup_pic();
    design_init();                           /* starts its timer and its first thread: never returns */
    finish(EXIT_FAULT);
}
