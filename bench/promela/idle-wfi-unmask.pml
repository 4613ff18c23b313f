/*
 * models/aarch64-003/idle-wfi-unmask.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 003_2b0e7a205e879def.txt, Q3 done right: the idle loop is `cli; wfi; sti`; the handler wakes every sleeper.
 *
 * Sizes: -DTHREADS=n as `--set THREADS=n`. Threads: idle = 0, worker[i] = 1 + i.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#ifndef THREADS
#define THREADS 2
#endif

#define AARCH64
#define NCPU 1
#define NT THREADS
#define DEPTH 8
#define NLOCK 0
#define STOPPED 34
#define P_HANDLER 21

/* An interrupt taken at the wfi (pc 1) returns to the sti after it. */
#define RETPT(c) ((pc[c] == 1) -> 2 : pc[c])
#define STEP_OK(c) ((pc[c] == 1) -> pending[c] : 1)

#include "machine.pml"

byte next[NCPU];
byte i;                              /* 0..THREADS */

inline crash_vars() {
  next[0] = 0; i = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 5); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread idle */
  :: pc[c] == 0 -> ie[c] = 0; npc = 1
  :: pc[c] == 1 -> npc = 2                              /* wfi */
  :: pc[c] == 2 -> i_sti(c); npc = 0
  /* thread worker: call worker_main */
  :: pc[c] == 5 -> i_call(c, 7, 6)
  /* proc worker_main */
  :: pc[c] == 7 -> i_sti(c); npc = 8
  :: pc[c] == 8 -> npc = 9
  :: pc[c] == 9 -> i_call(c, 12, 8)
  /* proc sleep_until_tick */
  :: pc[c] == 12 -> ie[c] = 0; npc = 13
  :: pc[c] == 13 -> rq_shift(); next[c] = tt; npc = 14
  :: pc[c] == 14 -> i_switch_to(c, next[c], 15)
  :: pc[c] == 15 -> i_sti(c); npc = 16
  :: pc[c] == 16 -> i_ret(c)
  /* proc schedule */
  :: pc[c] == 17 -> i_enqueue(cur[c]); npc = 18
  :: pc[c] == 18 -> rq_shift(); next[c] = tt; npc = 19
  :: pc[c] == 19 -> i_switch_to(c, next[c], 20)
  :: pc[c] == 20 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 21 -> i_save_elr(c); npc = 22
  :: pc[c] == 22 -> i_ack(c); npc = 23
  :: pc[c] == 23 -> i_eoi(c); npc = 24
  :: pc[c] == 24 -> i = 0; npc = 25
  :: pc[c] == 25 -> if :: i < THREADS - 1 -> npc = 26 :: else -> npc = 29 fi
  :: pc[c] == 26 -> if :: i > THREADS - 2 -> fault = 1 :: else -> i_wake(1 + i) fi; npc = 27
  :: pc[c] == 27 -> check_range(i + 1, 0, THREADS); if :: !fault -> i++ :: else -> skip fi; npc = 25
  :: pc[c] == 29 -> i = 0; npc = 30
  :: pc[c] == 30 -> i_irq_exit(c); npc = 31
  :: pc[c] == 31 -> i_call(c, 17, 32)
  :: pc[c] == 32 -> i_restore_elr(c); npc = 33
  :: pc[c] == 33 -> i_eret(c)
  fi
}

#include "machine-run.pml"
