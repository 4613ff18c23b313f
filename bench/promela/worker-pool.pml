/*
 * bench/models/worker-pool.sched in Promela, for the SPIN side of the bench (bench/spin.ts). A pool of identical
 * workers sharing one FIFO run queue under an irqsave hand-off lock; the boot threads hand their CPUs over and
 * exit. SPIN has no symmetry reduction: it explores every renumbering of the workers.
 *
 * Sizes: -DCPUS=n -DWORKERS=n as `--set` does. Threads: boot[i] = i, worker[j] = CPUS + j.
 * pcs follow the model's instruction order (jumps followed).
 *
 * Differences from schedcheck: only those of machine.pml (one extra stored state, the pre-boot one; a fatal
 * step returns there). Same states as schedcheck without --symmetry.
 */
#ifndef CPUS
#define CPUS 2
#endif
#ifndef WORKERS
#define WORKERS 4
#endif

#define X86
#define NCPU CPUS
#define NT (CPUS + WORKERS)
#define DEPTH 4
#define NLOCK 1
#define STOPPED 16
#define P_HANDLER 14

#define RQ 0                         /* irqsave handoff */

#define RETPT(c) pc[c]
#define STEP_OK(c) ((pc[c] == 0 || pc[c] == 7) -> (lown[RQ] == 0 || ie[c]) : 1)

#include "machine.pml"

byte next[NCPU];

inline crash_vars() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = 0; ii++ :: else -> break od
}

inline boot() {
  ii = 0;
  do :: ii < NCPU -> next[ii] = NONE; boot_running(ii, ii, 0); ii++ :: else -> break od;
  jj = CPUS;
  do :: jj < NT -> boot_ready(jj, K_SWITCH, 5); jj++ :: else -> break od
}

inline exec(c) {
  if
  /* thread boot */
  :: pc[c] == 0 -> i_acquire(c, RQ, 1, 1)
  :: pc[c] == 1 -> i_exit(c); npc = 2
  :: pc[c] == 2 -> rq_shift(); next[c] = tt; npc = 3
  :: pc[c] == 3 -> i_switch_to(c, next[c], 4)
  :: pc[c] == 4 -> i_end(c)
  /* thread worker */
  :: pc[c] == 5 -> i_release(c, RQ, 1); npc = 6
  :: pc[c] == 6 -> npc = 7
  :: pc[c] == 7 -> i_acquire(c, RQ, 1, 8)
  :: pc[c] == 8 -> i_enqueue(cur[c]); npc = 9
  :: pc[c] == 9 -> rq_shift(); next[c] = tt; npc = 10
  :: pc[c] == 10 -> i_switch_to(c, next[c], 11)
  :: pc[c] == 11 -> i_release(c, RQ, 1); npc = 6
  /* handler timer */
  :: pc[c] == 14 -> i_eoi(c); npc = 15
  :: pc[c] == 15 -> i_iret(c)
  fi
}

#include "machine-run.pml"
