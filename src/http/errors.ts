/**
 * One error handler for the native API (families register their own shapes): validation errors
 * name the field and the fix, VerifyErrors keep their code and status, 5xx hide their details.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { VerifyError } from '../verify/errors.ts';

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

export interface DescribedError {
  status: number;
  code: string;
  message: string;
  field?: string;
  retryAfter?: number;
  /** Extra fields of a refusal (the abuse decision's limit, country, cap), kept in the native body. */
  details?: Record<string, string | number>;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}

/** Turns any error a route can raise into a stable code, a status and a sentence. */
export function describeError(err: FastifyError | Error): DescribedError {
  if (err instanceof VerifyError)
    return { status: err.status, code: err.code, message: err.message, field: err.field, retryAfter: err.retryAfter, details: (err as { details?: Record<string, string | number> }).details };
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) return describeValidation(fe.validation[0], fe.validationContext ?? 'body', fe.validation);
  const status = fe.statusCode ?? 500;
  if (status === 415)
    return { status, code: 'unsupported_media_type', message: 'send the body as JSON with Content-Type: application/json' };
  if (status === 413) return { status, code: 'body_too_large', message: 'the request body is too large; the limit is 1 MB' };
  // The router's own refusals (Fastify's frameworkErrors), before any route or hook runs.
  if (fe.code === 'FST_ERR_BAD_URL')
    return { status: 400, code: 'invalid_path', message: 'the URL path is not valid percent-encoding; encode it with encodeURIComponent' };
  if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return { status: 414, code: 'path_too_long', message: 'a path parameter is too long; ids are 32 hex characters' };
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return { status: 400, code: 'invalid_json', message: 'the body is empty; send a JSON object' };
  if (status === 400 && (err instanceof SyntaxError || /JSON/i.test(fe.code ?? '') || /JSON/.test(err.message)))
    return { status: 400, code: 'invalid_json', message: `the body is not valid JSON (${err.message}); send a JSON object` };
  if (status >= 400 && status < 500) return { status, code: 'bad_request', message: err.message };
  return { status: 500, code: 'internal_error', message: 'an internal error occurred; it was logged, retry later' };
}

export function describeValidation(e: AjvError, where: string, all: AjvError[] = [e]): DescribedError {
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = e.keyword === 'required' ? [path, e.params.missingProperty].filter(Boolean).join('.') : path || where;
  const name = field || where;
  const p = e.params;
  let code = 'invalid_value';
  let message: string;
  switch (e.keyword) {
    case 'required':
      code = 'missing_field';
      message = `${name} is required`;
      break;
    case 'type':
      code = 'invalid_type';
      message = `${name} must be ${p.type === 'object' && !path ? 'a JSON object' : `of type ${p.type}`}`;
      break;
    case 'enum':
      message = `${name} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'const': {
      // A union of literals (channel, status) fails on every branch: name them all, not just the first.
      const allowed = all.filter((x) => x.keyword === 'const' && x.instancePath === e.instancePath).map((x) => JSON.stringify(x.params.allowedValue));
      message = allowed.length > 1 ? `${name} must be one of ${allowed.join(', ')}` : `${name} must be ${JSON.stringify(p.allowedValue)}`;
      break;
    }
    case 'minLength':
    case 'maxLength':
      message = `${name} must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${p.limit} characters long`;
      break;
    case 'minimum':
    case 'maximum':
      message = `${name} must be ${p.comparison} ${p.limit}`;
      break;
    case 'pattern':
      message = `${name} has an invalid format (expected ${p.pattern})`;
      break;
    case 'additionalProperties':
      code = 'unknown_field';
      message = `${[path, p.additionalProperty].filter(Boolean).join('.')} is not a known field; remove it`;
      return { status: 400, code, message, field: [path, p.additionalProperty].filter(Boolean).join('.') };
    case 'anyOf':
    case 'oneOf':
      message = `${name} does not match any allowed form`;
      break;
    default:
      message = `${name} ${e.message ?? 'is invalid'}`;
  }
  return { status: 400, code, message: `${message} (in ${where})`, field: name };
}

export function nativeErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const d = describeError(err);
  if (d.status >= 500) req.log.error({ err }, 'request failed');
  if (d.retryAfter !== undefined) reply.header('Retry-After', String(d.retryAfter));
  const body: ApiErrorBody = { error: { code: d.code, message: d.message, ...(d.field ? { field: d.field } : {}), ...d.details } };
  void reply.status(d.status).send(body);
}
