/* void context_switch(struct thread *prev, struct thread *next): the Linux-style switch, ending in `ret`. */
    .text
    .globl context_switch
context_switch:
    mov 4(%esp), %eax
    mov 8(%esp), %edx
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov %esp, 4(%eax)
    mov 4(%edx), %esp
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

/* void start_on(u32 stack_top, void (*entry)(void)): run the first thread on its own stack. */
    .globl start_on
start_on:
    mov 8(%esp), %ecx
    mov 4(%esp), %esp
    push $0                          /* no return address: a thread body never returns */
    jmp *%ecx

