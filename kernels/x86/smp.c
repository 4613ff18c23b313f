/* The local APICs of two CPUs: the BSP enables its own, copies the trampoline to 0x8000 and starts the AP with
 * INIT-SIPI-SIPI; each CPU runs its own LAPIC timer on vector 32 and ends its interrupts with a LAPIC EOI. */
#include "smp.h"

#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_INIT_COUNT 0x380
#define LAPIC_DIVIDE 0x3e0

extern char ap_trampoline[], ap_trampoline_end[];
extern void spurious_stub(void);
extern void load_gdt(void *);
extern struct { u16 limit; u32 base; } __attribute__((packed)) gdtr, idtr;

static void (*ap_entry)(void);
static volatile u32 arrived;

static void reg(u32 offset, u32 value) { lapic[offset / 4] = value; }

static void lapic_enable(void) { reg(LAPIC_SVR, 0x100 | 0xff); }

static void delay(u32 n) { for (volatile u32 i = 0; i < n; i++) {} }

void smp_boot(void (*ap_main)(void)) {
    lapic = (volatile u32 *)0xfee00000u;
    gate(0xff, (u32)spurious_stub);
    lapic_enable();
    ap_entry = ap_main;
    volatile char *to = (volatile char *)0x8000;
    for (char *from = ap_trampoline; from != ap_trampoline_end; from++) *to++ = *from;
    reg(LAPIC_ICR_LO, 0x000c4500);           /* INIT, assert, all but self */
    delay(10000);
    for (int i = 0; i < 2; i++) {
        reg(LAPIC_ICR_LO, 0x000c4600 | (0x8000 >> 12));   /* STARTUP at 0x8000 */
        delay(2000);
    }
}

void ap_start(void) {
    load_gdt(&gdtr);
    __asm__ volatile("lidt %0" : : "m"(idtr));
    lapic_enable();
    ap_entry();
    finish(EXIT_FAULT);
}

void smp_barrier(void) {
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    while (arrived < MAX_CPUS) __asm__ volatile("pause");
}

void lapic_timer_start(void) {
    reg(LAPIC_DIVIDE, 0xb);                  /* divide by 1 */
    reg(LAPIC_LVT_TIMER, 32 | 0x20000);      /* vector 32, periodic */
    reg(LAPIC_INIT_COUNT, timer_min + rand32() % timer_spread);
}

void lapic_eoi_timer(void) {
    u32 f = irq_save();
    reg(LAPIC_EOI, 0);
    trace_line("eoi", "timer");
    irq_restore(f);
}
