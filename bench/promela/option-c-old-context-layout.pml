/*
 * models/ckernel-002/option-c-old-context-layout.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 002_40260a4a6be5a521.txt, Option C without its precondition: new threads are built for the
 * call-style switch (broken: the first restore irets through a switch frame).
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: first = 0, other[i] = 1 + i.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#ifndef THREADS
#define THREADS 2
#endif

#define X86
#define NCPU 1
#define NT THREADS
#define DEPTH 8
#define NLOCK 0
#define STOPPED 23
#define P_HANDLER 18

#define RETPT(c) pc[c]
#define STEP_OK(c) 1

#include "machine.pml"

byte next[NCPU];
bit  need_reschedule[NCPU];

inline crash_vars() {
  next[0] = 0; need_reschedule[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 2); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* threads first and other: call test_thread */
  :: pc[c] == 0 -> i_call(c, 4, 1)
  :: pc[c] == 1 -> i_end(c)
  :: pc[c] == 2 -> i_call(c, 4, 3)
  :: pc[c] == 3 -> i_end(c)
  /* proc test_thread */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> npc = 5
  /* proc interrupt_handler_c */
  :: pc[c] == 8 -> npc = 9
  :: pc[c] == 9 -> need_reschedule[c] = 1; npc = 10
  :: pc[c] == 10 -> i_eoi(c); npc = 11
  :: pc[c] == 11 -> i_ret(c)
  /* proc scheduler_check_reschedule */
  :: pc[c] == 12 -> next[c] = cur[c]; npc = 13
  :: pc[c] == 13 -> if :: need_reschedule[c] -> npc = 14 :: else -> npc = 17 fi
  :: pc[c] == 14 -> need_reschedule[c] = 0; npc = 15
  :: pc[c] == 15 -> i_enqueue(cur[c]); npc = 16
  :: pc[c] == 16 -> rq_shift(); next[c] = tt; npc = 17
  :: pc[c] == 17 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 18 -> i_call(c, 8, 19)
  :: pc[c] == 19 -> i_irq_exit(c); npc = 20
  :: pc[c] == 20 -> i_call(c, 12, 21)
  :: pc[c] == 21 -> i_restore_context(c, next[c])
  :: pc[c] == 22 -> i_iret(c)
  fi
}

#include "machine-run.pml"
