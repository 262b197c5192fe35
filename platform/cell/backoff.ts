/**
 * When a crashed instance may run again. Modelled on Diego's restart policy: a few immediate
 * restarts (most crashes are transient), then an exponentially growing wait with a cap, and a
 * crash count that is forgiven once an instance has stayed up long enough.
 */
export interface CrashBackoffPolicy {
  /** Crashes that are restarted at once. */
  immediateRestarts: number;
  /** Wait after the first crash beyond the immediate ones; doubled for each further crash. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An instance that ran this long before crashing starts counting from zero again. */
  stableAfterMs: number;
}

export const DEFAULT_CRASH_BACKOFF: CrashBackoffPolicy = {
  immediateRestarts: 3,
  baseDelayMs: 30_000,
  maxDelayMs: 16 * 60_000,
  stableAfterMs: 5 * 60_000,
};

/** `crashCount` includes the crash that just happened. */
export function restartDelayMs(crashCount: number, policy: CrashBackoffPolicy): number {
  if (crashCount <= policy.immediateRestarts) return 0;
  // Clamped so the power cannot overflow to Infinity for an instance that crashed for weeks.
  const doublings = Math.min(crashCount - policy.immediateRestarts - 1, 40);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/** The crash count after one more crash of an instance that had been up for `uptimeMs`. */
export function nextCrashCount(previousCount: number, uptimeMs: number, policy: CrashBackoffPolicy): number {
  return uptimeMs >= policy.stableAfterMs ? 1 : previousCount + 1;
}
