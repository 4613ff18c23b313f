// Every design of the reference kernel, by name (`schedcheck kernel run NAME`), each with the model its traces
// are checked against.

import { aarch64ContextSwitchLock, aarch64ElrSaved, aarch64Idle, aarch64Reaper, aarch64WfiMasked } from './aarch64.js';
import { aethelosNaive, aethelosOption2 } from './aethelos.js';
import { ckernelOptionC, ckernelRetSwitch } from './ckernel.js';
import type { Design } from './design.js';
import { forkexecOld, forkexecRedesign } from './forkexec.js';

export const DESIGNS: readonly Design[] = [
  forkexecOld,
  forkexecRedesign,
  aethelosNaive,
  aethelosOption2,
  ckernelRetSwitch,
  ckernelOptionC,
  aarch64ElrSaved,
  aarch64Idle,
  aarch64WfiMasked,
  aarch64Reaper,
  aarch64ContextSwitchLock,
];
