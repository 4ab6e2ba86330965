/** TypeBox schemas of the native API: the one source of validation, types and the OpenAPI document. */
import { Type, type Static } from 'typebox';

export const ErrorOut = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable snake_case code' }),
      message: Type.String({ description: 'what went wrong and how to fix it' }),
      field: Type.Optional(Type.String()),
      // Abuse refusals (src/abuse/refusal.ts) name what refused the send.
      limit: Type.Optional(Type.String({ description: 'rate_limited: the named limit' })),
      country: Type.Optional(Type.String({ description: 'geo_permission_denied: the destination country' })),
      prefix: Type.Optional(Type.String({ description: 'suspected_fraud / high-risk geo: the destination prefix' })),
      block_id: Type.Optional(Type.String({ description: 'suspected_fraud: the block, liftable by the operator' })),
      cap: Type.Optional(Type.String({ description: 'spend_cap_reached: the cap (daily | daily_<COUNTRY>)' })),
    }),
  },
);

const Channel = Type.Union([Type.Literal('sms'), Type.Literal('voice'), Type.Literal('auto')], {
  description: 'auto: SMS, then a voice call with the same code if the SMS is not delivered within verify.auto_voice_after_seconds',
});

export const SendBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 64, description: 'E.164, or national format in the account region' }),
    channel: Channel,
    locale: Type.Optional(Type.String({ minLength: 2, maxLength: 16 })),
    code_length: Type.Optional(Type.Integer({ minimum: 4, maximum: 10 })),
    code: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{4,10}$', description: 'caller-supplied code, 4–10 of [0-9A-Za-z]' })),
    // No control characters (NUL is the stored body's code marker, and breaks C-string SMSCs) and
    // no lone surrogates (they cannot be encoded in UCS-2 and arrive as garbage).
    app_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\p{Cc}\\p{Cs}]+$', description: 'shown in the message; printable text' })),
    template_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600 })),
    ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f:.]+$', description: "the end user's IP (IPv4 or IPv6), for the per_ip limit (Twilio's DeviceIp)" })),
  },
  { additionalProperties: false },
);
export type SendBody = Static<typeof SendBody>;

export const CheckBody = Type.Object(
  {
    // The same rule as the id in a path (IdParams): a malformed id gets the same answer on every route.
    id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$', description: 'the verification id: 32 hex characters' })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    code: Type.String({ minLength: 1, maxLength: 10 }),
  },
  { additionalProperties: false },
);
export type CheckBody = Static<typeof CheckBody>;

/** Twilio's Verify feedback has the same idea; only "approved" is reported. */
export const FeedbackBody = Type.Object({ status: Type.Literal('approved', { description: 'the code was used by the end user' }) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$', description: '32 hex characters' }) });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const MessageOut = Type.Object(
  {
    id: Type.String(),
    verification_id: Nullable(Type.String()),
    to: Type.String(),
    channel: Type.String(),
    status: Type.String(),
    encoding: Type.String(),
    segments: Type.Integer(),
    price: Type.Integer({ description: 'micro-units of the account currency' }),
    currency: Type.String(),
    provider: Nullable(Type.String()),
    attempts: Type.Integer(),
    error_code: Nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    body: Type.Optional(Type.String({ description: 'the text sent, with the code hidden' })),
    events: Type.Optional(
      Type.Array(
        Type.Object({
          status: Type.String(),
          at: Type.String({ format: 'date-time' }),
          provider: Nullable(Type.String()),
          detail: Nullable(Type.String()),
        }),
      ),
    ),
  },
);

export const VerificationOut = Type.Object(
  {
    id: Type.String(),
    to: Type.String(),
    channel: Type.String(),
    status: Type.String(),
    locale: Type.String(),
    app_name: Nullable(Type.String()),
    expires_at: Type.String({ format: 'date-time' }),
    send_count: Type.Integer(),
    attempts: Type.Integer(),
    max_attempts: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    message: Type.Optional(MessageOut),
  },
);

export const CheckOut = Type.Object({
  id: Type.String(),
  status: Type.String(),
  valid: Type.Boolean(),
  attempts_left: Type.Integer(),
});

export const MessageListQuery = Type.Object({
  to: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(
    Type.Union(['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'canceled'].map((s) => Type.Literal(s))),
  ),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601 instant' })),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const BalanceOut = Type.Object({
  balance: Type.Integer({ description: 'micro-units' }),
  currency: Type.String(),
  formatted: Type.String(),
});
