/**
 * Bitel's envelope: `{"result": …, "error": null}` on success, `{"result": null, "error": "<Code>"}`
 * with a 4xx on failure. Every error a Bitel route can raise (validation, body parsing, a 413,
 * VerifyErrors of the core) becomes one of Bitel's string codes; 5xx hide their details. The
 * native sentence naming the cause and the fix travels in the X-Otpgate-Error header, so the
 * body keeps Bitel's exact two keys.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../../http/errors.ts';

export const DETAIL_HEADER = 'x-otpgate-error';

export type BitelCode =
  | 'InvalidRequest'
  | 'InvalidPhoneNumber'
  | 'InvalidGateway'
  | 'InvalidServer'
  | 'Unauthorized'
  | 'NotFound'
  | 'InsufficientBalance'
  | 'TooManyRequests'
  | 'InternalError';

export function ok<T>(result: T): { result: T; error: null } {
  return { result, error: null };
}

/** An error raised in a Bitel route with its Bitel code already chosen. */
export class BitelError extends Error {
  constructor(
    readonly status: number,
    readonly bitelCode: BitelCode,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'BitelError';
  }
}

export const notFound = (id: string) =>
  new BitelError(404, 'NotFound', `no request "${id}" in this account; use the id a send returned`);

/** Core codes (src/verify) → Bitel codes; anything else goes by its HTTP status. */
const CORE: Record<string, [number, BitelCode]> = {
  invalid_phone_number: [400, 'InvalidPhoneNumber'],
  unsupported_destination: [400, 'InvalidPhoneNumber'],
  insufficient_balance: [402, 'InsufficientBalance'],
  resend_cooldown: [429, 'TooManyRequests'],
  max_sends_reached: [429, 'TooManyRequests'],
  resend_conflict: [429, 'TooManyRequests'],
  // The abuse decision (src/abuse/): every refusal is Bitel's TooManyRequests but geo, which has
  // no code of its own in Bitel's list; the number is what the caller must change.
  rate_limited: [429, 'TooManyRequests'],
  suspected_fraud: [429, 'TooManyRequests'],
  spend_cap_reached: [429, 'TooManyRequests'],
  geo_permission_denied: [403, 'InvalidPhoneNumber'],
  unauthorized: [401, 'Unauthorized'],
};

/** Fields whose bad value has its own code in Bitel's documents. */
const FIELD_CODES: Record<string, BitelCode> = { gatewayNumber: 'InvalidGateway', serverId: 'InvalidServer' };

const BY_STATUS: Record<number, BitelCode> = {
  401: 'Unauthorized',
  402: 'InsufficientBalance',
  404: 'NotFound',
  429: 'TooManyRequests',
};

export interface BitelFailure {
  status: number;
  code: BitelCode;
  message: string;
  retryAfter?: number;
}

export function toBitel(err: FastifyError | Error): BitelFailure {
  if (err instanceof BitelError) return { status: err.status, code: err.bitelCode, message: err.message, retryAfter: err.retryAfter };
  const d = describeError(err);
  if (d.status >= 500) return { status: 500, code: 'InternalError', message: 'an internal error occurred; it was logged, retry later' };
  const mapped = CORE[d.code];
  if (mapped) return { status: mapped[0], code: mapped[1], message: d.message, retryAfter: d.retryAfter ?? (mapped[0] === 429 ? 1 : undefined) };
  const field = d.field?.split('.')[0];
  const code = (field && FIELD_CODES[field]) || BY_STATUS[d.status] || (d.field === 'to' ? 'InvalidPhoneNumber' : 'InvalidRequest');
  return { status: d.status, code, message: d.message, retryAfter: d.retryAfter };
}

/** Header values are Latin-1: the sentence may echo caller input, so keep it printable ASCII. */
function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

export function bitelErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const f = toBitel(err);
  if (f.status >= 500) req.log.error({ err }, 'bitel request failed');
  if (f.retryAfter !== undefined) reply.header('retry-after', String(f.retryAfter));
  reply.header(DETAIL_HEADER, headerSafe(f.message));
  void reply.status(f.status).send({ result: null, error: f.code });
}
