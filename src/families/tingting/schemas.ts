/**
 * TypeBox schemas of the TingTing-compatible API for the OpenAPI document. The send body is
 * validated by validate.ts (DRF-style: every bad field at once), so its schema here mirrors
 * that reader's rules rather than driving Ajv.
 */
import { Type, type TSchema } from 'typebox';
import { MESSAGE_MAX, OTP_OPTIONS, SMS_SEND_OPTIONS, VOICES } from './validate.ts';

const oneOf = (values: readonly string[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const SendBody = Type.Object({
  number: Type.Union([Type.String(), Type.Integer()], { description: 'Nepali mobile: "98XXXXXXXX", "+97798XXXXXXXX" or "97798XXXXXXXX"' }),
  message: Type.String({ maxLength: MESSAGE_MAX, description: 'text with {otp} where the code goes; without {otp} the code is appended after a space' }),
  sms_send_options: oneOf(SMS_SEND_OPTIONS, 'text (SMS) or voice (a call that reads the message)'),
  otp_options: Type.Optional(oneOf(OTP_OPTIONS, 'personnel: you send otp; generated (default): we make one')),
  otp: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9A-Za-z]{4,10}$' }), Type.Integer()], { description: 'required with personnel' })),
  otp_length: Type.Optional(Type.Union([Type.Integer({ minimum: 4, maximum: 10 }), Type.String({ pattern: '^[0-9]+$' })], { description: 'generated code length, 4–10 (default 6); "4" is accepted' })),
  company_name: Type.Optional(Type.String({ maxLength: 255 })),
  voice_input: Type.Optional(oneOf(VOICES, 'voice only; default np_rija')),
});

export const ErrorEnvelope = Type.Object({
  status: Type.Integer(),
  success: Type.Literal(false),
  message: Type.String(),
  errors: Type.Array(Type.Record(Type.String(), Type.Array(Type.String())), { description: 'one { field: [sentences] } per bad field' }),
  data: Type.Null(),
});

export const Detail401 = Type.Object({ detail: Type.String() });

const SendDetails = Type.Object({
  number: Type.String(),
  otp_options: Type.String(),
  message: Type.String({ description: 'the message with the code digits spaced ("1 2 3 4 5")' }),
  otp: Type.String(),
  sms_send_options: Type.String(),
  credits_used: Type.Integer(),
  remaining_sms_credits: Type.Integer(),
  remaining_phone_credits: Type.Integer(),
  voice_input: Type.Optional(Type.String()),
  length_factor: Type.Optional(Type.Number()),
});

export const SendOk = Type.Object({
  status: Type.Literal(200),
  success: Type.Literal(true),
  message: Type.String({ description: '"OTP Sent Successfully." or "OTP Call Initiated Successfully."' }),
  errors: Type.Array(Type.Unknown()),
  data: Type.Object({ details: SendDetails }),
});

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.String({ description: 'page size, default 10, at most 100' })),
  offset: Type.Optional(Type.String({ description: 'rows to skip' })),
});

export const ListOut = Type.Object({
  count: Type.Integer(),
  total_pages: Type.Integer(),
  next: Nullable(Type.String()),
  previous: Nullable(Type.String()),
  results: Type.Object({
    status: Type.Literal(200),
    success: Type.Literal(true),
    errors: Type.Array(Type.Unknown()),
    data: Type.Array(
      Type.Object({
        id: Type.Integer({ description: 'the send\'s number among the account\'s TingTing sends, oldest = 1 (as TingTing\'s integer ids)' }),
        phone_number: Type.String(),
        message: Type.String(),
        otp: Type.String(),
        otp_options: Type.String(),
        sms_send_options: Type.String(),
        created_at: Type.String({ description: 'ISO 8601 in the account offset (Nepal: +05:45)' }),
      }),
    ),
  }),
});

export const NewKeyOut = Type.Object({ token: Type.String(), message: Type.String() });
export const KeyOut = Type.Object({ token: Type.String({ description: 'masked but for the last 4 characters' }), last_used: Nullable(Type.String()), created_at: Type.String() });
export const NoKeyOut = Type.Object({ message: Type.String() });

export const DashboardOut = Type.Object({
  total_credits_purchased: Type.Integer(),
  credits_used: Type.Integer(),
  remaining_credits: Type.Integer(),
});
