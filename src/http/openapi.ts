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
