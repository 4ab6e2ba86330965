/**
 * SMS-pumping detection, pure. Pumping (artificially inflated traffic, IRSF) sends codes to
 * numbers nobody types back: a destination prefix whose sends stop converting is the signal
 * (Twilio's Fraud Guard blocks on the same idea, for 12 h; its refusal is error 60410).
 *
 * Counts live in buckets of a sliding window (per account and destination prefix):
 *   s = sends, a = approvals (a code checked valid or reported by feedback),
 *   d = delivered receipts, f = failed receipts (undelivered / failed).
 * Accounts that never report approvals (vendor families whose callers check codes themselves)
 * are judged on delivery failure rate and velocity instead: a conversion of 0 there means
 * "not told", not "pumped".
 */

export type CounterKind = 's' | 'a' | 'd' | 'f';

export interface WindowCounts {
  sent: number;
  approved: number;
  delivered: number;
  failed: number;
}

export interface PumpingRules {
  /** Sends in the window before conversion is judged at all. */
  floor: number;
  /** Block when approved / sent falls under this (0–1). */
  threshold: number;
  /** Fallback: finals (delivered + failed) before the failure rate is judged. */
  failureFloor: number;
  /** Fallback: block when failed / finals reaches this (0–1). */
  failureThreshold: number;
  /** Fallback: block when the window holds this many sends (0 = off). */
  velocityMax: number;
}

export type PumpingReason = 'low_conversion' | 'delivery_failures' | 'velocity';

export interface PumpingVerdict {
  reason: PumpingReason;
  /** The figures that triggered it, stored with the block and shown to the operator. */
  figures: WindowCounts & { conversion: number | null; failure_rate: number | null; rule: string };
}

/** Bucket index of an instant; buckets are `bucketMs` wide, aligned to the epoch. */
export function bucketOf(nowMs: number, bucketMs: number): number {
  return Math.floor(nowMs / bucketMs);
}

/** The oldest bucket still inside a window of `windowMs` ending now. */
export function oldestBucket(nowMs: number, windowMs: number, bucketMs: number): number {
  return bucketOf(nowMs, bucketMs) - Math.ceil(windowMs / bucketMs) + 1;
}

/** Sums "<bucket>:<kind>" fields from `oldest` on (older ones are outside the window). */
export function sumWindow(fields: Iterable<[string, number]>, oldest: number): WindowCounts {
  const out: WindowCounts = { sent: 0, approved: 0, delivered: 0, failed: 0 };
  for (const [k, v] of fields) {
    const sep = k.indexOf(':');
    if (Number(k.slice(0, sep)) < oldest) continue;
    switch (k.slice(sep + 1)) {
      case 's':
        out.sent += v;
        break;
      case 'a':
        out.approved += v;
        break;
      case 'd':
        out.delivered += v;
        break;
      case 'f':
        out.failed += v;
        break;
    }
  }
  return out;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);

/**
 * The verdict for one prefix's window, or undefined to let it be.
 * `reportsApprovals`: the account has reported at least one approval recently (otherwise the
 * conversion rule is skipped and the fallback rules apply).
 */
export function judgePrefix(c: WindowCounts, rules: PumpingRules, reportsApprovals: boolean): PumpingVerdict | undefined {
  const figures = { ...c, conversion: ratio(c.approved, c.sent), failure_rate: ratio(c.failed, c.delivered + c.failed) };
  if (reportsApprovals) {
    if (c.sent >= rules.floor && c.approved / c.sent < rules.threshold)
      return { reason: 'low_conversion', figures: { ...figures, rule: `conversion < ${rules.threshold} over >= ${rules.floor} sends` } };
    return undefined;
  }
  const finals = c.delivered + c.failed;
  if (finals >= rules.failureFloor && c.failed / finals >= rules.failureThreshold)
    return { reason: 'delivery_failures', figures: { ...figures, rule: `failure rate >= ${rules.failureThreshold} over >= ${rules.failureFloor} receipts` } };
  if (rules.velocityMax > 0 && c.sent >= rules.velocityMax)
    return { reason: 'velocity', figures: { ...figures, rule: `>= ${rules.velocityMax} sends in the window` } };
  return undefined;
}
