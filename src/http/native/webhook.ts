/**
 * Native webhook settings: GET/PUT/DELETE /v1/webhook. PUT sets the URL, the body format and
 * the signing secret (generated when absent and then shown once, like API keys).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Gateway } from '../../gateway.ts';
import { VerifyError } from '../../verify/errors.ts';
import { WEBHOOK_FORMATS } from '../../webhooks/formats/index.ts';
import type { ApiKeyAuth } from '../auth.ts';
import { nativeErrorHandler } from '../errors.ts';
import { ErrorOut } from './schemas.ts';

const security = [{ bearer: [] }];
const errors = { 400: ErrorOut, 401: ErrorOut };

const Format = Type.Union(WEBHOOK_FORMATS.map((f) => Type.Literal(f)), { description: 'body shape: native, or Bitel\'s' });

const PutBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives the POSTs' }),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'signing secret; generated when absent' })),
    format: Type.Optional(Format),
  },
  { additionalProperties: false },
);

const WebhookOut = Type.Object({
  url: Type.String(),
  format: Type.String(),
  secret_last4: Type.String(),
  secret: Type.Optional(Type.String({ description: 'only in the answer to a PUT that generated it: store it now' })),
});

export async function webhookRoutes(app: FastifyInstance, opts: { gw: Gateway; auth: ApiKeyAuth }): Promise<void> {
  const { gw, auth } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(nativeErrorHandler);
  app.addHook('onRequest', async (req) => {
    const p = await auth.fromHeader(req.headers.authorization, 'native');
    if (!p)
      throw new VerifyError('unauthorized', 401, 'send a valid API key as "Authorization: Bearer <key>" (create one with `otpgate keys create`)', 'Authorization');
    req.principal = p;
  });

  r.get(
    '/v1/webhook',
    { schema: { tags: ['webhooks'], summary: 'The account\'s webhook', security, response: { 200: WebhookOut, ...errors, 404: ErrorOut } } },
    async (req) => {
      const hook = await gw.webhooks.get(req.principal!.account.id);
      if (!hook) throw new VerifyError('webhook_not_configured', 404, 'no webhook is set; set one with PUT /v1/webhook {"url": "https://…"}');
      return { url: hook.url, format: hook.format, secret_last4: hook.secret.slice(-4) };
    },
  );

  r.put(
    '/v1/webhook',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Set the webhook: every status change of a message or verification is POSTed there, signed',
        security,
        body: PutBody,
        response: { 200: WebhookOut, ...errors },
      },
    },
    async (req) => {
      const b = req.body;
      let url: URL | undefined;
      try {
        url = new URL(b.url);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password)
        throw new VerifyError('invalid_url', 400, 'url must be an absolute http:// or https:// URL without credentials', 'url');
      const saved = await gw.webhooks.set(req.principal!.account.id, { url: url.href, secret: b.secret, format: b.format ?? 'native' });
      return { url: saved.url, format: saved.format, secret_last4: saved.secret.slice(-4), ...(b.secret ? {} : { secret: saved.secret }) };
    },
  );

  r.delete(
    '/v1/webhook',
    { schema: { tags: ['webhooks'], summary: 'Remove the webhook (pending deliveries are dropped)', security, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      await gw.webhooks.remove(req.principal!.account.id);
      return reply.status(204).send(null);
    },
  );
}
