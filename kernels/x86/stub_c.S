/* The timer stub of the designs whose handler is C: save the scratch registers, run it, return through the
 * interrupt frame (the handler logs the iret just before it returns). */
    .text
    .globl timer_stub
timer_stub:
    pushal
    call timer_handler
    popal
    iret
