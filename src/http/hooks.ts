/**
 * Carrier status callbacks: POST /hooks/<provider name>. The provider parses the body and checks
 * its own signature; the dispatcher records the receipts. Raw bodies are kept for signatures.
 */
import type { FastifyInstance } from 'fastify';
import { ProviderError } from '../providers/types.ts';
import type { Gateway } from '../gateway.ts';

export async function hookRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.all<{ Params: { provider: string } }>('/hooks/:provider', { schema: { hide: true } }, async (req, reply) => {
    const provider = gw.providers.get(req.params.provider);
    if (!provider?.handleCallback)
      return reply.status(404).send({ error: { code: 'unknown_provider', message: `no provider "${req.params.provider}" takes callbacks here`, field: 'provider' } });
    const rawBody = typeof req.body === 'string' ? req.body : '';
    const type = String(req.headers['content-type'] ?? '');
    let body: unknown = rawBody;
    try {
      if (type.includes('json')) body = rawBody ? JSON.parse(rawBody) : {};
      else if (type.includes('x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(rawBody));
    } catch {
      return reply.status(400).send({ error: { code: 'invalid_json', message: 'the callback body is not valid JSON' } });
    }
    const base = gw.config.public_url ?? `${req.protocol}://${req.headers.host}`;
    try {
      const receipts = await provider.handleCallback({
        method: req.method,
        url: base.replace(/\/$/, '') + req.url,
        headers: req.headers,
        body,
        rawBody,
        query: req.query as Record<string, string>,
      });
      await gw.dispatcher.recordReceipts(receipts);
      return reply.status(200).send({ received: receipts.length });
    } catch (err) {
      if (err instanceof ProviderError)
        return reply.status(err.code === 'bad_signature' ? 401 : 400).send({ error: { code: err.code, message: err.message } });
      throw err;
    }
  });
}
