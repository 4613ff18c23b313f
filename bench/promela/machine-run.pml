/*
 * The second half of the bench machine (see machine.pml): crash, the two kinds of action and the one process.
 * Included by a model file after its variables and its `crash_vars`, `boot` and `exec` inlines.
 */

/* Back to the all-zero pre-boot state (see the header: how a fatal step ends a path here). */
inline crash() {
  ii = 0;
  do
  :: ii < NCPU ->
     pc[ii] = 0; cur[ii] = 0; ie[ii] = 0; shadow[ii] = 0; hardirq[ii] = 0; pending[ii] = 0; insvc[ii] = 0;
     spinsaved[ii] = 0;
#ifdef AARCH64
     elr[ii] = 0; elrst[ii] = 0;
#endif
     ii++
  :: else -> break
  od;
  ii = 0;
  do
  :: ii < NT -> tst[ii] = 0; freed[ii] = 0; sp[ii] = 0; rq[ii] = 0; ii++
  :: else -> break
  od;
  ii = 0;
  do
  :: ii < NT * DEPTH -> stk[ii] = 0; ii++
  :: else -> break
  od;
#if NLOCK > 0
  ii = 0;
  do
  :: ii < NLOCK -> lown[ii] = 0; lsave[ii] = 0; llev[ii] = 0; ii++
  :: else -> break
  od;
#endif
  rqlen = 0;
  crash_vars();
  booted = 0
}

/* One CPU's action: its urgent interrupt, or its next instruction (the model's `exec`). */
inline cpu_step(c) {
  fault = 0;
#ifndef NO_LINE
  if
  :: URGENT(c) -> enter(c)
  :: else ->
#endif
     shadow[c] = 0;
     npc = pc[c];
     exec(c)
#ifndef NO_LINE
  fi
#endif
  ;
  if :: fault -> crash() :: else -> pc[c] = npc fi
}

/* The line arrives on CPU c: taken at once when deliverable, else left pending. */
inline arrive(c) {
  fault = 0;
  if
  :: DELIVERABLE(c) ->
     npc = pc[c];
#ifdef AARCH64
     pending[c] = 1;
#endif
     enter(c);
     if :: fault -> crash() :: else -> pc[c] = npc fi
  :: else -> pending[c] = 1
  fi
}

#define CAN_STEP(c)   (booted && pc[c] != STOPPED && (URGENT(c) || STEP_OK(c)))
#define CAN_ARRIVE(c) (booted && pc[c] != STOPPED && !pending[c])

active proctype machine() {
end:
  do
  :: d_step { !booted -> booted = 1; boot_cpus(); boot(); skip }
  :: d_step { CAN_STEP(0) -> cpu_step(0); skip }
#ifndef NO_LINE
  :: d_step { CAN_ARRIVE(0) -> arrive(0); skip }
#endif
#if NCPU > 1
  :: d_step { CAN_STEP(1) -> cpu_step(1); skip }
#ifndef NO_LINE
  :: d_step { CAN_ARRIVE(1) -> arrive(1); skip }
#endif
#endif
#if NCPU > 2
  :: d_step { CAN_STEP(2) -> cpu_step(2); skip }
#ifndef NO_LINE
  :: d_step { CAN_ARRIVE(2) -> arrive(2); skip }
#endif
#endif
#if NCPU > 3
  :: d_step { CAN_STEP(3) -> cpu_step(3); skip }
#ifndef NO_LINE
  :: d_step { CAN_ARRIVE(3) -> arrive(3); skip }
#endif
#endif
  od
}
