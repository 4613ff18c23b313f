/*
 * models/executor-000/async-spawned-tasks.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 000_5606f057663ca4e9.txt, Option 1: spawned work as async tasks polled by the executor; an await point is a
 * cooperative switch; the timer only ticks.
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: terminal = 0, spawned[i] = 1 + i.
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
#define DEPTH 4
#define NLOCK 0
#define STOPPED 19
#define P_HANDLER 16

#define RETPT(c) pc[c]
#define STEP_OK(c) 1

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 5); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread terminal */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> i_call(c, 10, 1)
  /* thread spawned */
  :: pc[c] == 5 -> i_sti(c); npc = 6
  :: pc[c] == 6 -> npc = 7
  :: pc[c] == 7 -> i_call(c, 10, 6)
  /* proc await_point */
  :: pc[c] == 10 -> ie[c] = 0; npc = 11
  :: pc[c] == 11 -> i_enqueue(cur[c]); npc = 12
  :: pc[c] == 12 -> rq_shift(); next[c] = tt; npc = 13
  :: pc[c] == 13 -> i_switch_to(c, next[c], 14)
  :: pc[c] == 14 -> i_sti(c); npc = 15
  :: pc[c] == 15 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 16 -> npc = 17
  :: pc[c] == 17 -> i_eoi(c); npc = 18
  :: pc[c] == 18 -> i_iret(c)
  fi
}

#include "machine-run.pml"
