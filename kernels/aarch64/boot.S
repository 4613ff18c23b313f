/* Entry at EL1, the exception vectors, the IRQ stub and the Linux-style switch (AArch64). */
    .section .text.boot
    .globl _start
_start:
    ldr x0, =boot_stack_top
    mov sp, x0
    ldr x0, =vectors
    msr vbar_el1, x0
    isb
    bl kmain
1:  wfe
    b 1b

/* The second CPU, started by PSCI CPU_ON: its own stack, the same vectors, then secondary_main. */
    .globl secondary_entry
secondary_entry:
    ldr x0, =secondary_stack_top
    mov sp, x0
    ldr x0, =vectors
    msr vbar_el1, x0
    isb
    bl gic_cpu_init
    ldr x0, =secondary_main
    ldr x0, [x0]
    blr x0
1:  wfe
    b 1b

    .text
/* Every exception but an IRQ from EL1 with SP_EL1 is fatal. */
.macro FATAL
    .align 7
    b fatal_stub
.endm
.macro IRQ
    .align 7
    b irq_stub
.endm
    .align 11
    .globl vectors
vectors:
    FATAL; FATAL; FATAL; FATAL          /* current EL, SP_EL0 */
    FATAL; IRQ; FATAL; FATAL            /* current EL, SP_ELx: sync, IRQ, FIQ, SError */
    FATAL; FATAL; FATAL; FATAL          /* lower EL, AArch64 */
    FATAL; FATAL; FATAL; FATAL          /* lower EL, AArch32 */

.macro SAVE_ALL
    sub sp, sp, #272
    stp x0, x1, [sp, #0]
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    str x30, [sp, #240]
#ifndef ELR_UNSAVED
    mrs x0, elr_el1                  /* save_elr: into this task's frame, before anything can unmask */
    mrs x1, spsr_el1
    stp x0, x1, [sp, #256]
#endif
.endm

irq_stub:
    SAVE_ALL
    bl irq_handler                   /* the design's handler: logs its events, the eret's last */
#ifndef ELR_UNSAVED
    ldp x0, x1, [sp, #256]           /* restore_elr */
    msr elr_el1, x0
    msr spsr_el1, x1
#endif                               /* else: ELR/SPSR are whatever the last exception entry wrote */
    ldp x0, x1, [sp, #0]
    ldp x2, x3, [sp, #16]
    ldp x4, x5, [sp, #32]
    ldp x6, x7, [sp, #48]
    ldp x8, x9, [sp, #64]
    ldp x10, x11, [sp, #80]
    ldp x12, x13, [sp, #96]
    ldp x14, x15, [sp, #112]
    ldp x16, x17, [sp, #128]
    ldp x18, x19, [sp, #144]
    ldp x20, x21, [sp, #160]
    ldp x22, x23, [sp, #176]
    ldp x24, x25, [sp, #192]
    ldp x26, x27, [sp, #208]
    ldp x28, x29, [sp, #224]
    ldr x30, [sp, #240]
    add sp, sp, #272
    eret

fatal_stub:
    SAVE_ALL
    mrs x0, elr_el1                  /* the fault's own return state, for the report */
    mrs x1, spsr_el1
    stp x0, x1, [sp, #256]
    mov x0, sp
    bl fault_handler                 /* logs the fault and ends the run */
1:  wfe
    b 1b

/* void context_switch(struct thread *prev, struct thread *next): callee-saved registers on this stack, sp into
 * prev->sp, next's sp, its registers, ret into wherever it was suspended. */
    .globl context_switch
context_switch:
    sub sp, sp, #96
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    mov x9, sp
    str x9, [x0, #8]
    ldr x9, [x1, #8]
    mov sp, x9
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    add sp, sp, #96
    ret

/* void start_on(u64 stack_top, void (*entry)(void)) */
    .globl start_on
start_on:
    mov sp, x0
    br x1

    .bss
    .align 16
    .space 16384
boot_stack_top:
    .space 16384
secondary_stack_top:
