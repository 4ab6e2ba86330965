/**
 * The dev inbox (mailpit for SMS and calls): what the embedded carrier received, as a live page,
 * JSON, a clear button and, for voice, the call as sound. Registered only when dev_inbox.enabled
 * (off under NODE_ENV=production unless OTPGATE_DEV_INBOX=1 or the config says so).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Gateway } from '../../gateway.ts';
import { AudioUnavailableError, VoiceAudio } from './audio.ts';
import { inboxLiveRoute } from './live.ts';
import { InboxItem, presentInboxItem } from './present.ts';

const PAGE = fileURLToPath(new URL('../../../web/inbox.html', import.meta.url));

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) });

export interface InboxRouteOptions {
  gw: Gateway;
  /** Voice rendering; tests pass one with a missing binary to see the page without espeak-ng. */
  audio?: VoiceAudio;
}

export async function inboxRoutes(app: FastifyInstance, opts: InboxRouteOptions): Promise<void> {
  const { gw } = opts;
  const audio = opts.audio ?? new VoiceAudio();
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const page = readFileSync(PAGE, 'utf8');
  const reveal = (sealed: string) => gw.verify.tryRevealCode({ code_sealed: sealed });

  r.get('/inbox', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page),
  );

  r.get(
    '/inbox/api/messages',
    {
      schema: {
        tags: ['dev inbox'],
        summary: 'Messages the dev inbox received, newest first (with the code, for tests); `audio` says whether voice calls can be played',
        querystring: Type.Object({ to: Type.Optional(Type.String({ maxLength: 64 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: {
          200: Type.Object({
            data: Type.Array(InboxItem),
            audio: Type.Object({ available: Type.Boolean(), hint: Type.Optional(Type.String()) }),
          }),
        },
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
      return { data: rows.map((e) => presentInboxItem(e, reveal)), audio: await audio.status() };
    },
  );

  r.delete('/inbox/api/messages', { schema: { tags: ['dev inbox'], summary: 'Clear the dev inbox' } }, async () => {
    await gw.inbox.clear();
    return { cleared: true };
  });

  r.get(
    '/inbox/api/messages/:id/audio.wav',
    {
      schema: {
        tags: ['dev inbox'],
        summary: 'A voice message read aloud by espeak-ng (audio/wav); 503 audio_unavailable names the fix when it is missing',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'audio/wav' }), 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (req, reply) => {
      const entry = await gw.inbox.get(Number(req.params.id));
      if (!entry)
        return reply.status(404).send({ error: { code: 'inbox_message_not_found', message: `no dev inbox message ${req.params.id}; list them at /inbox/api/messages`, field: 'id' } });
      if (entry.channel !== 'voice')
        return reply.status(404).send({ error: { code: 'no_audio', message: `dev inbox message ${entry.id} is ${entry.channel.toUpperCase()}; only voice calls have audio`, field: 'id' } });
      try {
        const wav = await audio.render(entry.message_id, entry.text, entry.locale);
        return reply.type('audio/wav').header('cache-control', 'private, max-age=3600').send(wav);
      } catch (err) {
        if (!(err instanceof AudioUnavailableError)) throw err;
        return reply.status(503).send({ error: { code: err.code, message: err.message } });
      }
    },
  );

  await app.register(inboxLiveRoute, { gw });
}
