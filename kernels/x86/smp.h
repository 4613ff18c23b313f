/* Two CPUs: the local APICs (their timers, their EOIs, the INIT-SIPI-SIPI that starts the second CPU). */
#ifndef SMP_H
#define SMP_H
#include "kernel.h"

/* BSP: enables its LAPIC, starts the AP (which runs ap_main once it is up) and waits for it. */
void smp_boot(void (*ap_main)(void));
/* This CPU's LAPIC timer: periodic on vector 32, a seeded period in ns (timer_min + rand % timer_spread). */
void lapic_timer_start(void);
/* Writes the LAPIC EOI and logs it. */
void lapic_eoi_timer(void);
/* Makes every CPU wait here until all have arrived (boot). */
void smp_barrier(void);

#endif
