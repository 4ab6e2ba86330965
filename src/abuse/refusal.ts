/**
 * The abuse decision's refusals: family-neutral VerifyErrors with a stable code, the HTTP status
 * the native API gives them and `details` (the limit's name, the country) that families put in
 * their own shape. Codes: rate_limited (429, Twilio 60203/20429), suspected_fraud (429, Twilio
 * 60410), spend_cap_reached (429), geo_permission_denied (403, Twilio 60605).
 */
import { VerifyError } from '../verify/errors.ts';

export class AbuseRefusal extends VerifyError {
  constructor(
    code: 'rate_limited' | 'suspected_fraud' | 'spend_cap_reached' | 'geo_permission_denied',
    status: 403 | 429,
    message: string,
    /** Extra fields of the native error body: { limit } | { country } | { prefix, block_id } | { cap }. */
    readonly details: Record<string, string | number>,
    retryAfter?: number,
  ) {
    super(code, status, message, 'to', retryAfter);
    this.name = 'AbuseRefusal';
  }
}

/** Seconds for Retry-After from milliseconds, at least 1. */
export const retrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function rateLimited(limit: string, msBeforeNext: number, what: string): AbuseRefusal {
  const s = retrySeconds(msBeforeNext);
  return new AbuseRefusal('rate_limited', 429, `limit ${limit} reached (${what}); retry after ${s} s, or raise it for this account (PUT /admin/accounts/{id}/abuse)`, { limit }, s);
}

export function suspectedFraud(prefix: string, blockId: string, expiresInMs: number): AbuseRefusal {
  const s = retrySeconds(expiresInMs);
  return new AbuseRefusal(
    'suspected_fraud',
    429,
    `sends to numbers starting +${prefix} are blocked as suspected SMS pumping (block ${blockId}); the operator can lift it with \`otpgate blocks lift ${blockId}\``,
    { prefix, block_id: blockId },
    s,
  );
}

export function spendCapReached(cap: string, capMicros: number, msToReset: number): AbuseRefusal {
  const s = retrySeconds(msToReset);
  return new AbuseRefusal('spend_cap_reached', 429, `spend cap ${cap} (${capMicros} micro-units per UTC day) reached; retry after ${s} s or raise the cap (PUT /admin/accounts/{id}/abuse)`, { cap }, s);
}

export function geoDenied(country: string, highRiskPrefix: string | undefined, channel: string): AbuseRefusal {
  const message = highRiskPrefix
    ? `+${highRiskPrefix} is on the high-risk list (premium-rate / revenue-share range); allow it for this account with {"high_risk_allowed":["${highRiskPrefix}"]} (PUT /admin/accounts/{id}/abuse)`
    : `this account may not send ${channel} to ${country}; allow it with {"geo":{"${channel}":[…, "${country}"]}} (PUT /admin/accounts/{id}/abuse) or add it to abuse.geo.countries in the config`;
  return new AbuseRefusal('geo_permission_denied', 403, message, highRiskPrefix ? { country, prefix: highRiskPrefix } : { country });
}
