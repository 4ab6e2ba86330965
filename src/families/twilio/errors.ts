/**
 * Twilio's error shape, `{code, message, more_info, status}` (twilio-node's RestException reads
 * exactly these), with Twilio's numbers where they exist (twilio.com/docs/api/errors):
 * 20003 authenticate, 20404 not found, 60200 invalid parameter, 60202 max check attempts,
 * 60203 max send attempts, 60212 too many concurrent requests for a number, 60410 fraud block,
 * 60605 geo permission, 20429 too many requests. The core's stable snake_case code travels in the
 * X-Otpgate-Error-Code header, so the body keeps Twilio's four keys.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../../http/errors.ts';

export const CODE_HEADER = 'x-otpgate-error-code';

/** An error raised in a Twilio route with its Twilio number already chosen. */
export class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly twilioCode: number,
    message: string,
    /** The stable snake_case code (header). */
    readonly code: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'TwilioError';
  }
}

export const invalidParameter = (field: string, why: string, code = 'invalid_value') =>
  new TwilioError(400, 60200, `Invalid parameter \`${field}\`: ${why}`, code);

export const resourceNotFound = (path: string) =>
  new TwilioError(404, 20404, `The requested resource ${path} was not found`, 'not_found');

/** Core codes (src/verify, the abuse decision) → [HTTP status, Twilio code]. */
const CORE: Record<string, [number, number]> = {
  invalid_phone_number: [400, 60200],
  unsupported_destination: [400, 60200],
  invalid_locale: [400, 60200],
  invalid_template: [400, 60200],
  max_sends_reached: [429, 60203],
  resend_cooldown: [429, 60212],
  resend_conflict: [429, 60212],
  rate_limited: [429, 20429],
  suspected_fraud: [403, 60410],
  geo_permission_denied: [403, 60605],
  spend_cap_reached: [403, 20005],
  insufficient_balance: [402, 20005],
  verification_max_attempts_reached: [429, 60202],
  unauthorized: [401, 20003],
};

/** Core field names → Twilio parameter names, for 60200 messages. */
const FIELDS: Record<string, string> = { to: 'To', locale: 'Locale', code: 'Code', id: 'VerificationSid', template: 'CustomMessage' };

export interface TwilioFailure {
  status: number;
  body: { code: number; message: string; more_info: string; status: number };
  code: string;
  retryAfter?: number;
}

const failure = (status: number, twilioCode: number, message: string, code: string, retryAfter?: number): TwilioFailure => ({
  status,
  body: { code: twilioCode, message, more_info: `https://www.twilio.com/docs/errors/${twilioCode}`, status },
  code,
  retryAfter,
});

export function toTwilio(err: FastifyError | Error): TwilioFailure {
  if (err instanceof TwilioError) return failure(err.status, err.twilioCode, err.message, err.code, err.retryAfter);
  // A malformed sid in the path names nothing: Twilio answers 20404, not a parameter error.
  if ((err as { validationContext?: string }).validationContext === 'params')
    return failure(404, 20404, `The requested resource was not found: ${describeError(err).message}`, 'not_found');
  const d = describeError(err);
  if (d.status >= 500) return failure(500, 20500, 'Internal Server Error: it was logged; retry later', 'internal_error');
  const mapped = CORE[d.code];
  const field = d.field ? (FIELDS[d.field] ?? d.field) : undefined;
  if (mapped) {
    const message = mapped[1] === 60200 && field ? `Invalid parameter \`${field}\`: ${d.message}` : d.message;
    return failure(mapped[0], mapped[1], message, d.code, d.retryAfter ?? (mapped[0] === 429 ? 1 : undefined));
  }
  // Any other closed verification (approved, canceled, expired): Twilio no longer finds it.
  if (/^verification_/.test(d.code) || /_not_found$/.test(d.code)) return failure(404, 20404, `The requested resource was not found: ${d.message}`, d.code);
  if (d.status === 401) return failure(401, 20003, 'Authenticate', d.code);
  if (d.status === 404) return failure(404, 20404, d.message, d.code);
  if (d.status === 405) return failure(405, 20004, d.message, d.code);
  if (d.status === 415 || (d.code === 'invalid_type' && (!d.field || d.field === 'body')))
    return failure(d.status === 415 ? 415 : 400, 60200, 'Invalid parameter: send the parameters form-urlencoded (Content-Type: application/x-www-form-urlencoded)', d.code);
  // Validation, body parsing, sizes: Twilio's "invalid parameter", naming the field and the fix.
  const named = field ? `Invalid parameter \`${field}\`: ${d.message}` : `Invalid parameter: ${d.message}`;
  return failure(d.status === 413 || d.status === 415 ? d.status : 400, 60200, named, d.code, d.retryAfter);
}

export function twilioErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const f = toTwilio(err);
  if (f.status >= 500) req.log.error({ err }, 'twilio request failed');
  if (f.retryAfter !== undefined) reply.header('retry-after', String(f.retryAfter));
  reply.header(CODE_HEADER, f.code);
  void reply.status(f.status).send(f.body);
}
