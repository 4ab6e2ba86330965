/**
 * The send-OTP body, read the way TingTing's Django REST Framework serializer reads it: every
 * field is checked and every bad field is reported at once, with DRF's own sentences ("This
 * field is required."), which Ajv (first error only, English of its own) cannot give. Like DRF,
 * a CharField takes a number (9851023212 → "9851023212"), an IntegerField takes "4", and
 * unknown fields are ignored. Fields that do not apply to the chosen options are ignored too
 * (otp with "generated", otp_length with "personnel", voice_input with "text"), and null counts
 * as absent for optional fields: typed C# clients serialize unset properties as null.
 */
import { canonicalCode } from '../../core/text.ts';

export const SMS_SEND_OPTIONS = ['text', 'voice'] as const;
export const OTP_OPTIONS = ['personnel', 'generated'] as const;
/** TingTing's text-to-speech voices (the same list its carrier adapter, providers/tingting.ts, sends). */
export const VOICES = ['np_rija', 'np_prashanna', 'np_shreegya', 'np_binod'] as const;
export const MESSAGE_MAX = 1000;
/** TingTing's default length for generated codes. */
export const DEFAULT_OTP_LENGTH = 6;

export interface SendInput {
  number: string;
  message: string;
  sms_send_options: (typeof SMS_SEND_OPTIONS)[number];
  otp_options: (typeof OTP_OPTIONS)[number];
  /** Set with "personnel". */
  otp?: string;
  /** Set with "generated". */
  otp_length?: number;
  company_name?: string;
  /** Set with "voice". */
  voice_input?: (typeof VOICES)[number];
}

/** One entry per bad field, in field order: [{ number: ["This field is required."] }, …]. */
export type FieldErrors = Record<string, string[]>[];

type Read<T> = { value: T } | { error: string };
const fail = (error: string): { error: string } => ({ error });

function char(v: unknown, o: { allowBlank?: boolean; maxLength?: number } = {}): Read<string> {
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) return fail('Not a valid string.');
  const s = String(v).trim(); // DRF trims by default
  // DRF refuses NUL (it is also otpgate's code mask in stored bodies); a lone surrogate cannot be stored or sent.
  if (s.includes('\u0000')) return fail('Null characters are not allowed.');
  if (/\p{Cs}/u.test(s)) return fail('Not a valid string.');
  if (!s && !o.allowBlank) return fail('This field may not be blank.');
  if (o.maxLength !== undefined && s.length > o.maxLength) return fail(`Ensure this field has no more than ${o.maxLength} characters.`);
  return { value: s };
}

function choice<T extends string>(v: unknown, choices: readonly T[]): Read<T> {
  const s = typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  return (choices as readonly string[]).includes(s) ? { value: s as T } : fail(`"${s}" is not a valid choice. Use one of: ${choices.join(', ')}.`);
}

function integer(v: unknown, min: number, max: number): Read<number> {
  const s = typeof v === 'number' || typeof v === 'string' ? String(v).trim() : '';
  if (!/^-?\d{1,15}(\.0*)?$/.test(s)) return fail('A valid integer is required.');
  const n = Number.parseInt(s, 10);
  if (n < min) return fail(`Ensure this value is greater than or equal to ${min}.`);
  if (n > max) return fail(`Ensure this value is less than or equal to ${max}.`);
  return { value: n };
}

/**
 * Reads a parsed body into a SendInput or the list of field errors. `checkNumber` is the
 * number rule (normalization in the Nepal region), given the channel; it returns an error
 * sentence or undefined.
 */
export function readSendBody(body: unknown, checkNumber: (n: string, voice: boolean) => string | undefined): { value: SendInput } | { errors: FieldErrors } {
  if (body === null || body === undefined) body = {}; // DRF: no body is an empty dict
  if (typeof body !== 'object' || Array.isArray(body))
    return { errors: [{ non_field_errors: [`Invalid data. Expected a dictionary, but got ${Array.isArray(body) ? 'list' : typeof body === 'string' ? 'str' : typeof body}.`] }] };
  const b = body as Record<string, unknown>;
  const errors: Record<string, string> = {};
  const given = (k: string) => b[k] !== undefined && b[k] !== null;

  function field<T>(k: string, read: (v: unknown) => Read<T>, o: { required?: boolean; applies?: boolean } = {}): T | undefined {
    if (o.applies === false) return undefined;
    if (!given(k)) {
      if (o.required) errors[k] = b[k] === null ? 'This field may not be null.' : 'This field is required.';
      return undefined;
    }
    const r = read(b[k]);
    if ('error' in r) {
      errors[k] = r.error;
      return undefined;
    }
    return r.value;
  }

  const number = field('number', (v) => char(v, { maxLength: 32 }), { required: true });
  const message = field('message', (v) => char(v, { maxLength: MESSAGE_MAX }), { required: true });
  const sendOptions = field('sms_send_options', (v) => choice(v, SMS_SEND_OPTIONS), { required: true });
  const otpOptions = field('otp_options', (v) => choice(v, OTP_OPTIONS)) ?? 'generated';
  const personnel = otpOptions === 'personnel';
  const voice = sendOptions === 'voice';
  const otp = field('otp', (v) => {
    // A code typed in Devanagari or any script's digits is the ASCII code it means.
    const r = typeof v === 'string' ? char(canonicalCode(v)) : char(v);
    // The native rule for caller codes; TingTing documents none, and 4–10 matches otp_length.
    return 'value' in r && !/^[0-9A-Za-z]{4,10}$/.test(r.value) ? fail('Ensure the OTP is 4 to 10 letters or digits.') : r;
  }, { required: personnel, applies: personnel });
  if (personnel && errors.otp === 'This field is required.') errors.otp = 'This field is required when otp_options is "personnel".';
  const otpLength = field('otp_length', (v) => integer(v, 4, 10), { applies: !personnel });
  const companyName = field('company_name', (v) => char(v, { allowBlank: true, maxLength: 255 }));
  const voiceInput = field('voice_input', (v) => choice(v, VOICES), { applies: voice }) ?? (voice ? 'np_rija' : undefined);

  if (number !== undefined) {
    const problem = checkNumber(number, voice); // without a valid channel: the stricter SMS rule
    if (problem) errors.number = problem;
  }
  const order = ['number', 'message', 'sms_send_options', 'otp_options', 'otp', 'otp_length', 'company_name', 'voice_input'];
  const bad = order.filter((k) => k in errors);
  if (bad.length > 0) return { errors: bad.map((k) => ({ [k]: [errors[k]] })) };
  return {
    value: {
      number: number!,
      message: message!,
      sms_send_options: sendOptions!,
      otp_options: otpOptions,
      ...(otp !== undefined ? { otp } : {}),
      ...(otpLength !== undefined ? { otp_length: otpLength } : {}),
      ...(companyName !== undefined ? { company_name: companyName } : {}),
      ...(voiceInput !== undefined ? { voice_input: voiceInput } : {}),
    },
  };
}
