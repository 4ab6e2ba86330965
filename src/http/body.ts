/**
 * Request bodies as real clients send them:
 * - an empty body with `Content-Type: application/json` on a route that takes no body (cancel,
 *   retry; HTTP client libraries set the header on every POST) is no body, not bad JSON; a route
 *   that takes a body still answers `invalid_json` ("the body is empty");
 * - a body over the limit gets its 413 even from clients that write the whole body before reading
 *   the answer (Node's fetch/undici, many SDKs): the rest of the body is read and discarded, up to
 *   a bound, before the answer is sent and the connection closed. Closing at once resets the
 *   socket under the client's write (EPIPE), and the client never sees the 413.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Bytes of an oversized body read and thrown away so the client can read its 413; beyond it the socket is closed. */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
/** A client that stops sending is not waited for longer than this, ms. */
const DRAIN_TIMEOUT_MS = 15_000;

/** Replaces the app's JSON parser with one that reads an empty body as none on body-less routes. */
export function emptyBodyTolerantJson(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (text.trim() === '' && !req.routeOptions.schema?.body) return done(null, undefined);
    json(req, text, done);
  });
}

/** Reads and discards what is left of a request body, up to `limit` bytes or the timeout. */
export function drainBody(raw: IncomingMessage, limit = DRAIN_LIMIT_BYTES): Promise<void> {
  if (raw.complete || raw.readableEnded || raw.destroyed) return Promise.resolve();
  // Announced larger than the bound: not worth reading; the connection is closed at once.
  if (Number(raw.headers['content-length']) > limit) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', finish);
      raw.off('error', finish);
      raw.off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) finish();
    };
    const timer = setTimeout(finish, DRAIN_TIMEOUT_MS).unref();
    raw.on('data', onData);
    raw.once('end', finish);
    raw.once('error', finish);
    raw.once('close', finish);
    raw.resume();
  });
}

/**
 * An onError hook (runs before any family's error handler): on a 413, drain the body, then let
 * the handler answer in its family's shape with `Connection: close`.
 */
export async function drainOversized(req: FastifyRequest, reply: FastifyReply, err: FastifyError): Promise<void> {
  if (err.statusCode !== 413 && err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') return;
  reply.header('connection', 'close');
  await drainBody(req.raw);
}
