/*
 * models/aethelos-001/cpu-hog-cooperative.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 001_2ccd5835c35eb7e9.txt, Test 4.1 with preemption disabled: the hog never yields, the timer only ticks.
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: hog = 0, worker[i] = 1 + i.
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
#define NLOCK 2
#define STOPPED 22
#define P_HANDLER 19

#define LOOM 0                       /* irqsave */
#define WRITER 1                     /* irqsave */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 5) -> (lown[WRITER] == 0 || ie[c]) : ((pc[c] == 12) -> (lown[LOOM] == 0 || ie[c]) : 1))

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 4); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread hog */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 1
  /* thread worker */
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
  :: pc[c] == 20 -> i_eoi(c); npc = 21
  :: pc[c] == 21 -> i_iret(c)
  fi
}

#include "machine-run.pml"
