// The search's memory limit. Reading the process's resident size is a system call that costs about 0.3 ms on
// the machines measured (docs/performance.md), and a large search asks before each of its hundreds of
// allocations, so the gauge reads it only when the answer could be close: it adds up what was allowed since the
// last reading, and reads again when that estimate comes within a quarter of the limit, or when the last reading
// is older than `MAX_AGE_MS` (allocations nobody announces, such as the monitors' own, grow the process too).

import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const MAX_AGE_MS = 200;
const MB = 1024 * 1024;

/** The process's address-space limit (RLIMIT_AS, `ulimit -v`) in bytes, or null when there is none. */
export function addressSpaceLimit(limits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  try {
    const m = /^Max address space\s+(\S+)/m.exec(limits());
    if (m === null || m[1] === 'unlimited') return null;
    const bytes = Number(m[1]);
    return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
  } catch {
    return null; // not Linux, or no /proc: no limit known
  }
}

/**
 * The maximum, in 64 KiB pages, that the search's WebAssembly memories declare: none without an address-space
 * limit (the memory may grow to WebAssembly's 4 GiB), else an eighth of the limit. Without V8's trap handler
 * (src/cli/trapless.ts runs the CLI without it under such a limit) a memory reserves its declared maximum, or
 * 4 GiB when it declares none, the moment it is made: the compiled model's instance and a search's instance
 * then hold a quarter of the limit, and the JavaScript heap and Z3 keep the rest. A store that outgrows it
 * moves to the JavaScript store, as one that outgrows 4 GiB does.
 */
export function wasmMemoryMaximum(limit: number | null = ADDRESS_SPACE): number | null {
  if (limit === null) return null;
  return Math.max(1, Math.min(65536, Math.floor(limit / 8 / 65536)));
}

/** The process's virtual size (what RLIMIT_AS limits), in bytes, or null when it cannot be read. */
export function virtualBytes(): number | null {
  try {
    const m = /^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/**
 * The memory bound of a run without --max-memory: three quarters of the machine's memory (half, at most 8 GB,
 * until 2026-12-05), and no more than three quarters of its cgroup's limit (`process.constrainedMemory()`) or half
 * of what its address-space limit leaves beyond what the process has already mapped (V8 and WebAssembly reserve
 * address space well ahead of use). A search past what that holds keeps its older states on disk (wasmstore.ts).
 */
export function defaultMemoryLimit(
  machine: number = totalmem(),
  cgroup: number | undefined = process.constrainedMemory?.(),
  addressSpace: number | null = addressSpaceLimit(),
  mapped: number | null = virtualBytes(),
): number {
  let limit = (machine * 3) / 4;
  // Node answers 0, or 2^64 - 1, when no cgroup limits the process.
  if (cgroup !== undefined && cgroup > 0 && cgroup < machine) limit = Math.min(limit, (cgroup * 3) / 4);
  if (addressSpace !== null) limit = Math.min(limit, Math.max(64 * MB, (addressSpace - (mapped ?? 0)) / 2));
  return Math.floor(limit);
}

/**
 * Whether the process is close to a limit that its resident size does not show: the JavaScript heap's own
 * (past it V8 aborts the process), or the address-space limit (past it no allocation succeeds).
 */
export function underPressure(addressSpace: number | null = ADDRESS_SPACE): boolean {
  const heap = getHeapStatistics();
  if (heap.used_heap_size > heap.heap_size_limit * 0.85) return true;
  if (addressSpace === null) return false;
  const mapped = virtualBytes();
  return mapped !== null && mapped > addressSpace * 0.9;
}

/** The process's address-space limit, read once: it does not change while the process runs. */
const ADDRESS_SPACE = addressSpaceLimit();

/**
 * `fits(extraBytes)`: whether the process may grow by `extraBytes` and stay within `limitBytes`. An allocation
 * that is allowed counts toward the estimate until the next reading.
 */
export function memoryGauge(
  limitBytes: number,
  residentBytes: () => number = () => process.memoryUsage.rss(),
  now: () => number = Date.now,
  pressure: () => boolean = underPressure,
): (extraBytes: number) => boolean {
  let resident = residentBytes();
  let readAt = now();
  let allowedSince = 0;
  let pressed = pressure();
  return (extraBytes: number): boolean => {
    const close = resident + allowedSince + extraBytes > limitBytes * 0.75;
    if (close || now() - readAt > MAX_AGE_MS) {
      resident = residentBytes();
      readAt = now();
      allowedSince = 0;
      pressed = pressure();
    }
    if (pressed || resident + allowedSince + extraBytes > limitBytes) return false;
    allowedSince += extraBytes;
    return true;
  };
}
