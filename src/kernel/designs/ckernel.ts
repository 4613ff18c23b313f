// The C kernel (seed 002_40260a4a6be5a521.txt) on one x86_64 CPU, as models/ckernel-002/ describes it. Its
// irq32 stub pushes an error-code slot and every register, calls the C handler (tick, need_reschedule, EOI),
// and on its way out checks for a reschedule. Threads are created for the stub's return path: thread_create
// leaves the register block and an interrupt frame on the new stack, so that the stub's pops and iretq start it.
//
// 002-ret-switch (stub-ret-switch.sched): scheduler_check_reschedule() -> scheduler_schedule() ->
// context_switch(), which switches stacks and ends with `ret`. The first switch to a thread that has never run
// pops its "callee-saved registers" out of the register block and `ret`s through the next word of it: address 0.
//
// 002-option-c (option-c-context-stub.sched): the stub saves the interrupted thread's frame pointer in its TCB
// (thread->context) on entry and always leaves by reloading the stack pointer from the TCB of the thread
// chosen to run and popping that thread's own register block and interrupt frame.

import { ImageBuilder } from '../image.js';
import { type Design, forgeIretFrame } from './design.js';
import { X86_CORRUPT, X86_RUNQUEUE, X86_SWITCH, X86_TAKE_IDENTITY, x86WorkLoop } from './x86lib.js';

/** Registers the stub saves, in push order (all general registers, as interrupt_stubs.S does). */
const SAVED = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r12', 'r13'];
const PUSH_ALL = SAVED.map((r) => `    push ${r}`).join('\n');
const POP_ALL = [...SAVED].reverse().map((r) => `    pop ${r}`).join('\n');

/** thread_create(): an interrupt frame into test_thread, the error-code slot, a zeroed register block. */
const CREATED = forgeIretFrame('test_thread', [0, ...SAVED.map(() => 0)]);

const COMMON = `
test_thread:                        ; print to serial periodically
    sti${X86_TAKE_IDENTITY}
${x86WorkLoop('test_thread_loop')}

interrupt_handler_c:                ; timer_interrupt_handler()
    work                            ; ticks++
    store [gsbase+PCPU_NEED_RESCHED], 1   ; scheduler_tick()
    eoi VEC_TIMER
    ret
`;

function common(name: string): ImageBuilder {
  const b = new ImageBuilder(name, 'x86_64', 1);
  b.line('timer', 32, 1, 'timer_stub');
  b.code(X86_RUNQUEUE).code(X86_CORRUPT).code(COMMON);
  return b;
}

export const ckernelRetSwitch: Design = {
  name: '002-ret-switch',
  seed: '002_40260a4a6be5a521.txt, "Remaining Concerns" 4 (context_switch ends with ret under the interrupt frame)',
  summary: 'the stub calls the scheduler, whose context_switch ends with ret; threads are created for the stub\'s iretq',
  arch: 'x86_64',
  cpus: 1,
  expect: 'faults',
  model: 'models/ckernel-002/stub-ret-switch.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.code(X86_SWITCH).code(`
timer_stub:
    push 0                          ; error code
${PUSH_ALL}
    call interrupt_handler_c
    load rax, [gsbase+PCPU_NEED_RESCHED]  ; irq_exit: the stub's return path
    cmp rax, 0
    je timer_stub_iret
    call scheduler_check_reschedule
timer_stub_iret:
${POP_ALL}
    add rsp, 8
    iretq

scheduler_check_reschedule:
    store [gsbase+PCPU_NEED_RESCHED], 0
    call scheduler_schedule
    ret

scheduler_schedule:
    load rdi, [gsbase+PCPU_CURRENT] ; old_thread back on the ready queue
    call rq_push
    call rq_pop                     ; pick_next_thread()
    store [gsbase+PCPU_NEXT], rax
    load rdi, [gsbase+PCPU_CURRENT]
    load rsi, [gsbase+PCPU_NEXT]
    cmp rdi, rsi
    je scheduler_schedule_same
    call context_switch             ; save, load the new rsp, ret
    ret
scheduler_schedule_same:
    store [rdi+TCB_STATE], RUNNING
    ret
`);
    b.thread({ name: 'first', entry: 'test_thread', start: { kind: 'running', cpu: 0 } });
    b.thread({ name: 'other[0]', entry: 'test_thread', start: { kind: 'ready' }, forge: CREATED });
    return b.build();
  },
};

export const ckernelOptionC: Design = {
  name: '002-option-c',
  seed: '002_40260a4a6be5a521.txt, "Possible Solutions", Option C (the stub restores from thread->context)',
  summary: 'the stub saves the frame as thread->context and returns through the context of the thread chosen to run',
  arch: 'x86_64',
  cpus: 1,
  expect: 'survives',
  model: 'models/ckernel-002/option-c-context-stub.sched',
  timer: { period: 300, jitter: 150 },
  stall: 0,
  build() {
    const b = common(this.name);
    b.code(`
timer_stub:                         ; entry: the frame is current->context
    push 0                          ; error code
${PUSH_ALL}
    load rbx, [gsbase+PCPU_CURRENT]
    store [rbx+TCB_SP], rsp
    call interrupt_handler_c
    call scheduler_check_reschedule  ; irq_exit, then decide whose context to restore
    load rsi, [gsbase+PCPU_NEXT]    ; restore_context next
    store [gsbase+PCPU_CURRENT], rsi
    store [rsi+TCB_STATE], RUNNING
@switch from=rbx to=rsi
    load rsp, [rsi+TCB_SP]
${POP_ALL}
    add rsp, 8
    iretq

scheduler_check_reschedule:
    load rax, [gsbase+PCPU_CURRENT]
    store [gsbase+PCPU_NEXT], rax   ; next := current
    load rax, [gsbase+PCPU_NEED_RESCHED]
    cmp rax, 0
    je scheduler_check_reschedule_done
    store [gsbase+PCPU_NEED_RESCHED], 0
    load rdi, [gsbase+PCPU_CURRENT] ; enqueue current
    call rq_push
    call rq_pop                     ; pick next
    store [gsbase+PCPU_NEXT], rax
scheduler_check_reschedule_done:
    ret
`);
    b.thread({ name: 'first', entry: 'test_thread', start: { kind: 'running', cpu: 0 } });
    b.thread({ name: 'other[0]', entry: 'test_thread', start: { kind: 'ready' }, forge: CREATED });
    return b.build();
  },
};
