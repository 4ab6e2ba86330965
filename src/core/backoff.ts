// Retry delays: exponential so a sick carrier is not hammered, capped so a message still
// goes out soon after it recovers, jittered so a burst of failures does not retry in step.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  factor: number;
  /** 0 = fixed delays, 1 = full jitter (anywhere from 0 to the cap of this attempt) */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 300000, factor: 2, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (1 = first retry): the exponential ceiling
 * min(maxMs, baseMs * factor^(attempt-1)), of which the `jitter` share is random
 * ("equal jitter" at 0.5), so the result lies in [ceiling * (1 - jitter), ceiling].
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const maxMs = Math.max(0, policy.maxMs);
  const baseMs = Math.min(Math.max(0, policy.baseMs), maxMs);
  const factor = Math.max(1, policy.factor);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  // factor^n overflows to Infinity for large n; min() then lands on the cap, as intended.
  const ceiling = Math.min(maxMs, baseMs * factor ** (n - 1));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * r);
}
