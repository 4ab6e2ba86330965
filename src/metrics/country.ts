/**
 * The ISO 3166 region of an E.164 number, as a low-cardinality label for metrics and the console's
 * funnel ("ZZ" when libphonenumber cannot tell, e.g. a non-geographic +800 number). The region is
 * fixed by the leading digits (at most 1 + 3 for NANP area codes, up to 6 elsewhere), so results
 * are memoized per 8-character prefix: the hot path pays one Map lookup.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const memo = new Map<string, string>();
const MEMO_MAX = 50_000;

/** "+14155552671" → "US"; "+9779801234567" → "NP"; anything unparsable → "ZZ". */
export function countryOf(e164: string): string {
  const key = e164.slice(0, 8);
  let c = memo.get(key);
  if (c === undefined) {
    c = parsePhoneNumberFromString(e164)?.country ?? 'ZZ';
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, c);
  }
  return c;
}
