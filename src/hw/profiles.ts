// The architecture profile of a program.

import type { Arch } from '../ir/ir.js';
import { aarch64 } from './aarch64.js';
import type { ArchProfile } from './profile.js';
import { x86_64 } from './x86_64.js';

export function profileOf(arch: Arch): ArchProfile {
  return arch === 'x86_64' ? x86_64 : aarch64;
}
