/** The dev inbox: what the embedded carrier received, as JSON, a live page (SSE) and a clear button. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { textDirection } from '../../core/templates.ts';
import type { Gateway } from '../../gateway.ts';

const PAGE = fileURLToPath(new URL('../../../web/inbox.html', import.meta.url));

const InboxItem = Type.Object({
  id: Type.Integer(),
  message_id: Type.String(),
  to: Type.String(),
  channel: Type.String(),
  text: Type.String(),
  code: Type.Union([Type.String(), Type.Null()]),
  locale: Type.String(),
  direction: Type.String(),
  encoding: Type.String(),
  segments: Type.Integer(),
  received_at: Type.String(),
});

export async function inboxRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const page = readFileSync(PAGE, 'utf8');

  r.get('/inbox', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));

  r.get(
    '/inbox/api/messages',
    {
      schema: {
        tags: ['dev inbox'],
        summary: 'Messages the dev inbox received, newest first (with the code, for tests)',
        querystring: Type.Object({ to: Type.Optional(Type.String({ maxLength: 64 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Object({ data: Type.Array(InboxItem) }) },
      },
      // A query string has only strings and the app validates without coercion: "?limit=200" is the number 200.
      preValidation: async (req) => {
        const q = req.query as Record<string, unknown>;
        if (typeof q.limit === 'string' && /^[0-9]{1,9}$/.test(q.limit)) q.limit = Number(q.limit);
      },
    },
    async (req) => {
      const to = req.query.to ? gw.verify.normalize(req.query.to, 'US', 'voice') : undefined;
      const rows = await gw.inbox.list(req.query.limit ?? 100, to);
      return {
        data: rows.map((e) => ({
          id: e.id,
          message_id: e.message_id,
          to: e.to_number,
          channel: e.channel,
          text: e.text,
          code: e.code_sealed ? gw.verify.revealCode({ code_sealed: e.code_sealed }) : null,
          locale: e.locale,
          direction: textDirection(e.locale),
          encoding: e.encoding,
          segments: e.segments,
          received_at: new Date(e.created_at).toISOString(),
        })),
      };
    },
  );

  r.delete('/inbox/api/messages', { schema: { tags: ['dev inbox'], summary: 'Clear the dev inbox' } }, async () => {
    await gw.inbox.clear();
    return { cleared: true };
  });

  // Server-sent events: one line per new message or clear; the page re-fetches the list.
  r.get('/inbox/events', { schema: { hide: true } }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const off = gw.hub.on((e) => {
      if (e.type === 'inbox.new' || e.type === 'inbox.cleared') res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      else if (e.type === 'message.status') res.write(`event: status\ndata: ${JSON.stringify({ message_id: e.messageId, status: e.status })}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000).unref();
    req.raw.on('close', () => {
      off();
      clearInterval(ping);
    });
  });
}
