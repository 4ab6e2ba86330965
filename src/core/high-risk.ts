/** The shipped high-risk destination list (no imports: the config's defaults read it). */

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
 * - Remote territories with a tiny subscriber base and very high termination rates: the profile
 *   of IRSF destinations that fraud guidance describes (GSMA Fraud and Security Group, CFCA
 *   loss surveys). This part is otpgate's own selection from that profile, not a copied list:
 *   247 Ascension, 290 Saint Helena, 500 Falklands, 672 Norfolk Island/Antarctica, 674 Nauru,
 *   683 Niue, 690 Tokelau.
 * NP (977) and IR (98), the vendor families' countries, are deliberately not on it.
 */
export const HIGH_RISK_PREFIXES: readonly string[] = ['808', '870', '878', '881', '882', '883', '888', '979', '247', '290', '500', '672', '674', '683', '690'];
