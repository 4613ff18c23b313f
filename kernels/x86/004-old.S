/* The timer stub of 004-old: the frame and every register are this thread's context; leave through the one
 * the handler returns. */
    .text
    .globl timer_stub
timer_stub:
    pushal
    push %esp
    call old_handler                 /* eax = the thread to leave through */
    mov 4(%eax), %esp                /* its saved frame: from here on this CPU is on its stack */
    push %eax
    call log_leave                   /* the switch and the iret, logged from the stack they happen on */
    add $4, %esp
    popal
    iret
