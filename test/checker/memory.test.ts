import { describe, expect, it } from 'vitest';
import { memoryGauge } from '../../src/checker/explicit/memory.js';

const MB = 1024 * 1024;

/** A process whose resident size the test sets, counting how often the gauge reads it. */
function fakeProcess(resident: number) {
  const p = { resident, reads: 0, clock: 0 };
  const gauge = memoryGauge(
    100 * MB,
    () => {
      p.reads++;
      return p.resident;
    },
    () => p.clock,
  );
  return { p, gauge };
}

describe('memoryGauge', () => {
  it('allows growth far from the limit without reading the resident size again', () => {
    // Arrange
    const { p, gauge } = fakeProcess(10 * MB);

    // Act
    const answers = Array.from({ length: 50 }, () => gauge(MB));

    // Assert: 10 MB + 50 x 1 MB stays below three quarters of 100 MB; only the first reading was made.
    expect(answers.every((a) => a)).toBe(true);
    expect(p.reads).toBe(1);
  });

  it('reads again near the limit and refuses what would pass it', () => {
    // Arrange
    const { p, gauge } = fakeProcess(10 * MB);

    // Act: the estimate reaches 74 MB, then an allocation of 2 MB comes within a quarter of the limit.
    const first = gauge(64 * MB);
    p.resident = 90 * MB; // the process grew by more than it announced
    const second = gauge(2 * MB);
    p.resident = 92 * MB; // ...and then by what it announced
    const third = gauge(9 * MB);

    // Assert
    expect([first, second, third]).toEqual([true, true, false]);
    expect(p.reads).toBe(3);
  });

  it('reads again when its last reading is old, catching growth nobody announced', () => {
    // Arrange
    const { p, gauge } = fakeProcess(10 * MB);
    p.resident = 99 * MB;

    // Act
    const fresh = gauge(0);
    p.clock = 201;
    const stale = gauge(2 * MB);

    // Assert: the first answer rests on the old reading (10 MB); 201 ms later the 99 MB reading refuses 2 MB.
    expect(fresh).toBe(true);
    expect(stale).toBe(false);
    expect(p.reads).toBe(2);
  });
});
