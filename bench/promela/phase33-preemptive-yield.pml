/*
 * models/aethelos-001/phase33-preemptive-yield.sched in Promela, for the SPIN side of the bench (bench/spin.ts).
 * 001_2ccd5835c35eb7e9.txt, Step 3.3 as written: the timer handler calls the cooperative switch from inside the
 * interrupt and sends its EOI only when the preempted thread is switched back to (broken: lost ticks).
 *
 * Threads: worker = 0, hog = 1. pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states otherwise.
 */
#define X86
#define NCPU 1
#define NT 2
#define DEPTH 8
#define NLOCK 1
#define STOPPED 34
#define P_HANDLER 27

#define LOOM 0                       /* irqsave */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 10 || pc[c] == 15 || pc[c] == 19 || pc[c] == 24 || pc[c] == 28) -> \
                    (lown[LOOM] == 0 || ie[c]) : 1)

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  next[0] = 0
}

inline boot() {
  next[0] = NONE;
  boot_running(0, 0, 0);
  boot_ready(1, K_SWITCH, 5)
}

inline exec(c) {
  if
  /* thread worker */
  :: pc[c] == 0 -> i_sti(c); npc = 1
  :: pc[c] == 1 -> npc = 2
  :: pc[c] == 2 -> i_call(c, 9, 1)
  /* thread hog */
  :: pc[c] == 5 -> i_sti(c); npc = 6
  :: pc[c] == 6 -> npc = 6
  /* proc yield_now */
  :: pc[c] == 9 -> i_irqsave(c); npc = 10
  :: pc[c] == 10 -> i_acquire(c, LOOM, 1, 11)
  :: pc[c] == 11 -> i_enqueue(cur[c]); npc = 12
  :: pc[c] == 12 -> rq_shift(); next[c] = tt; npc = 13
  :: pc[c] == 13 -> i_release(c, LOOM, 1); npc = 14
  :: pc[c] == 14 -> i_switch_to(c, next[c], 15)
  :: pc[c] == 15 -> i_acquire(c, LOOM, 1, 16)
  :: pc[c] == 16 -> i_release(c, LOOM, 1); npc = 17
  :: pc[c] == 17 -> i_irqrestore(c); npc = 18
  :: pc[c] == 18 -> i_ret(c)
  /* proc preemptive_yield */
  :: pc[c] == 19 -> i_acquire(c, LOOM, 1, 20)
  :: pc[c] == 20 -> i_enqueue(cur[c]); npc = 21
  :: pc[c] == 21 -> rq_shift(); next[c] = tt; npc = 22
  :: pc[c] == 22 -> i_release(c, LOOM, 1); npc = 23
  :: pc[c] == 23 -> i_switch_to(c, next[c], 24)
  :: pc[c] == 24 -> i_acquire(c, LOOM, 1, 25)
  :: pc[c] == 25 -> i_release(c, LOOM, 1); npc = 26
  :: pc[c] == 26 -> i_ret(c)
  /* handler timer */
  :: pc[c] == 27 -> npc = 28
  :: pc[c] == 28 -> i_acquire(c, LOOM, 1, 29)
  :: pc[c] == 29 -> npc = 30
  :: pc[c] == 30 -> i_release(c, LOOM, 1); npc = 31
  :: pc[c] == 31 -> i_call(c, 19, 32)
  :: pc[c] == 32 -> i_eoi(c); npc = 33
  :: pc[c] == 33 -> i_iret(c)
  fi
}

#include "machine-run.pml"
