// Phone numbers in, E.164 out. The max metadata is needed: only it knows number
// types, and an OTP must go to a number that can receive SMS.

import {
  Metadata,
  getExampleNumber,
  isSupportedCountry,
  parsePhoneNumberWithError,
  type CountryCode,
  type NumberType,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { foldDigits, stripFormatChars } from './text.ts';

export type PhoneResult =
  | {
      ok: true;
      e164: string;
      country: string | undefined;
      type: string | undefined;
      /** national significant number: digits only, without the trunk prefix ("9121234567") */
      national: string;
    }
  | {
      ok: false;
      reason: 'invalid' | 'not_mobile' | 'too_short' | 'too_long' | 'not_a_number';
      message: string;
    };

type FailReason = Extract<PhoneResult, { ok: false }>['reason'];

// The typings declare Metadata as nearly empty; this is the part of its runtime API we use.
interface NumberingPlanRuntime {
  nationalPrefix(): string | undefined;
  type(t: string): { possibleLengths(): number[] } | undefined;
}

const MAX_INPUT = 64; // longer is no phone number; also bounds the work done on hostile input
const FALLBACK_EXAMPLE = '+14155552671';
/** Digits of the longest E.164 number, country code included (ITU-T E.164 §6.1). */
const E164_MAX_DIGITS = 15;

export function isRegionCode(x: string): boolean {
  return typeof x === 'string' && /^[A-Z]{2}$/.test(x) && isSupportedCountry(x);
}

/** Where a failed reading was looked up, for the error sentence and its example number. */
interface Context {
  region?: string; // ISO region, when the reading was national or its country is known
  callingCode?: string; // for an international reading whose country is not known
}

export function normalizePhone(
  input: string,
  defaultRegion: string,
  opts: { allowFixedLine?: boolean } = {},
): PhoneResult {
  // Invisible format characters (Cf: an RTL interface's U+200E, a zero-width space) are dropped
  // first: the user cannot see them, and the number is the same without them.
  const raw = typeof input === 'string' ? stripFormatChars(input).trim() : '';
  const regionText = typeof defaultRegion === 'string' ? defaultRegion.trim().toUpperCase() : '';
  const region = isRegionCode(regionText) ? (regionText as CountryCode) : undefined;
  try {
    return normalize(raw, region, regionText, opts?.allowFixedLine === true);
  } catch {
    // libphonenumber-js is not documented as total; a caller must get a result regardless.
    return fail('invalid', raw, { region });
  }
}

function normalize(raw: string, region: CountryCode | undefined, regionText: string, allowFixedLine: boolean): PhoneResult {
  const here: Context = { region };
  if (raw.length > MAX_INPUT) return fail('too_long', raw, here);
  const digits = asciiDigits(raw).replace(/[\s\-().\u00a0\u2010-\u2015]/g, '');
  if (!/^\+?\d+$/.test(digits)) return fail('not_a_number', raw, here);

  // Ordered by what the caller most likely meant; the first failure is the one reported.
  const candidates: { text: string; region?: CountryCode }[] = [];
  if (digits.startsWith('+')) candidates.push({ text: digits });
  else {
    if (region) candidates.push({ text: digits, region });
    // 00 is the international prefix in most of the world (not in the default region
    // everywhere: the US dials 011), and many clients drop the '+' from E.164.
    if (digits.startsWith('00')) candidates.push({ text: `+${digits.slice(2)}` });
    candidates.push({ text: `+${digits}` });
  }

  // The first valid reading wins even when it is a landline: a later reading that
  // happens to be a mobile would most likely be somebody else's phone.
  let found: PhoneNumber | undefined;
  let type: NumberType | undefined;
  let failure: { reason: FailReason; context: Context } | undefined;
  for (const c of candidates) {
    const outcome = parse(c.text, c.region);
    if (typeof outcome === 'string') {
      failure ??= { reason: outcome, context: { region: c.region } };
      continue;
    }
    // The number's type is read once: it is what isValid() computes (matching each type's
    // pattern, the costly part of a send's parsing), so a typed number is valid; isValid()
    // judges the rest (a country without type patterns).
    const t = outcome.getType();
    if (t !== undefined || outcome.isValid()) {
      found = outcome;
      type = t;
      break;
    }
    failure ??= judgeInvalid(outcome, c.region);
  }

  // ITU-T E.164 §6.1: at most 15 digits with the country code. libphonenumber's German plan
  // reads longer strings as landlines with an extension dialled on; no SMS reaches that.
  if (found && found.number.length - 1 > E164_MAX_DIGITS) return fail('too_long', raw, { callingCode: found.countryCallingCode });
  if (found && isReachable(type, allowFixedLine)) {
    return {
      ok: true,
      e164: found.number,
      country: found.country,
      type,
      national: found.nationalNumber,
    };
  }
  if (found) {
    const kind = (type ?? 'unknown type').toLowerCase().replace(/_/g, ' ');
    const allowed = allowFixedLine ? 'mobile or fixed-line' : 'mobile';
    const example = exampleFor({ region: found.country, callingCode: found.countryCallingCode });
    return {
      ok: false,
      reason: 'not_mobile',
      message: `${quote(raw)} (${found.number}) is a ${kind} number, not a ${allowed} number that can receive the code; send a ${allowed} number like ${example}`,
    };
  }
  if (!region && !digits.startsWith('+')) {
    return {
      ok: false,
      reason: 'invalid',
      message: `${quote(raw)} has no country code and ${quote(regionText)} is not a known region to read it in; send E.164 like ${FALLBACK_EXAMPLE}`,
    };
  }
  return fail(failure?.reason ?? 'invalid', raw, failure?.context ?? here);
}

// Iranian, Arab, Nepali, Indian, Thai … keyboards type their own digits; all mean the same number.
function asciiDigits(s: string): string {
  return foldDigits(s).replace(/\uff0b/g, '+');
}

function parse(text: string, region: CountryCode | undefined): PhoneNumber | FailReason {
  try {
    return parsePhoneNumberWithError(text, region);
  } catch (err) {
    const code = err instanceof Error ? err.message : '';
    if (code === 'NOT_A_NUMBER') return 'not_a_number';
    if (code === 'TOO_SHORT') return 'too_short';
    if (code === 'TOO_LONG') return 'too_long';
    return 'invalid';
  }
}

function isReachable(type: NumberType | undefined, allowFixedLine: boolean): boolean {
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' || (allowFixedLine && type === 'FIXED_LINE');
}

// libphonenumber judges length against every number type of a country (Iran has 4-digit
// service numbers), so "0912" passes its check; users send mobiles, so measure against those.
function judgeInvalid(n: PhoneNumber, region: CountryCode | undefined): { reason: FailReason; context: Context } {
  const context: Context = { region: n.country ?? region, callingCode: n.countryCallingCode };
  const plan = numberingPlan(context);
  const lengths = plan?.type('MOBILE')?.possibleLengths() ?? plan?.type('FIXED_LINE_OR_MOBILE')?.possibleLengths();
  if (!plan || !lengths || lengths.length === 0) return { reason: 'invalid', context };
  let significant = n.nationalNumber as string;
  const prefix = plan.nationalPrefix();
  if (prefix && significant.startsWith(prefix)) significant = significant.slice(prefix.length);
  if (significant.length < Math.min(...lengths)) return { reason: 'too_short', context };
  if (significant.length > Math.max(...lengths)) return { reason: 'too_long', context };
  return { reason: 'invalid', context };
}

function numberingPlan(context: Context): NumberingPlanRuntime | undefined {
  const key = context.region ?? context.callingCode;
  if (!key) return undefined;
  try {
    const metadata = new Metadata();
    metadata.selectNumberingPlan(key as CountryCode);
    return metadata.numberingPlan as unknown as NumberingPlanRuntime | undefined;
  } catch {
    return undefined; // unknown calling code
  }
}

function fail(reason: FailReason, raw: string, context: Context): PhoneResult {
  const where = context.region ? ` in ${context.region}` : context.callingCode ? ` with country code +${context.callingCode}` : '';
  const what: Record<FailReason, string> = {
    not_a_number: raw === '' ? 'the phone number is empty' : `${quote(raw)} is not a phone number`,
    too_short: `${quote(raw)} is too short for a phone number${where}`,
    too_long: `${quote(raw)} is too long for a phone number${where}`,
    invalid: `${quote(raw)} is not a valid phone number${where}`,
    not_mobile: `${quote(raw)} is not a mobile number`,
  };
  return { ok: false, reason, message: `${what[reason]}; send E.164 like ${exampleFor(context)}` };
}

function exampleFor(context: Context): string {
  let region = context.region;
  if (!region && context.callingCode) {
    const metadata = new Metadata() as unknown as { getCountryCodeForCallingCode(c: string): string | undefined };
    region = metadata.getCountryCodeForCallingCode(context.callingCode);
  }
  if (!region || !isRegionCode(region)) return FALLBACK_EXAMPLE;
  return getExampleNumber(region as CountryCode, examples)?.number ?? FALLBACK_EXAMPLE;
}

// Input is untrusted and ends up in logs and API errors: cap it and escape control characters.
function quote(s: string): string {
  const short = s.length > 32 ? `${s.slice(0, 32)}…` : s;
  return JSON.stringify(short);
}
