import type { KernelRunArgs } from '../args.js';

// Placeholder until the command lands: says so and exits 2 rather than pretending to work.
export async function kernelRunCommand(_args: KernelRunArgs): Promise<number> {
  process.stderr.write('schedcheck: this command is not available yet\n');
  return 2;
}
