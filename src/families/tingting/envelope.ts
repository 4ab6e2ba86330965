/**
 * TingTing's answer shapes. Every answer but 401 is the same envelope:
 *   { "status": <HTTP status>, "success": bool, "message": "…", "errors": [...], "data": … }
 * with `errors` a list of { field: [sentences] } (Django REST Framework style) naming each bad
 * field. 401s are DRF's bare { "detail": "…" }. Core errors (VerifyError) are translated here by
 * their stable code, never by their text.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { VerifyError } from '../../verify/errors.ts';
import type { FieldErrors } from './validate.ts';

export interface Envelope {
  status: number;
  success: boolean;
  message: string | null;
  errors: FieldErrors;
  data: unknown;
}

/** A refusal in TingTing's terms: status, sentence, the fields it is about. */
export class TingtingError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldErrors = [],
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'TingtingError';
  }
}

export function invalidFields(errors: FieldErrors): TingtingError {
  const names = errors.flatMap((e) => Object.keys(e));
  return new TingtingError(400, `Invalid input. Please correct: ${names.join(', ')}.`, errors);
}

/** TingTing's clients read length_factor as a float; JavaScript would print 1.0 as 1. */
export function toJson(body: unknown): string {
  return JSON.stringify(body).replace(/"length_factor":(\d+)(?=[,}])/g, '"length_factor":$1.0');
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(toJson(body));
}

export function sendOk(reply: FastifyReply, message: string, data: unknown): FastifyReply {
  const env: Envelope = { status: 200, success: true, message, errors: [], data };
  return sendJson(reply, 200, env);
}

/** DRF's 401 answers, word for word. */
export function sendUnauthorized(reply: FastifyReply, given: boolean): FastifyReply {
  return reply
    .code(401)
    .header('WWW-Authenticate', 'Bearer realm="api"')
    .send({ detail: given ? 'Invalid token.' : 'Authentication credentials were not provided.' });
}

/** Core field names in TingTing's words. */
const FIELD: Record<string, string> = { to: 'number', code: 'otp', code_length: 'otp_length', channel: 'sms_send_options' };

/** Any error a TingTing route can raise, as a TingtingError (5xx details hidden). */
export function translate(err: unknown): TingtingError {
  if (err instanceof TingtingError) return err;
  if (err instanceof VerifyError) {
    const field = err.field ? FIELD[err.field] ?? err.field : 'non_field_errors';
    if (err.code === 'insufficient_balance')
      return new TingtingError(402, 'Insufficient credits: the account has too few credits left to send this OTP. Top up the account and retry.', [{ credits: ['Insufficient credits.'] }]);
    if (err.status === 429)
      return new TingtingError(429, `Too many requests: ${err.message}.`, [{ [field]: [err.message] }], err.retryAfter);
    if (err.status >= 500) return internal();
    return new TingtingError(err.status, err.message, [{ [field]: [err.message] }]);
  }
  const fe = err as FastifyError;
  const status = fe.statusCode ?? 500;
  if (status === 415) return requestError(415, 'Unsupported media type in request; send JSON with Content-Type: application/json.');
  if (status === 413) return requestError(413, 'Request body too large; the limit is 1 MB.');
  if (status === 400 && (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError))
    return requestError(400, 'JSON parse error: the body is not valid JSON.');
  if (status >= 400 && status < 500) return requestError(status, fe.message || 'Bad request.');
  return internal();
}

/** A refusal of the request as a whole: `errors` still names something (DRF's non_field_errors). */
function requestError(status: number, message: string): TingtingError {
  return new TingtingError(status, message, [{ non_field_errors: [message] }]);
}

function internal(): TingtingError {
  return new TingtingError(500, 'Internal server error. It was logged; retry later.');
}

export function tingtingErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const t = translate(err);
  if (t.status >= 500) req.log.error({ err }, 'tingting request failed');
  if (t.retryAfter !== undefined) void reply.header('Retry-After', String(t.retryAfter));
  const env: Envelope = { status: t.status, success: false, message: t.message, errors: t.errors, data: null };
  void sendJson(reply, t.status, env);
}
