/*
 * models/executor-000/preemption-disabled.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 000_5606f057663ca4e9.txt, the PREEMPTION_ENABLED workaround: the timer only counts ticks and sends its EOI;
 * the spawned processes wait in the ready queue forever.
 *
 * Sizes: -DPROCESSES=n as `--set PROCESSES=n`. Threads: kmain = 0, process[i] = 1 + i.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#ifndef PROCESSES
#define PROCESSES 1
#endif

#define X86
#define NCPU 1
#define NT (1 + PROCESSES)
#define DEPTH 4
#define NLOCK 0
#define STOPPED 14
#define P_HANDLER 7

#define RETPT(c) pc[c]
#define STEP_OK(c) 1

#include "machine.pml"

bit  preemption_enabled;
byte next[NCPU];

inline crash_vars() {
  preemption_enabled = 0; next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  jj = 1;
  do :: jj < NT -> boot_ready(jj, K_IRQ, 4); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread kmain */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 1
  /* thread process */
  :: pc[c] == 4 -> npc = 4
  /* handler timer */
  :: pc[c] == 7 -> npc = 8
  :: pc[c] == 8 -> if :: preemption_enabled -> npc = 9 :: else -> npc = 12 fi
  :: pc[c] == 9 -> i_enqueue(cur[c]); npc = 10
  :: pc[c] == 10 -> rq_shift(); next[c] = tt; npc = 11
  :: pc[c] == 11 -> i_restore_context(c, next[c])
  :: pc[c] == 12 -> i_eoi(c); npc = 13
  :: pc[c] == 13 -> i_iret(c)
  fi
}

#include "machine-run.pml"
