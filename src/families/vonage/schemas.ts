/**
 * TypeBox schemas of the Vonage Verify v2 family (developer.vonage.com/en/api/verify.v2): JSON
 * bodies in snake_case, as @vonage/verify2 sends them (snakeCaseObjectKeys of its params).
 */
import { Type, type Static } from 'typebox';

export const WorkflowStep = Type.Object(
  {
    channel: Type.String({ minLength: 1, maxLength: 32, description: 'sms or voice (otpgate sends these two)' }),
    to: Type.String({ minLength: 1, maxLength: 64, description: 'phone number, E.164 with or without +' }),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'sender id for this step' })),
    app_hash: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{11}$', description: 'Android SMS Retriever hash, appended to the SMS' })),
  },
  { additionalProperties: false },
);

export const NewRequestBody = Type.Object(
  {
    brand: Type.String({ minLength: 1, maxLength: 16, description: 'the name in the message ("Your {brand} code is …")' }),
    workflow: Type.Array(WorkflowStep, { minItems: 1, maxItems: 3, description: '1–3 steps to the same number; the next step runs after channel_timeout or on next_workflow' }),
    locale: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}(?:-[A-Za-z]{2})?$', description: 'e.g. en-us, es-es, fr-fr, de-de, ru-ru, tr-tr, ar-xa, hi-in' })),
    channel_timeout: Type.Optional(Type.Integer({ minimum: 15, maximum: 900, description: 'seconds before the next workflow step (default 300)' })),
    client_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'echoed in status callbacks' })),
    code_length: Type.Optional(Type.Integer({ minimum: 4, maximum: 10, description: 'digits in the code (default 4, as Vonage)' })),
    code: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{4,10}$', description: 'your own code: 4–10 of [A-Za-z0-9]' })),
    fraud_check: Type.Optional(Type.Boolean({ description: 'false skips network-level fraud checks (recorded; otpgate\'s abuse checks still apply)' })),
  },
  { additionalProperties: false },
);
export type NewRequestBody = Static<typeof NewRequestBody>;

export const CheckBody = Type.Object({ code: Type.String({ pattern: '^[A-Za-z0-9]{4,10}$', description: 'the code the user typed' }) }, { additionalProperties: false });

export const RequestParams = Type.Object({
  request_id: Type.String({ pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$', description: 'the request_id a new request answered' }),
});

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  detail: Type.String(),
  instance: Type.String(),
  invalid_parameters: Type.Optional(Type.Array(Type.Object({ name: Type.String(), reason: Type.String() }))),
  request_id: Type.Optional(Type.String()),
});
export const errors = { 401: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem };
