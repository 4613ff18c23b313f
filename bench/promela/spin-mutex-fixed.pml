/*
 * models/aethelos-001/spin-mutex-fixed.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 001_2ccd5835c35eb7e9.txt, Step 1.2: LOOM and WRITER as InterruptSafeLock; the timer takes LOOM for its
 * quantum accounting; cooperative yields inside without_interrupts().
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: first = 0, worker[i] = 1 + i.
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
#define DEPTH 6
#define NLOCK 2
#define STOPPED 25
#define P_HANDLER 19

#define LOOM 0                       /* irqsave */
#define WRITER 1                     /* irqsave */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 5) -> (lown[WRITER] == 0 || ie[c]) : \
                   ((pc[c] == 12 || pc[c] == 20) -> (lown[LOOM] == 0 || ie[c]) : 1))

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 2); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* threads first and worker: call worker_main */
  :: pc[c] == 0 -> i_call(c, 4, 1)
  :: pc[c] == 1 -> i_end(c)
  :: pc[c] == 2 -> i_call(c, 4, 3)
  :: pc[c] == 3 -> i_end(c)
  /* proc worker_main */
  :: pc[c] == 4 -> i_sti(c); npc = 5
  :: pc[c] == 5 -> i_acquire(c, WRITER, 1, 6)
  :: pc[c] == 6 -> npc = 7
  :: pc[c] == 7 -> i_release(c, WRITER, 1); npc = 8
  :: pc[c] == 8 -> i_call(c, 11, 5)
  /* proc yield_now */
  :: pc[c] == 11 -> i_irqsave(c); npc = 12
  :: pc[c] == 12 -> i_acquire(c, LOOM, 1, 13)
  :: pc[c] == 13 -> i_enqueue(cur[c]); npc = 14
  :: pc[c] == 14 -> rq_shift(); next[c] = tt; npc = 15
  :: pc[c] == 15 -> i_release(c, LOOM, 1); npc = 16
  :: pc[c] == 16 -> i_switch_to(c, next[c], 17)
  :: pc[c] == 17 -> i_irqrestore(c); npc = 18
  :: pc[c] == 18 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 19 -> npc = 20
  :: pc[c] == 20 -> i_acquire(c, LOOM, 1, 21)
  :: pc[c] == 21 -> npc = 22
  :: pc[c] == 22 -> i_release(c, LOOM, 1); npc = 23
  :: pc[c] == 23 -> i_eoi(c); npc = 24
  :: pc[c] == 24 -> i_iret(c)
  fi
}

#include "machine-run.pml"
