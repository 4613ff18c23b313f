/* Multiboot entry, descriptor tables and exception stubs shared by every x86 kernel (i386, ring 0). */
    .section .multiboot
    .align 4
    .long 0x1BADB002                 /* magic */
    .long 0                          /* flags: ELF image, no video mode */
    .long -(0x1BADB002)              /* checksum */

    .text
    .globl _start
_start:
    cli
    mov $boot_stack_top, %esp
    push %ebx                        /* multiboot information */
    call kmain
1:  hlt
    jmp 1b

/* void load_gdt(void *descriptor): reload every segment register with the flat selectors. */
    .globl load_gdt
load_gdt:
    mov 4(%esp), %eax
    lgdt (%eax)
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    ljmp $0x08, $1f
1:  ret

/* Exception stubs: push a zero error code where the CPU pushes none, then the vector. */
.macro EXC num, haserr
    .globl exc\num
exc\num:
    .if \haserr == 0
    push $0
    .endif
    push $\num
    jmp exc_common
.endm
EXC 0,0; EXC 1,0; EXC 2,0; EXC 3,0; EXC 4,0; EXC 5,0; EXC 6,0; EXC 7,0
EXC 8,1; EXC 9,0; EXC 10,1; EXC 11,1; EXC 12,1; EXC 13,1; EXC 14,1; EXC 15,0
EXC 16,0; EXC 17,1; EXC 18,0; EXC 19,0; EXC 20,0; EXC 21,0; EXC 22,0; EXC 23,0
EXC 24,0; EXC 25,0; EXC 26,0; EXC 27,0; EXC 28,0; EXC 29,0; EXC 30,0; EXC 31,0

exc_common:
    pushal
    push %esp                        /* struct fault_frame * */
    call fault_handler               /* logs the fault and ends the run: never returns */
1:  hlt
    jmp 1b

    .globl exc_table
    .section .rodata
exc_table:
    .long exc0, exc1, exc2, exc3, exc4, exc5, exc6, exc7, exc8, exc9, exc10, exc11, exc12, exc13, exc14, exc15
    .long exc16, exc17, exc18, exc19, exc20, exc21, exc22, exc23, exc24, exc25, exc26, exc27, exc28, exc29, exc30, exc31

    .bss
    .align 16
    .space 16384
boot_stack_top:
