/* irq32 of 002-option-c: the frame is current->context; leave through the context of the thread chosen. */
    .text
    .globl timer_stub
timer_stub:
    push $0                          /* error code */
    pushal
    call trace_irq_entry
    mov current, %eax
    mov %esp, 4(%eax)                /* current->context = this frame */
    call interrupt_handler_c
    call scheduler_check_reschedule  /* eax = the thread to resume */
    mov 4(%eax), %esp                /* restore_context next */
    popal
    add $4, %esp
    iret
