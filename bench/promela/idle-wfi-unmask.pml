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
#define STOPPED 35
#define P_HANDLER 22

/* The wfi (pc 1) executes and the CPU is halted at pc 2 (machine.pml, hlt and wfi). An interrupt taken at the
 * wfi returns to it; one taken at the halted point returns past it, to the sti. */
#define RETPT(c) ((pc[c] == 2) -> 3 : pc[c])
/* Every instruction can step: the wfi, and its wait completing (a pending line, or spuriously). */
#define STEP_OK(c) 1

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
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 6); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread idle */
  :: pc[c] == 0 -> ie[c] = 0; npc = 1
  :: pc[c] == 1 -> npc = 2                              /* wfi */
  :: pc[c] == 2 -> npc = 3                              /* the wait completes */
  :: pc[c] == 3 -> i_sti(c); npc = 0
  /* thread worker: call worker_main */
  :: pc[c] == 6 -> i_call(c, 8, 7)
  /* proc worker_main */
  :: pc[c] == 8 -> i_sti(c); npc = 9
  :: pc[c] == 9 -> npc = 10
  :: pc[c] == 10 -> i_call(c, 13, 9)
  /* proc sleep_until_tick */
  :: pc[c] == 13 -> ie[c] = 0; npc = 14
  :: pc[c] == 14 -> rq_shift(); next[c] = tt; npc = 15
  :: pc[c] == 15 -> i_switch_to(c, next[c], 16)
  :: pc[c] == 16 -> i_sti(c); npc = 17
  :: pc[c] == 17 -> i_ret(c)
  /* proc schedule */
  :: pc[c] == 18 -> i_enqueue(cur[c]); npc = 19
  :: pc[c] == 19 -> rq_shift(); next[c] = tt; npc = 20
  :: pc[c] == 20 -> i_switch_to(c, next[c], 21)
  :: pc[c] == 21 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 22 -> i_save_elr(c); npc = 23
  :: pc[c] == 23 -> i_ack(c); npc = 24
  :: pc[c] == 24 -> i_eoi(c); npc = 25
  :: pc[c] == 25 -> i = 0; npc = 26
  :: pc[c] == 26 -> if :: i < THREADS - 1 -> npc = 27 :: else -> npc = 30 fi
  :: pc[c] == 27 -> if :: i > THREADS - 2 -> fault = 1 :: else -> i_wake(1 + i) fi; npc = 28
  :: pc[c] == 28 -> check_range(i + 1, 0, THREADS); if :: !fault -> i++ :: else -> skip fi; npc = 26
  :: pc[c] == 30 -> i = 0; npc = 31
  :: pc[c] == 31 -> i_irq_exit(c); npc = 32
  :: pc[c] == 32 -> i_call(c, 18, 33)
  :: pc[c] == 33 -> i_restore_elr(c); npc = 34
  :: pc[c] == 34 -> i_eret(c)
  fi
}

#include "machine-run.pml"
