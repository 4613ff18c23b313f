// The search's memory limit. Reading the process's resident size is a system call that costs about 0.3 ms on
// the machines measured (docs/performance.md), and a large search asks before each of its hundreds of
// allocations, so the gauge reads it only when the answer could be close: it adds up what was allowed since the
// last reading, and reads again when that estimate comes within a quarter of the limit, or when the last reading
// is older than `MAX_AGE_MS` (allocations nobody announces, such as the monitors' own, grow the process too).

const MAX_AGE_MS = 200;

/**
 * `fits(extraBytes)`: whether the process may grow by `extraBytes` and stay within `limitBytes`. An allocation
 * that is allowed counts toward the estimate until the next reading.
 */
export function memoryGauge(
  limitBytes: number,
  residentBytes: () => number = () => process.memoryUsage.rss(),
  now: () => number = Date.now,
): (extraBytes: number) => boolean {
  let resident = residentBytes();
  let readAt = now();
  let allowedSince = 0;
  return (extraBytes: number): boolean => {
    const close = resident + allowedSince + extraBytes > limitBytes * 0.75;
    if (close || now() - readAt > MAX_AGE_MS) {
      resident = residentBytes();
      readAt = now();
      allowedSince = 0;
    }
    if (resident + allowedSince + extraBytes > limitBytes) return false;
    allowedSince += extraBytes;
    return true;
  };
}
