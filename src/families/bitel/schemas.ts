/**
 * TypeBox schemas of the Bitel-compatible API (v1 "master" and v2 "2.0.0" documents): request
 * bodies as Bitel's clients send them (field names bound case-insensitively by binding.ts) and
 * the result objects, each inside the {result, error} envelope.
 */
import { Type, type Static, type TSchema } from 'typebox';

const PhoneNumber = Type.String({ minLength: 1, maxLength: 64, description: 'Iranian number: 0912…, 912…, 98912… or +98912…' });
/** Bitel documents counts as strings ("2") or numbers; both are taken, without coercing others. */
const Count = (min: number, max: number, pattern: string, description: string) =>
  Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.String({ pattern })], { description });

/**
 * Two forms: the documented `{phoneNumber, appName, code}` (Bitel's fixed template), and the form
 * public PHP clients send, `{phoneNumber, message}` (the caller's own text, sent as given). Which
 * fields a form needs is checked by the route (otp.ts), so either form's missing field is named.
 */
export const OtpBody = Type.Object({
  phoneNumber: PhoneNumber,
  appName: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '\\S', description: 'shown in the message, e.g. "Bitel"; with code' })),
  code: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{1,10}$', description: 'the code shown in the message: 1–10 of [0-9A-Za-z], e.g. "1234Ma" (any script\'s digits are read as ASCII); with appName' })),
  message: Type.Optional(
    Type.String({ minLength: 1, maxLength: 1600, pattern: '\\S', description: 'instead of appName and code: the whole text, sent as given; its one run of 4–10 digits (any script) is the code' }),
  ),
});
export type OtpBody = Static<typeof OtpBody>;

export const SingleBody = Type.Object({
  phoneNumber: PhoneNumber,
  message: Type.String({ minLength: 1, maxLength: 1600, pattern: '\\S', description: 'the text, e.g. "Hi there"' }),
  gatewayNumber: Type.Optional(Type.String({ pattern: '^[0-9]{3,20}$', description: 'sender line (digits)' })),
});
export type SingleBody = Static<typeof SingleBody>;

export const VoiceOtpBody = Type.Object({
  phoneNumber: PhoneNumber,
  text: Type.String({ pattern: '^[0-9]{1,6}$', description: 'the code to read: digits only, at most 6' }),
  voiceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'voice played before the digits' })),
  repeatCount: Type.Optional(Count(1, 10, '^([1-9]|10)$', 'times the digits are read (1–10, default 2)')),
  retryCount: Type.Optional(Count(0, 5, '^[0-5]$', 'calls placed again, 30 s apart, when one ends unanswered or busy (0–5, default 1)')),
  serverId: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Integer({ minimum: 0 })], { description: 'dialer to call from (recorded)' }),
  ),
});
export type VoiceOtpBody = Static<typeof VoiceOtpBody>;

export const IdParams = Type.Object({ requestId: Type.String({ description: 'the 32-hex id a send returned (anything else is NotFound)' }) });

export const IdString = Type.String({ description: 'the request id: 32 lowercase hex' });
const Epoch = Type.Integer({ description: 'epoch seconds' });
const Toman = Type.Number({ description: 'Toman' });

export const RequestIdObject = Type.Object({ requestId: IdString });

/** v2 SMS object (OTP, single). */
export const SmsObject = Type.Object({
  id: IdString,
  gatewayNumber: Type.String(),
  phoneNumber: Type.String(),
  message: Type.String(),
  requestDate: Epoch,
  status: Type.Integer(),
  statusText: Type.String(),
  partCount: Type.Integer(),
  price: Type.Number({ description: 'Toman; 0.0 while waiting, then negative (a charge)' }),
});

export const SmsDetailV1 = Type.Object({
  id: IdString,
  message: Type.String(),
  phoneNumber: Type.String(),
  requestDate: Epoch,
  result: Type.String(),
  smsCount: Type.Integer(),
  balanceSubtracted: Toman,
  deliveryStatus: Type.String(),
  deliveryStatusCode: Type.Integer(),
});

export const SmsStatusV2 = Type.Object({
  id: IdString,
  message: Type.String(),
  phoneNumber: Type.String(),
  requestDate: Epoch,
  statusCode: Type.Integer(),
  status: Type.String(),
  smsCount: Type.Integer(),
  price: Type.Number({ description: 'Toman, negative (a charge), e.g. -14.0' }),
});

export const CallObject = Type.Object({
  id: IdString,
  phoneNumber: Type.String(),
  status: Type.String(),
  statusCode: Type.Integer(),
  billSec: Type.Integer(),
  requestDate: Epoch,
  executionDate: Epoch,
  price: Type.Number({ description: 'Toman; 0.0 while waiting, then negative' }),
});

export const CdrV1 = Type.Object({
  requestId: IdString,
  targetNumber: Type.String(),
  status: Type.String(),
  billSec: Type.Integer(),
  requestDate: Epoch,
  executionDate: Epoch,
  transactionId: Type.Integer(),
  balanceSubtracted: Toman,
});

export const Ok = <T extends TSchema>(result: T) => Type.Object({ result, error: Type.Null() });
export const Failure = Type.Object({ result: Type.Null(), error: Type.String({ description: 'InvalidRequest, InvalidPhoneNumber, NotFound, …' }) });

export const errors = { 400: Failure, 401: Failure, 402: Failure, 404: Failure, 413: Failure, 415: Failure, 429: Failure, 500: Failure };
