/**
 * Native webhook settings: GET/PUT/DELETE /v1/webhook. PUT sets the URL, the body format and
 * the signing secret (generated when the account has none and then shown once, like API keys).
 * GET /v1/webhook/deliveries is the delivery log, so failed and given-up deliveries can be seen.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Gateway } from '../../gateway.ts';
import type { WebhookDelivery } from '../../store/schema.ts';
import { VerifyError } from '../../verify/errors.ts';
import { WEBHOOK_FORMATS } from '../webhook-formats.ts';
import { WEBHOOK_EVENT_NAMES } from '../../core/webhook-events.ts';
import type { ApiKeyAuth } from '../../http/auth.ts';
import { nativeErrorHandler } from '../../http/errors.ts';
import { requireNativeKey } from './guard.ts';
import { ErrorOut } from './schemas.ts';

const security = [{ bearer: [] }];
const errors = { 400: ErrorOut, 401: ErrorOut };

const Format = Type.Union(WEBHOOK_FORMATS.map((f) => Type.Literal(f)), { description: 'body shape: native, Bitel\'s, or Vonage\'s verify status callback' });

const PutBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives the POSTs' }),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'signing secret (send one to rotate); when absent the current one is kept, or one is generated' })),
    format: Type.Optional(Format),
    events: Type.Optional(
      Type.Union([
        Type.Array(Type.Union(WEBHOOK_EVENT_NAMES.map((e) => Type.Literal(e))), { minItems: 1, maxItems: 32 }),
        Type.Null(),
      ], { description: 'the status changes to POST, as Kannel\'s dlr-mask: e.g. ["message.final", "verification.approved"]; message.<status>, verification.<status>, message.final (delivered, undelivered, failed, expired, canceled), message.*, verification.*, * ; null = every change; when absent the current filter is kept' }),
    ),
  },
  { additionalProperties: false },
);

const WebhookOut = Type.Object({
  url: Type.String(),
  format: Type.String(),
  secret_last4: Type.String(),
  events: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'the status changes POSTed; null = every change' }),
  secret: Type.Optional(Type.String({ description: 'only in the answer to a PUT that generated it: store it now' })),
});

const DeliveryQuery = Type.Object({
  state: Type.Optional(Type.Union(['pending', 'delivered', 'dead'].map((s) => Type.Literal(s)), { description: 'dead = given up' })),
  subject_id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$', description: 'a message or verification id' })),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'next_cursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

const DeliveryOut = Type.Object({
  id: Type.String({ description: 'the id the body and X-Otpgate-Delivery carry' }),
  event: Type.String(),
  subject_id: Type.String(),
  status: Type.String({ description: 'the status change it reports' }),
  state: Type.String({ description: 'pending (waiting for its first or next try), delivered, or dead (given up)' }),
  attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  url: Type.String(),
  created_at: Type.String(),
  next_attempt_at: Type.Union([Type.String(), Type.Null()], { description: 'while pending' }),
  delivered_at: Type.Union([Type.String(), Type.Null()]),
});

const iso = (ms: number) => new Date(ms).toISOString();

function presentDelivery(d: WebhookDelivery) {
  return {
    id: String(d.id),
    event: d.event,
    subject_id: d.subject_id,
    status: d.status,
    state: d.state,
    attempts: d.attempts,
    last_error: d.last_error,
    url: d.url,
    created_at: iso(d.created_at),
    next_attempt_at: d.state === 'pending' ? iso(d.next_attempt_at) : null,
    delivered_at: d.delivered_at === null ? null : iso(d.delivered_at),
  };
}

export async function webhookRoutes(app: FastifyInstance, opts: { gw: Gateway; auth: ApiKeyAuth }): Promise<void> {
  const { gw, auth } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(nativeErrorHandler);
  app.addHook('onRequest', requireNativeKey(auth));

  r.get(
    '/v1/webhook',
    { schema: { tags: ['webhooks'], summary: 'The account\'s webhook', security, response: { 200: WebhookOut, ...errors, 404: ErrorOut } } },
    async (req) => {
      const hook = await gw.webhooks.get(req.principal!.account.id);
      if (!hook) throw new VerifyError('webhook_not_configured', 404, 'no webhook is set; set one with PUT /v1/webhook {"url": "https://…"}');
      return { url: hook.url, format: hook.format, secret_last4: hook.secret.slice(-4), events: hook.events ? [...hook.events] : null };
    },
  );

  r.put(
    '/v1/webhook',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Set the webhook: each status change of a message or verification (all, or those in events) is POSTed there, signed',
        security,
        body: PutBody,
        response: { 200: WebhookOut, ...errors },
      },
    },
    async (req) => {
      const b = req.body;
      const saved = await gw.webhooks.set(req.principal!.account.id, { url: b.url, secret: b.secret, format: b.format ?? 'native', events: b.events });
      return { url: saved.url, format: saved.format, secret_last4: saved.secret.slice(-4), events: saved.events ? [...saved.events] : null, ...(saved.generated ? { secret: saved.secret } : {}) };
    },
  );

  r.get(
    '/v1/webhook/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'The delivery log, newest first: delivered, waiting for a retry (with the last error), or given up',
        security,
        querystring: DeliveryQuery,
        response: { 200: Type.Object({ data: Type.Array(DeliveryOut), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
      // The app validates without coercion: "?limit=3" is the number 3.
      preValidation: async (req) => {
        const q = req.query as Record<string, unknown>;
        if (typeof q.limit === 'string' && /^[0-9]{1,9}$/.test(q.limit)) q.limit = Number(q.limit);
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const rows = await gw.webhooks.deliveries({
        accountId: req.principal!.account.id,
        state: q.state,
        subjectId: q.subject_id,
        before: q.cursor === undefined ? undefined : Number(q.cursor),
        limit,
      });
      return { data: rows.map(presentDelivery), next_cursor: rows.length === limit ? String(rows[rows.length - 1].id) : null };
    },
  );

  r.post(
    '/v1/webhook/deliveries/:id/retry',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivered or given-up delivery again (a new delivery, with its own retries)',
        security,
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$', description: 'a delivery id from GET /v1/webhook/deliveries' }) }),
        response: { 201: DeliveryOut, ...errors, 404: ErrorOut, 409: ErrorOut },
      },
    },
    async (req, reply) => {
      const copy = await gw.webhooks.redeliver(req.principal!.account.id, Number(req.params.id));
      return reply.status(201).send(presentDelivery(copy));
    },
  );

  r.delete(
    '/v1/webhook',
    { schema: { tags: ['webhooks'], summary: 'Remove the webhook (pending deliveries are given up, state dead)', security, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      await gw.webhooks.remove(req.principal!.account.id);
      return reply.status(204).send(null);
    },
  );
}
