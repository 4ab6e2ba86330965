/** Native API v1: verifications, messages, balance. Thin: validate, call the verify service, present. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { formatMicros } from '../../core/pricing.ts';
import { canonicalCode } from '../../core/text.ts';
import { getAccount } from '../../store/accounts.ts';
import { getMessage, listMessages, messageEvents } from '../../store/messages.ts';
import { VerifyError } from '../../verify/errors.ts';
import type { Gateway } from '../../gateway.ts';
import type { ApiKeyAuth, Principal } from '../../http/auth.ts';
import { nativeErrorHandler } from '../../http/errors.ts';
import { requireNativeKey } from './guard.ts';
import { presentMessage, presentVerification } from './present.ts';
import * as S from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const errors = { 400: S.ErrorOut, 401: S.ErrorOut, 404: S.ErrorOut };

/** A code as typed ("۸۹۰۹۳۱", a pasted direction mark) is read in its ASCII form before the schema checks it. */
async function canonicalCodeField(req: FastifyRequest): Promise<void> {
  const b = req.body as Record<string, unknown> | null;
  if (b !== null && typeof b === 'object' && typeof b.code === 'string') b.code = canonicalCode(b.code);
}
const security = [{ bearer: [] }];

export function principal(req: FastifyRequest): Principal {
  return req.principal!;
}

export async function nativeRoutes(app: FastifyInstance, opts: { gw: Gateway; auth: ApiKeyAuth }): Promise<void> {
  const { gw, auth } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(nativeErrorHandler);
  app.addHook('onRequest', requireNativeKey(auth));

  r.post(
    '/v1/verifications',
    {
      schema: {
        tags: ['verify'],
        summary: 'Send a code by SMS or voice (resends the pending one to the same number)',
        security,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
        body: S.SendBody,
        response: { 201: S.VerificationOut, ...errors, 402: S.ErrorOut, 403: S.ErrorOut, 422: S.ErrorOut, 429: S.ErrorOut },
      },
      preValidation: canonicalCodeField,
    },
    async (req, reply) => {
      const { account } = principal(req);
      const b = req.body;
      const key = req.headers['idempotency-key'];
      const res = await gw.verify.send({
        account,
        family: 'native',
        to: b.to,
        channel: b.channel === 'auto' ? 'sms' : b.channel,
        autoVoice: b.channel === 'auto',
        locale: b.locale,
        codeLength: b.code_length,
        code: b.code,
        appName: b.app_name,
        templateId: b.template_id,
        ttlSeconds: b.ttl_seconds,
        apiKeyId: principal(req).key.id,
        ip: b.ip,
        idempotency: typeof key === 'string' ? { key, body: b } : undefined,
      });
      return reply.status(201).send(presentVerification(res.verification, res.message, account.currency));
    },
  );

  r.post(
    '/v1/verifications/check',
    {
      schema: {
        tags: ['verify'],
        summary: 'Check a code (by verification id or by number)',
        security,
        body: S.CheckBody,
        response: { 200: S.CheckOut, ...errors, 429: S.ErrorOut },
      },
      preValidation: canonicalCodeField,
    },
    async (req) => {
      const { account } = principal(req);
      const { id, to, code } = req.body;
      if (!id && !to) throw new VerifyError('missing_field', 400, 'send either id (the verification id) or to (the number)', 'id');
      const res = await gw.verify.check(account, { id, to, code });
      return { id: res.verification.id, status: res.verification.status, valid: res.valid, attempts_left: res.attemptsLeft };
    },
  );

  r.post(
    '/v1/verifications/:id/feedback',
    {
      schema: {
        tags: ['verify'],
        summary: 'Report that the code was used (when you check codes yourself): counts toward conversion for SMS-pumping detection',
        security,
        params: S.IdParams,
        body: S.FeedbackBody,
        response: { 200: S.VerificationOut, ...errors },
      },
    },
    async (req) => presentVerification(await gw.verify.feedback(principal(req).account, req.params.id)),
  );

  r.post(
    '/v1/verifications/:id/cancel',
    { schema: { tags: ['verify'], summary: 'Cancel a pending verification', security, params: S.IdParams, response: { 200: S.VerificationOut, ...errors } } },
    async (req) => presentVerification(await gw.verify.cancel(principal(req).account, req.params.id)),
  );

  r.get(
    '/v1/verifications/:id',
    { schema: { tags: ['verify'], summary: 'A verification and its state', security, params: S.IdParams, response: { 200: S.VerificationOut, ...errors } } },
    async (req) => presentVerification(await gw.verify.get(principal(req).account, req.params.id)),
  );

  r.get(
    '/v1/messages/:id',
    { schema: { tags: ['messages'], summary: 'Delivery status of a message with its event history', security, params: S.IdParams, response: { 200: S.MessageOut, ...errors } } },
    async (req) => {
      const { account } = principal(req);
      const m = await getMessage(gw.store.db, account.id, req.params.id);
      if (!m) throw new VerifyError('message_not_found', 404, `no message with id "${req.params.id}" in this account; check the id`, 'id');
      return presentMessage(m, account.currency, await messageEvents(gw.store.db, m.id));
    },
  );

  r.get(
    '/v1/messages',
    {
      schema: {
        tags: ['messages'],
        summary: 'Messages, newest first, with cursor pagination',
        security,
        querystring: S.MessageListQuery,
        response: { 200: Type.Object({ data: Type.Array(S.MessageOut), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
      // A query string has only strings and the app validates without coercion: "?limit=3" is the number 3.
      preValidation: async (req) => {
        const q = req.query as Record<string, unknown>;
        if (typeof q.limit === 'string' && /^[0-9]{1,9}$/.test(q.limit)) q.limit = Number(q.limit);
      },
    },
    async (req) => {
      const { account } = principal(req);
      const q = req.query;
      const limit = q.limit ?? 50;
      const to = q.to ? gw.verify.normalize(q.to, account.default_region, 'voice') : undefined;
      // The date-time format admits a leap second (":60"), which Date.parse cannot read.
      const since = q.since ? Date.parse(q.since) : undefined;
      if (Number.isNaN(since)) throw new VerifyError('invalid_value', 400, `since "${q.since}" is not an instant; send ISO 8601 like 2024-01-31T12:00:00Z`, 'since');
      const rows = await listMessages(gw.store.db, {
        accountId: account.id,
        to,
        status: q.status,
        since,
        before: q.cursor,
        limit,
      });
      return {
        data: rows.map((m) => presentMessage(m, account.currency)),
        next_cursor: rows.length === limit ? rows[rows.length - 1].id : null,
      };
    },
  );

  r.get(
    '/v1/balance',
    { schema: { tags: ['account'], summary: 'The account balance', security, response: { 200: S.BalanceOut, ...errors } } },
    async (req) => {
      const account = (await getAccount(gw.store.db, principal(req).account.id))!;
      return { balance: account.balance, currency: account.currency, formatted: `${formatMicros(account.balance, 2)} ${account.currency}` };
    },
  );
}
