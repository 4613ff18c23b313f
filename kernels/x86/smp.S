/* Application processors: the real-mode trampoline the SIPI starts them in (copied to 0x8000), and the 32-bit
 * entry that gives them the BSP's page tables and a stack of their own. */
    .text
    .code16
    .globl ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl 0x8000 + (tramp_gdtr - ap_trampoline)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $ap_pm32
    .align 8
tramp_gdt:
    .quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff
tramp_gdtr:
    .word 23
    .long 0x8000 + (tramp_gdt - ap_trampoline)
ap_trampoline_end:

    .code32
ap_pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov %cr4, %eax
    or $0x10, %eax                   /* PSE: the LAPIC's large page */
    mov %eax, %cr4
    mov $page_dir, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    mov $ap_stack_top, %esp
    call ap_start
1:  hlt
    jmp 1b

/* The LAPIC's spurious vector: nothing to do, no EOI. */
    .globl spurious_stub
spurious_stub:
    iret

    .bss
    .align 16
    .space 8192
ap_stack_top:
