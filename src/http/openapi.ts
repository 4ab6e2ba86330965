/**
 * The OpenAPI document lists every status a route can answer: the ones its own schema declares,
 * plus those the shared plumbing gives every route of its kind before its handler runs (a bad or
 * oversized body, a wrong media type, a bad path, a missing key, an internal error). Added to the
 * document only (@fastify/swagger's `transform`): a response schema on the route itself would
 * reshape the family's own error bodies when serialized.
 */
import type { FastifySchema, RouteOptions } from 'fastify';

const ANY = (description: string) => ({ description, type: 'object', additionalProperties: true });

/** Statuses the plumbing may answer for a route, with why. Pure; used by the transform and the test that holds it to it. */
export function plumbingStatuses(schema: FastifySchema & { security?: unknown; hide?: boolean }, methods: readonly string[]): Record<number, string> {
  const out: Record<number, string> = { 500: 'an internal error (logged; details hidden)' };
  const takesBody = schema.body !== undefined || methods.some((m) => ['POST', 'PUT', 'PATCH'].includes(m));
  if (takesBody) {
    out[400] = 'the body is not valid JSON, or a field is missing or wrong (the error names it)';
    out[413] = 'the body is over the 1 MB limit';
    out[415] = 'the body is not JSON (send Content-Type: application/json)';
  }
  if (schema.params !== undefined) {
    out[400] ??= 'a path parameter is malformed';
    out[414] = 'a path parameter is too long';
  }
  if (schema.querystring !== undefined || schema.headers !== undefined) out[400] ??= 'a query parameter or header is wrong (the error names it)';
  if (schema.security !== undefined) out[401] = 'no API key, or one not valid for this API';
  return out;
}

/** @fastify/swagger `transform`: the route's schema with the plumbing's statuses added to its responses. */
export function documentStatuses({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (!schema || (schema as { hide?: boolean }).hide) return { schema, url };
  const methods = [route.method].flat().map(String);
  // A route that declares no response gets swagger's "200 Default Response"; keep it beside the added ones.
  const response: Record<string, unknown> = { ...((schema.response as Record<string, unknown>) ?? { 200: ANY('the answer') }) };
  for (const [status, why] of Object.entries(plumbingStatuses(schema, methods))) if (!(status in response)) response[status] = ANY(why);
  return { schema: { ...schema, response }, url };
}

/** A schema object shown once under components.schemas by name and referenced wherever a route uses it. */
export type NamedSchemas = ReadonlyArray<readonly [name: string, schema: object]>;

/**
 * Registers `named` as shared schemas (so @fastify/swagger lists them under components.schemas)
 * and returns a `transform` that also replaces each use of those very objects (by identity, at any
 * depth of a route's body and responses) with a $ref to its name, in the document only.
 */
export function namedComponents(
  app: { addSchema(s: object): unknown },
  named: NamedSchemas,
): (input: { schema: FastifySchema; url: string; route: RouteOptions }) => { schema: FastifySchema; url: string } {
  const names = new Map<object, string>();
  for (const [name, schema] of named) {
    names.set(schema, name);
    app.addSchema({ ...schema, $id: name });
  }
  const swap = (node: unknown, depth = 0): unknown => {
    if (node === null || typeof node !== 'object' || depth > 8) return node;
    const name = names.get(node);
    if (name) return { $ref: `${name}#` };
    if (Array.isArray(node)) return node.map((n) => swap(n, depth + 1));
    const out: Record<string | symbol, unknown> = {};
    for (const key of Reflect.ownKeys(node)) out[key] = swap((node as Record<string | symbol, unknown>)[key], depth + 1);
    return out;
  };
  return (input) => {
    const { schema, url } = documentStatuses(input);
    if (!schema || (schema as { hide?: boolean }).hide) return { schema, url };
    const s = schema as Record<string, unknown>;
    return { schema: { ...s, ...(s.body ? { body: swap(s.body) } : {}), ...(s.response ? { response: swap(s.response) } : {}) } as FastifySchema, url };
  };
}
