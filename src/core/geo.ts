/**
 * Geo permissions, pure: which country a number is in, its destination prefix, and whether an
 * account may send there. Twilio's equivalent refusal is error 60605 ("Verification delivery
 * attempt blocked: geo permissions"); ours is 403 geo_permission_denied.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export { HIGH_RISK_PREFIXES } from './high-risk.ts';

/** Digits of an E.164 number without the '+'. */
export function digitsOf(e164: string): string {
  return e164.startsWith('+') ? e164.slice(1) : e164;
}

/** The first `digits` digits of the number: the unit of per-prefix limits and pumping detection. */
export function destinationPrefix(e164: string, digits: number): string {
  return digitsOf(e164).slice(0, digits);
}

/** ISO 3166 region of a number ('001' for non-geographic codes, as libphonenumber names them). */
export function countryOf(e164: string): string {
  const p = parsePhoneNumberFromString(e164);
  return p?.country ?? '001';
}

/** The longest entry of `prefixes` the number starts with, or undefined. */
export function matchPrefix(e164: string, prefixes: readonly string[]): string | undefined {
  const d = digitsOf(e164);
  let best: string | undefined;
  for (const p of prefixes) if (d.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
  return best;
}

export interface GeoPolicy {
  /** Regions this account may send to on this channel; '*' = every country. */
  countries: readonly string[];
  /** The high-risk list in force. */
  highRisk: readonly string[];
  /** High-risk prefixes this account explicitly allows (an entry covers longer prefixes under it). */
  highRiskAllowed: readonly string[];
}

/** country is undefined on an allowed send whose country was not needed (lists with '*'). */
export type GeoVerdict = { ok: true; country: string | undefined } | { ok: false; country: string; reason: 'country' | 'high_risk'; prefix?: string };

/**
 * May a number be sent to? The high-risk list wins over '*'; an account's explicit high-risk
 * allowance wins over the list (the prefix must cover the matched risky prefix or lie under it).
 */
export function geoDecision(e164: string, policy: GeoPolicy): GeoVerdict {
  const risky = matchPrefix(e164, policy.highRisk);
  if (risky !== undefined && matchPrefix(e164, policy.highRiskAllowed) === undefined) return { ok: false, country: countryOf(e164), reason: 'high_risk', prefix: risky };
  // '*' needs no country: parsing the number is a fifth of the decision's cost, so skip it then.
  if (risky !== undefined || policy.countries.includes('*')) return { ok: true, country: undefined };
  const country = countryOf(e164);
  if (policy.countries.includes(country)) return { ok: true, country };
  return { ok: false, country, reason: 'country' };
}
