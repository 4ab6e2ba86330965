/**
 * Shared plumbing of the HTTP carrier providers (twilio, vonage, kavenegar, tingting, bitel, http):
 * one request function with a timeout, one mapping from HTTP status to ProviderError, and the
 * small pieces every vendor file needs (config checks, number formats, signatures, code lookup).
 * Vendor quirks stay in the vendor files; nothing here knows a vendor.
 */
import { createHash, createHmac, createSign, timingSafeEqual } from 'node:crypto';
import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';
import { ProviderConfigError, ProviderError, type CallbackRequest } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as is (set content-type yourself); URLSearchParams as a form; anything else as JSON. */
  body?: string | URLSearchParams | object;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP exchange. Resolves with any HTTP status (the caller maps vendor bodies);
 * rejects only with a retryable ProviderError: 'timeout' or 'network'.
 */
export async function httpRequest(provider: string, url: string, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.body instanceof URLSearchParams) {
    body = req.body.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (typeof req.body === 'string') {
    body = req.body;
  } else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(url, {
      method: req.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: parseJson(text) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new ProviderError('timeout', `${provider}: no answer from ${originOf(url)} within ${req.timeoutMs} ms`, true);
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new ProviderError('network', `${provider}: cannot reach ${originOf(url)} (${why})`, true);
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin; // never log paths: some vendors put the API key in them
  } catch {
    return 'the carrier';
  }
}

/**
 * The error for a non-success HTTP answer: 429, 408 and 5xx are retryable (slow down, retry
 * or fail over); any other 4xx is the carrier refusing this message, so the message fails with
 * the vendor's own code as providerCode (the HTTP status when the vendor gave none).
 */
export function httpError(provider: string, status: number, vendorCode?: string | number, detail?: string): ProviderError {
  const code = vendorCode === undefined || vendorCode === '' ? String(status) : String(vendorCode);
  const tail = detail ? `: ${detail}` : '';
  if (status === 429) return new ProviderError('throttled', `${provider}: rate limited (HTTP 429)${tail}`, true, code);
  if (status === 408 || status >= 500) {
    return new ProviderError('carrier_unavailable', `${provider}: carrier error (HTTP ${status})${tail}`, true, code);
  }
  if (status === 401 || status === 403) {
    return new ProviderError('auth_failed', `${provider}: credentials refused (HTTP ${status})${tail}; check the provider's credentials in config`, false, code);
  }
  return new ProviderError('rejected', `${provider}: carrier refused the message (HTTP ${status})${tail}`, false, code);
}

export function unsupportedChannel(provider: string, channel: string, channels: readonly string[]): ProviderError {
  return new ProviderError(
    'unsupported_channel',
    `${provider}: cannot send channel "${channel}" (this provider is configured for ${channels.join(', ')}); route ${channel} to another provider`,
    false,
  );
}

export function badResponse(provider: string, what: string): ProviderError {
  // Not retryable: the carrier answered 2xx, so it may well have sent the message already.
  return new ProviderError('bad_response', `${provider}: unexpected answer from the carrier (${what})`, false);
}

// ---------------------------------------------------------------- config checks

export function requireString(provider: string, config: object, field: string, fix: string): string {
  const v = (config as Record<string, unknown>)[field];
  if (typeof v !== 'string' || v.trim() === '') throw new ProviderConfigError(provider, field, fix);
  return v;
}

export function optionalString(provider: string, config: object, field: string): string | undefined {
  const v = (config as Record<string, unknown>)[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ProviderConfigError(provider, field, 'must be a string');
  return v;
}

/** Config `base_url` (tests point it at a local fake) or the vendor's default, without a trailing slash. */
export function baseUrlOf(provider: string, config: object, fallback: string, field = 'base_url'): string {
  const v = (config as Record<string, unknown>)[field] ?? fallback;
  if (typeof v !== 'string' || !/^https?:\/\/[^/]+/.test(v)) {
    throw new ProviderConfigError(provider, field, `must be an http(s) URL such as "${fallback}"`);
  }
  return v.replace(/\/+$/, '');
}

export function timeoutOf(provider: string, config: { timeout_ms?: number }): number {
  const v = config.timeout_ms ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(v) || v < 1 || v > 120_000) {
    throw new ProviderConfigError(provider, 'timeout_ms', 'must be an integer number of milliseconds between 1 and 120000 (default 10000)');
  }
  return v;
}

/** Config `channels` checked against what the vendor can do and what the config enables. */
export function channelsOf<C extends string>(
  provider: string,
  configured: readonly string[] | undefined,
  available: Record<C, string | undefined>,
): C[] {
  const usable = (Object.keys(available) as C[]).filter((c) => available[c] === undefined);
  if (configured === undefined) {
    if (usable.length === 0) {
      const why = Object.values<string | undefined>(available).filter(Boolean).join('; ');
      throw new ProviderConfigError(provider, 'channels', `cannot be served: ${why}`);
    }
    return usable;
  }
  if (!Array.isArray(configured) || configured.length === 0) {
    throw new ProviderConfigError(provider, 'channels', `must be a non-empty list of ${Object.keys(available).join(', ')}`);
  }
  for (const c of configured) {
    if (!Object.hasOwn(available, c)) {
      throw new ProviderConfigError(provider, 'channels', `contains "${c}" which this provider cannot send; use ${Object.keys(available).join(', ')}`);
    }
    const missing = available[c as C];
    if (missing !== undefined) throw new ProviderConfigError(provider, 'channels', `lists ${c} but ${missing}`);
  }
  return configured as C[];
}

// ---------------------------------------------------------------- numbers and text

export function parseE164(provider: string, e164: string): PhoneNumber {
  const p = parsePhoneNumberFromString(e164);
  if (!p) throw new ProviderError('invalid_number', `${provider}: "${e164}" is not an E.164 number`, false);
  return p;
}

/** National number of a destination that must be in `country`, with the trunk prefix when asked ("0912…"). */
export function nationalNumber(provider: string, e164: string, country: string, trunkPrefix = ''): string {
  const p = parseE164(provider, e164);
  if (p.country !== country) {
    throw new ProviderError(
      'unsupported_destination',
      `${provider}: only delivers to ${country} numbers, not ${e164}; route other countries to another provider`,
      false,
    );
  }
  return trunkPrefix + p.nationalNumber;
}

// A contiguous run ("123456") or single digits spaced for TTS ("1 2 3 4 5 6"), never "123456 10".
const DEFAULT_CODE_PATTERN = /(?<!\d)(?:\d{4,10}|\d(?: \d){3,9})(?!\d)/g;

/**
 * The OTP inside a rendered SMS text or voice script ("… is 123456." or "… is 1 2 3 4 5 6."),
 * for vendors whose API takes the code apart from the text (Kavenegar lookup, TingTing, Bitel voice).
 * By default the longest run of 4–10 digits (contiguous, or spaced one by one) wins, so an app
 * name like "Shop 2024" does not shadow a 6-digit code; `pattern` (config `code_pattern`) takes its
 * first match, or that match's first capture group. Spaces are removed from the returned code.
 */
export function findCode(provider: string, text: string, pattern?: RegExp, known?: string): { code: string; match: string } {
  // The dispatcher passes the code it filled in; searching the text is the fallback.
  if (known && !pattern) {
    const spaced = Array.from(known).join(' ');
    const hit = text.includes(known) ? known : text.includes(spaced) ? spaced : undefined;
    if (hit) return { code: known, match: hit };
  }
  let match: string | undefined;
  if (pattern) {
    const m = pattern.exec(text);
    match = m ? (m[1] ?? m[0]) : undefined;
  } else {
    for (const m of text.matchAll(DEFAULT_CODE_PATTERN)) {
      if (match === undefined || m[0].replace(/ /g, '').length > match.replace(/ /g, '').length) match = m[0];
    }
  }
  if (!match) {
    throw new ProviderError('no_code', `${provider}: found no code in the message text; set code_pattern to a regex matching it`, false);
  }
  return { code: match.replace(/\s+/g, ''), match };
}

export function codePatternOf(provider: string, config: { code_pattern?: string }): RegExp | undefined {
  if (config.code_pattern === undefined) return undefined;
  try {
    return new RegExp(config.code_pattern);
  } catch (err) {
    throw new ProviderConfigError(provider, 'code_pattern', `is not a valid regular expression (${(err as Error).message})`);
  }
}

const TTS_LANGUAGE: Record<string, string> = {
  en: 'en-US', fa: 'fa-IR', ne: 'ne-NP', ar: 'ar-XA', hi: 'hi-IN', es: 'es-ES',
  fr: 'fr-FR', de: 'de-DE', ru: 'ru-RU', tr: 'tr-TR',
};

/** A TTS language tag with region ("en" → "en-US"); a locale that already has a region passes through. */
export function ttsLanguage(locale: string): string {
  return locale.includes('-') ? locale : (TTS_LANGUAGE[locale] ?? locale);
}

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

// ---------------------------------------------------------------- callbacks

export function headerOf(req: CallbackRequest, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Query and body fields as strings (carriers send callbacks as GET query, form or JSON). */
export function fieldsOf(req: CallbackRequest): Record<string, string> {
  const out: Record<string, string> = { ...req.query };
  if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
    for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
      if (v !== undefined && v !== null) out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  return out;
}

/** A dot path into parsed JSON ("data.id", "messages.0.id"). */
export function dig(value: unknown, path: string): unknown {
  let cur = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hmac(alg: string, key: string, data: string): Buffer {
  return createHmac(alg, key).update(data).digest();
}

/** An HS256 JWT (e.g. Vonage's signed webhooks) checked against `secret`; returns why it is bad, or undefined. */
export function jwtHs256Problem(token: string, secret: string, rawBody?: string): string | undefined {
  const [h, p, s] = token.split('.');
  let header: { alg?: string };
  let claims: { exp?: number; payload_hash?: string };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString());
    claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  } catch {
    return 'malformed JWT';
  }
  if (header.alg !== 'HS256' || !s) return `JWT must be HS256-signed, got ${header.alg}`;
  if (!safeEqual(s, hmac('sha256', secret, `${h}.${p}`).toString('base64url'))) return 'JWT signature does not match the secret';
  if (claims.exp !== undefined && claims.exp < Date.now() / 1000) return 'JWT expired';
  if (rawBody !== undefined && claims.payload_hash !== undefined && claims.payload_hash !== createHash('sha256').update(rawBody).digest('hex')) {
    return 'JWT payload_hash does not match the body';
  }
  return undefined;
}

/** An RS256 JWT over `claims` (e.g. Vonage application auth). */
export function jwtRs256(claims: object, privateKeyPem: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const data = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${data}.${createSign('RSA-SHA256').update(data).sign(privateKeyPem).toString('base64url')}`;
}

export function badSignature(provider: string, why: string): ProviderError {
  return new ProviderError('bad_signature', `${provider}: callback rejected: ${why}`, false);
}

/** Optional shared token for vendors that do not sign callbacks: the hook URL carries ?token=… */
export function checkCallbackToken(provider: string, req: CallbackRequest, token: string | undefined): void {
  if (token === undefined) return;
  if (!safeEqual(req.query.token ?? '', token)) throw badSignature(provider, 'missing or wrong ?token= in the callback URL');
}

export function dateOr(value: unknown, fallback = new Date()): Date {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const n = Number(value);
    return new Date(n < 1e12 ? n * 1000 : n); // epoch seconds or milliseconds
  }
  if (typeof value === 'string' && value) {
    const d = new Date(/^\d{4}-\d\d-\d\d \d/.test(value) ? value.replace(' ', 'T') + 'Z' : value);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return fallback;
}
