/**
 * Vonage's errors: RFC 7807 problem details `{type, title, detail, instance}` as Vonage Verify v2
 * answers them (titles, types and statuses as in Vonage's own SDK fixtures: 400 "Invalid Code",
 * 404 "Not Found", 409 "Conflict", 410 gone after too many codes, 429 "Rate Limit Hit"), with
 * `invalid_parameters` [{name, reason}] on 422. `instance` is a fresh UUID per answer, as Vonage's.
 * The core's stable snake_case code travels in the X-Otpgate-Error-Code header.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../../http/errors.ts';

export const CODE_HEADER = 'x-otpgate-error-code';
const API_ERRORS = 'https://developer.nexmo.com/api-errors';

export interface Problem {
  type: string;
  title: string;
  detail: string;
  instance: string;
  invalid_parameters?: Array<{ name: string; reason: string }>;
  request_id?: string;
}

/** An error raised in a Vonage route with its problem already chosen. */
export class VonageProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly type: string,
    detail: string,
    readonly code: string,
    readonly extra: Partial<Pick<Problem, 'invalid_parameters' | 'request_id'>> = {},
    readonly retryAfter?: number,
  ) {
    super(detail);
    this.name = 'VonageProblem';
  }
}

export const invalidParams = (name: string, reason: string, code = 'invalid_value') =>
  new VonageProblem(422, 'Invalid params', `${API_ERRORS}#invalid-param`, 'The value of one or more parameters is invalid.', code, { invalid_parameters: [{ name, reason }] });

export const requestNotFound = (requestId: string) =>
  new VonageProblem(404, 'Not Found', `${API_ERRORS}#not-found`, `Request '${requestId}' was not found or it has been verified already.`, 'verification_not_found');

export const conflict = (detail: string, code: string, requestId?: string) =>
  new VonageProblem(409, 'Conflict', 'https://www.developer.vonage.com/api-errors/verify#conflict', detail, code, requestId ? { request_id: requestId } : {});

export const invalidCode = () =>
  new VonageProblem(400, 'Invalid Code', `${API_ERRORS}#bad-request`, 'The code you provided does not match the expected value.', 'invalid_code');

export const tooManyCodes = () =>
  new VonageProblem(410, 'Invalid Code', `${API_ERRORS}#gone`, 'An incorrect code has been provided too many times. Workflow terminated.', 'verification_max_attempts_reached');

const throttled = (detail: string, code: string, retryAfter?: number) =>
  new VonageProblem(429, 'Rate Limit Hit', 'https://www.developer.vonage.com/api-errors#throttled', `Please wait, then retry your request (${detail})`, code, {}, retryAfter ?? 1);

/** Core field names → Vonage parameter names. */
const FIELDS: Record<string, string> = { to: 'workflow[0].to', locale: 'locale', code: 'code' };

/** Core codes (src/verify, the abuse decision) → problems. */
function fromCore(code: string, detail: string, field: string | undefined, retryAfter: number | undefined): VonageProblem | undefined {
  switch (code) {
    case 'invalid_phone_number':
    case 'unsupported_destination':
    case 'invalid_locale':
    case 'invalid_template':
      return invalidParams(field ? (FIELDS[field] ?? field) : 'workflow', detail, code);
    case 'insufficient_balance':
      return new VonageProblem(402, 'Low balance', `${API_ERRORS}#low-balance`, detail, code);
    case 'spend_cap_reached':
    case 'suspected_fraud':
    case 'geo_permission_denied':
      return new VonageProblem(403, 'Forbidden', `${API_ERRORS}#forbidden`, detail, code);
    case 'max_sends_reached':
    case 'resend_cooldown':
    case 'resend_conflict':
    case 'rate_limited':
      return throttled(detail, code, retryAfter);
    case 'verification_max_attempts_reached':
      return tooManyCodes();
    default:
      return undefined;
  }
}

export function toVonage(err: FastifyError | Error): { status: number; problem: Problem; code: string; retryAfter?: number } {
  const out = (p: VonageProblem) => ({
    status: p.status,
    problem: { type: p.type, title: p.title, detail: p.message, instance: randomUUID(), ...p.extra },
    code: p.code,
    retryAfter: p.retryAfter,
  });
  if (err instanceof VonageProblem) return out(err);
  // A malformed request_id in the path names no request: Vonage's 404.
  if ((err as { validationContext?: string }).validationContext === 'params')
    return out(new VonageProblem(404, 'Not Found', `${API_ERRORS}#not-found`, `${describeError(err).message}; use the request_id a new request answered`, 'verification_not_found'));
  const d = describeError(err);
  if (d.status >= 500) return out(new VonageProblem(500, 'Internal Error', `${API_ERRORS}#internal-error`, 'An internal error occurred; it was logged, retry later.', 'internal_error'));
  const core = fromCore(d.code, d.message, d.field, d.retryAfter);
  if (core) return out(core);
  if (d.code.startsWith('verification_') || d.code.endsWith('_not_found')) return out(new VonageProblem(404, 'Not Found', `${API_ERRORS}#not-found`, d.message, d.code));
  if (d.status === 401) return out(new VonageProblem(401, 'Unauthorized', `${API_ERRORS}#unauthorized`, 'You did not provide correct credentials.', d.code));
  if (d.code === 'invalid_json' || d.status === 413 || d.status === 415 || d.status === 404)
    return out(new VonageProblem(d.status === 404 ? 404 : d.status === 400 ? 400 : d.status, d.status === 404 ? 'Not Found' : 'Bad Request', `${API_ERRORS}#bad-request`, d.message, d.code));
  // Schema validation: Vonage's 422 naming the parameter and why.
  return out(invalidParams(d.field ? (FIELDS[d.field] ?? d.field.replace(/\.(\d+)(?=\.|$)/g, '[$1]')) : 'body', d.message, d.code));
}

export function vonageErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const f = toVonage(err);
  if (f.status >= 500) req.log.error({ err }, 'vonage request failed');
  if (f.retryAfter !== undefined) reply.header('retry-after', String(f.retryAfter));
  reply.header(CODE_HEADER, f.code);
  void reply.status(f.status).type('application/problem+json').send(f.problem);
}
