/**
 * Geo permissions, pure: which country a number is in, its destination prefix, and whether an
 * account may send there. Twilio's equivalent refusal is error 60605 ("Verification delivery
 * attempt blocked: geo permissions"); ours is 403 geo_permission_denied.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Destinations that stay refused unless an account allows them by prefix, even when its country
 * list is "*". Premium-rate and revenue-share ranges are the targets of SMS pumping / IRSF.
 *
 * Where it comes from (review it for your traffic; `abuse.geo.high_risk_prefixes` replaces it):
 * - ITU-T E.164 non-geographic codes (the ITU's "List of ITU-T Recommendation E.164 assigned
 *   country codes"): 808 shared-cost services, 870 Inmarsat, 878 Universal Personal
 *   Telecommunication, 881 Global Mobile Satellite System, 882/883 International Networks,
 *   888 OCHA, 979 International Premium Rate Service. No OTP user is reached there; their
 *   termination rates are among the highest and they are classic IRSF ranges.
 * - Remote territories with a tiny subscriber base and very high termination cost that telecom
 *   fraud guidance (GSMA Fraud and Security Group, CFCA surveys) names as IRSF destinations:
 *   247 Ascension, 290 Saint Helena, 500 Falklands, 672 Norfolk Island/Antarctica, 674 Nauru,
 *   683 Niue, 690 Tokelau, 882/883 satellite and network ranges above.
 * NP (977) and IR (98), the vendor families' countries, are deliberately not on it.
 */
export const HIGH_RISK_PREFIXES: readonly string[] = ['808', '870', '878', '881', '882', '883', '888', '979', '247', '290', '500', '672', '674', '683', '690'];

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

export type GeoVerdict = { ok: true; country: string } | { ok: false; country: string; reason: 'country' | 'high_risk'; prefix?: string };

/**
 * May a number be sent to? The high-risk list wins over '*'; an account's explicit high-risk
 * allowance wins over the list (the prefix must cover the matched risky prefix or lie under it).
 */
export function geoDecision(e164: string, policy: GeoPolicy): GeoVerdict {
  const country = countryOf(e164);
  const risky = matchPrefix(e164, policy.highRisk);
  if (risky !== undefined && matchPrefix(e164, policy.highRiskAllowed) === undefined) return { ok: false, country, reason: 'high_risk', prefix: risky };
  if (risky !== undefined) return { ok: true, country };
  if (policy.countries.includes('*') || policy.countries.includes(country)) return { ok: true, country };
  return { ok: false, country, reason: 'country' };
}
