/**
 * How Bitel requests bind, before any schema runs: the API key from `Authorization: Bearer …`
 * (header and scheme in any case, as Bitel's public clients send `authorization: bearer …`), and
 * body field names in any case (Bitel's documents show both `PhoneNumber` and `phoneNumber`; its
 * .NET binder is case-insensitive, the last of two spellings wins).
 */
import type { FastifyRequest, onRequestAsyncHookHandler, preValidationAsyncHookHandler } from 'fastify';
import type { ApiKeyAuth, Principal } from '../../http/auth.ts';
import { canonicalCode } from '../../core/text.ts';
import { BitelError } from './envelope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function bitelAuth(auth: ApiKeyAuth): onRequestAsyncHookHandler {
  return async (req) => {
    const p = await auth.fromHeader(req.headers.authorization, 'bitel');
    if (!p)
      throw new BitelError(401, 'Unauthorized', 'send a valid API key scoped to the bitel family as "Authorization: Bearer <key>"');
    req.principal = p;
  };
}

export function principal(req: FastifyRequest): Principal {
  return req.principal!;
}

/** Renames the body's keys to the schema's spelling, ignoring case; unknown keys stay as sent. */
export function canonicalKeys(body: unknown, fields: readonly string[]): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const byLower = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === '__proto__') continue;
    out[byLower.get(key.toLowerCase()) ?? key] = value;
  }
  return out;
}

/**
 * A preValidation hook binding the body to `schema`'s property names case-insensitively. The
 * `codes` fields hold a code: read in its canonical form (any script's digits as ASCII, invisible
 * format characters dropped) before the schema checks it, as a user typed "۱۲۳۴" for 1234.
 */
export function bindCaseInsensitive(schema: { properties: Record<string, unknown> }, codes: readonly string[] = []): preValidationAsyncHookHandler {
  const fields = Object.keys(schema.properties);
  return async (req) => {
    const body = canonicalKeys(req.body, fields);
    if (body !== null && typeof body === 'object' && !Array.isArray(body))
      for (const f of codes) {
        const b = body as Record<string, unknown>;
        if (typeof b[f] === 'string') b[f] = canonicalCode(b[f] as string);
      }
    req.body = body;
  };
}
