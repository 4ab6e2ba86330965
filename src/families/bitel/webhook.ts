/**
 * The Bitel family's webhook setting (an otpgate addition: Bitel sets it in its panel), so an
 * account whose keys are scoped to this family can point status callbacks at its receiver.
 * Bodies are always in Bitel's shape (src/families/bitel/webhook-body.ts), signed with the native
 * header as well. GET/PUT/DELETE /api/v1/webhook in the {result, error} envelope; the secret is
 * shown once, when PUT generates it.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Gateway } from '../../gateway.ts';
import { bindCaseInsensitive, principal } from './binding.ts';
import { BitelError, ok } from './envelope.ts';
import * as S from './schemas.ts';

const security = [{ bearer: [] }];

const WebhookBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives one POST per status change' }),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'signing secret (send one to rotate); kept or generated when absent' })),
});

const WebhookResult = Type.Object({
  url: Type.String(),
  secretLast4: Type.String(),
  secret: Type.Optional(Type.String({ description: 'only when this PUT generated it: store it now' })),
});

export function webhookRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/webhook',
    { schema: { tags: ['bitel'], summary: 'otpgate: the Bitel-style webhook of this account', security, response: { 200: S.Ok(WebhookResult), ...S.errors } } },
    async (req) => {
      const hook = await gw.webhooks.get(principal(req).account.id);
      if (!hook) throw new BitelError(404, 'NotFound', 'no webhook is set; set one with PUT /api/v1/webhook {"url": "https://…"}');
      return ok({ url: hook.url, secretLast4: hook.secret.slice(-4) });
    },
  );

  r.put(
    '/api/v1/webhook',
    {
      schema: { tags: ['bitel'], summary: 'otpgate: set the webhook; bodies in Bitel\'s shape, signed', security, body: WebhookBody, response: { 200: S.Ok(WebhookResult), ...S.errors } },
      preValidation: bindCaseInsensitive(WebhookBody),
    },
    async (req) => {
      const saved = await gw.webhooks.set(principal(req).account.id, { url: req.body.url, secret: req.body.secret, format: 'bitel' });
      return ok({ url: saved.url, secretLast4: saved.secret.slice(-4), ...(saved.generated ? { secret: saved.secret } : {}) });
    },
  );

  r.delete(
    '/api/v1/webhook',
    { schema: { tags: ['bitel'], summary: 'otpgate: remove the webhook (pending deliveries are given up)', security, response: { 200: S.Ok(Type.Boolean()), ...S.errors } } },
    async (req) => {
      await gw.webhooks.remove(principal(req).account.id);
      return ok(true);
    },
  );
}
