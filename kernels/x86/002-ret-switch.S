/* irq32 of 002-ret-switch: push registers, the C handler, the reschedule check on the way out, pop, iret. */
    .text
    .globl timer_stub
timer_stub:
    push $0                          /* error code */
    pushal
    call trace_irq_entry
    call interrupt_handler_c
    cmpl $0, need_reschedule
    je 1f
    call scheduler_check_reschedule
1:  call log_iret
    popal
    add $4, %esp
    iret
