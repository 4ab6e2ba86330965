/**
 * TypeBox schemas of the Twilio Verify v2 family. Requests are form-urlencoded with PascalCase
 * names, so every value arrives as a string: booleans are "true"/"false" and numbers digits, as
 * twilio-node serializes them (serialize.bool, String(n)). Unknown parameters are ignored, as
 * Twilio does. Answers are snake_case JSON with Twilio's fields (twilio-node's ServiceInstance,
 * VerificationInstance, VerificationCheckInstance read them).
 */
import { Type, type Static } from 'typebox';

const Bool = (description: string) => Type.Optional(Type.String({ pattern: '^(?:[Tt]rue|[Ff]alse)$', description: `${description}: "true" or "false"` }));
const Sid = (prefix: string) => Type.String({ pattern: `^${prefix}[0-9a-f]{32}$`, description: `${prefix} followed by 32 hex digits` });

export const ServiceSid = Sid('VA');
export const VerificationSid = Sid('VE');

/** Settings Twilio echoes back that otpgate stores but does not act on. */
const EchoedSettings = {
  LookupEnabled: Bool('stored and echoed'),
  SkipSmsToLandlines: Bool('stored and echoed'),
  DtmfInputRequired: Bool('stored and echoed'),
  TtsName: Type.Optional(Type.String({ maxLength: 64, description: 'stored and echoed' })),
  Psd2Enabled: Bool('stored and echoed'),
  DefaultTemplateSid: Type.Optional(Type.String({ maxLength: 64, description: 'stored and echoed' })),
  VerifyEventSubscriptionEnabled: Bool('stored and echoed'),
};

const ServiceFields = {
  FriendlyName: Type.String({ minLength: 1, maxLength: 30, description: 'the app name in the message ("Your {FriendlyName} verification code is …")' }),
  CodeLength: Type.Optional(Type.String({ pattern: '^(?:[4-9]|10)$', description: 'digits in the code: 4–10 (default 6)' })),
  DoNotShareWarningEnabled: Bool('append "Don\'t share this code with anyone" to the SMS'),
  CustomCodeEnabled: Bool('allow CustomCode on verifications'),
  ...EchoedSettings,
};

export const ServiceCreateBody = Type.Object(ServiceFields);
export type ServiceCreateBody = Static<typeof ServiceCreateBody>;
export const ServiceUpdateBody = Type.Object({ ...ServiceFields, FriendlyName: Type.Optional(ServiceFields.FriendlyName) });
export type ServiceUpdateBody = Static<typeof ServiceUpdateBody>;

export const PageQuery = Type.Object({
  PageSize: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'rows per page, 1–1000 (default 50)' })),
  Page: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'page number from 0' })),
  PageToken: Type.Optional(Type.String({ maxLength: 64 })),
});

export const VerificationCreateBody = Type.Object({
  To: Type.String({ minLength: 1, maxLength: 64, description: 'phone number, E.164 (+15017122661)' }),
  Channel: Type.String({ minLength: 1, maxLength: 16, description: 'sms or call' }),
  CustomFriendlyName: Type.Optional(Type.String({ minLength: 1, maxLength: 30, description: 'app name for this verification instead of the Service\'s' })),
  CustomCode: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{4,10}$', description: '4–10 of [0-9A-Za-z]; the Service must have CustomCodeEnabled' })),
  Locale: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}(?:[-_][A-Za-z]{2,4})?$', description: 'message language: en, es, fr, de, ru, tr, ar, fa, hi, ne' })),
  AppHash: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{11}$', description: 'Android SMS Retriever hash (11 characters), appended to the SMS' })),
  DeviceIp: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f:.]+$', description: 'the end user\'s IP (IPv4 or IPv6), recorded for fraud checks' })),
  RateLimits: Type.Optional(Type.String({ maxLength: 2000, description: 'JSON object of rate-limit keys and values, recorded' })),
});
export type VerificationCreateBody = Static<typeof VerificationCreateBody>;

export const VerificationUpdateBody = Type.Object({
  Status: Type.Union([Type.Literal('canceled'), Type.Literal('approved')], { description: 'canceled or approved' }),
});

export const CheckBody = Type.Object({
  Code: Type.String({ pattern: '^[0-9A-Za-z]{4,10}$', description: 'the code the user typed: 4–10 of [0-9A-Za-z]' }),
  To: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the number the code went to (or VerificationSid)' })),
  VerificationSid: Type.Optional(VerificationSid),
  Amount: Type.Optional(Type.String({ maxLength: 64 })),
  Payee: Type.Optional(Type.String({ maxLength: 64 })),
});
export type CheckBody = Static<typeof CheckBody>;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Any = Type.Unknown();

export const ServiceOut = Type.Object({
  sid: Type.String(),
  account_sid: Type.String(),
  friendly_name: Type.String(),
  code_length: Type.Integer(),
  lookup_enabled: Type.Boolean(),
  psd2_enabled: Type.Boolean(),
  skip_sms_to_landlines: Type.Boolean(),
  dtmf_input_required: Type.Boolean(),
  tts_name: Nullable(Type.String()),
  do_not_share_warning_enabled: Type.Boolean(),
  custom_code_enabled: Type.Boolean(),
  push: Any,
  totp: Any,
  default_template_sid: Nullable(Type.String()),
  whatsapp: Any,
  passkeys: Any,
  verify_event_subscription_enabled: Type.Boolean(),
  date_created: Type.String(),
  date_updated: Type.String(),
  url: Type.String(),
  links: Any,
});
export type ServiceOut = Static<typeof ServiceOut>;

export const ServicePage = Type.Object({ services: Type.Array(ServiceOut), meta: Any });

const Attempt = Type.Object({ attempt_sid: Type.String(), channel: Type.String(), time: Type.String() });

export const VerificationOut = Type.Object({
  sid: Type.String(),
  service_sid: Type.String(),
  account_sid: Type.String(),
  to: Type.String(),
  channel: Type.String({ description: 'sms or call' }),
  status: Type.String({ description: 'pending, approved, canceled, max_attempts_reached, expired' }),
  valid: Type.Boolean(),
  lookup: Any,
  amount: Nullable(Type.String()),
  payee: Nullable(Type.String()),
  send_code_attempts: Type.Array(Attempt),
  date_created: Type.String(),
  date_updated: Type.String(),
  sna: Any,
  url: Type.String(),
});
export type VerificationOut = Static<typeof VerificationOut>;

export const CheckOut = Type.Object({
  sid: Type.String(),
  service_sid: Type.String(),
  account_sid: Type.String(),
  to: Type.String(),
  channel: Type.String(),
  status: Type.String(),
  valid: Type.Boolean(),
  amount: Nullable(Type.String()),
  payee: Nullable(Type.String()),
  date_created: Type.String(),
  date_updated: Type.String(),
  sna_attempts_error_codes: Type.Array(Any),
});

export const TwilioErrorOut = Type.Object({ code: Type.Integer(), message: Type.String(), more_info: Type.String(), status: Type.Integer() });
export const errors = { 400: TwilioErrorOut, 401: TwilioErrorOut, 404: TwilioErrorOut, 429: TwilioErrorOut };
