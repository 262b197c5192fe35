import { DEFAULT_CRASH_BACKOFF, nextCrashCount, restartDelayMs } from '../../../platform/cell/backoff';

describe('crash back-off', () => {
  it('restarts the first crashes at once, then doubles up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 10, 100].map((count) => restartDelayMs(count, DEFAULT_CRASH_BACKOFF));
    expect(delays).toEqual([0, 0, 0, 30_000, 60_000, 120_000, 960_000, 960_000]);
  });

  it('never overflows', () => {
    expect(restartDelayMs(10_000, DEFAULT_CRASH_BACKOFF)).toBe(DEFAULT_CRASH_BACKOFF.maxDelayMs);
  });

  it('forgives crashes of an instance that stayed up long enough', () => {
    expect(nextCrashCount(7, DEFAULT_CRASH_BACKOFF.stableAfterMs, DEFAULT_CRASH_BACKOFF)).toBe(1);
    expect(nextCrashCount(7, 1_000, DEFAULT_CRASH_BACKOFF)).toBe(8);
  });
});
