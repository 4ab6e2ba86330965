/**
 * The console's JSON API (session and CSRF are checked by routes.ts before any of these):
 * overview figures, the cross-account message search and a message's history, carriers,
 * refusals by limit, accounts with their keys (create: shown once; revoke), and a bridge that
 * lets the page call the admin API (/admin/*) with the session instead of the token, so every
 * admin action another module adds (ledger, blocks, test numbers) is reachable without the
 * browser ever holding the admin token.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import { Type } from 'typebox';
import type { Gateway } from '../../gateway.ts';
import { countryOf } from '../../metrics/country.ts';
import { API_FAMILIES, type ApiFamily, createApiKey, getAccount, listAccounts, listApiKeys, revokeApiKey } from '../../store/accounts.ts';
import { chargedSince, messageHistory, searchMessages } from '../../store/console.ts';
import { getMessageById } from '../../store/messages.ts';
import type { Message } from '../../store/schema.ts';
import { redactedBody } from '../../verify/codemask.ts';
import { VerifyError } from '../../verify/errors.ts';
import { describeProviders } from '../admin/routes.ts';
import { overview } from './overview.ts';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** A message row as the console shows it: the code masked, the country named. */
export function presentMessage(m: Message) {
  return {
    id: m.id,
    account_id: m.account_id,
    verification_id: m.verification_id,
    family: m.family,
    channel: m.channel,
    to: m.to_number,
    country: countryOf(m.to_number),
    status: m.status,
    provider: m.provider,
    provider_message_id: m.provider_message_id,
    body: redactedBody(m.body),
    locale: m.locale,
    encoding: m.encoding,
    segments: m.segments,
    price: m.price,
    attempts: m.attempts,
    error_code: m.error_code,
    error_message: m.error_message,
    created_at: m.created_at,
    sent_at: m.sent_at,
    final_at: m.final_at,
  };
}

export async function consoleApi(app: FastifyInstance, opts: { gw: Gateway; adminToken: string }): Promise<void> {
  const { gw, adminToken } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const db = gw.store.db;

  r.get('/dashboard/api/overview', { schema: { hide: true } }, async () => overview(db, gw.now()));

  r.get(
    '/dashboard/api/messages',
    {
      schema: {
        hide: true,
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(Type.String({ maxLength: 32 })),
          provider: Type.Optional(Type.String({ maxLength: 64 })),
          family: Type.Optional(Type.String({ maxLength: 32 })),
          country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$' })),
          before: Type.Optional(Id),
          limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
        }),
      },
    },
    async (req) => {
      const { country, limit, ...f } = req.query;
      const cc = country?.toUpperCase();
      if (cc && !isSupportedCountry(cc)) throw new VerifyError('invalid_country', 400, `"${country}" is not an ISO 3166 region like NP, IR, US`, 'country');
      const want = Math.min(Math.max(Number(limit ?? 50), 1), 200);
      const prefix = cc && isSupportedCountry(cc) ? `+${getCountryCallingCode(cc)}` : undefined;
      // Countries sharing a calling code (+1: US, CA, …) are told apart after the query.
      const rows = (await searchMessages(db, { ...f, prefix, limit: cc ? want * 4 : want })).filter((m) => !cc || countryOf(m.to_number) === cc).slice(0, want);
      return { data: rows.map(presentMessage), next_before: rows.length === want ? rows[rows.length - 1].id : null };
    },
  );

  r.get('/dashboard/api/messages/:id', { schema: { hide: true, params: Type.Object({ id: Id }) } }, async (req) => {
    const m = await getMessageById(db, req.params.id);
    if (!m) throw new VerifyError('message_not_found', 404, `no message ${req.params.id}`, 'id');
    const { events, webhooks } = await messageHistory(db, m);
    return {
      message: presentMessage(m),
      events: events.map((e) => ({ status: e.status, at: e.at, provider: e.provider, detail: e.detail })),
      webhooks: webhooks.map((w) => ({ id: w.id, event: w.event, status: w.status, url: w.url, state: w.state, attempts: w.attempts, last_error: w.last_error, created_at: w.created_at, delivered_at: w.delivered_at })),
    };
  });

  r.get('/dashboard/api/carriers', { schema: { hide: true } }, async () => describeProviders(gw));

  r.get('/dashboard/api/refusals', { schema: { hide: true } }, async () => ({ since_start: await gw.metrics.refusalsByLimit() }));

  // Spend today (UTC day, as spend caps count it) per account; the caps themselves are the abuse settings (admin API).
  r.get('/dashboard/api/spend', { schema: { hide: true } }, async () => {
    const dayStart = Math.floor(gw.now() / 86_400_000) * 86_400_000;
    const [accounts, charged] = await Promise.all([listAccounts(db), chargedSince(db, dayStart)]);
    return { day_start: dayStart, data: accounts.map((a) => ({ account_id: a.id, name: a.name, currency: a.currency, charged_today: charged.get(a.id) ?? 0 })) };
  });

  r.get('/dashboard/api/accounts', { schema: { hide: true } }, async () => {
    const [accounts, keys] = await Promise.all([listAccounts(db), listApiKeys(db)]);
    return {
      data: accounts.map((a) => ({
        id: a.id,
        name: a.name,
        region: a.default_region,
        balance: a.balance,
        currency: a.currency,
        webhook: { url: a.webhook_url, format: a.webhook_format, signed: a.webhook_secret !== null },
        keys: keys
          .filter((k) => k.account_id === a.id)
          .map((k) => ({ id: k.id, family: k.family, last4: k.last4, created_at: k.created_at, last_used_at: k.last_used_at, revoked_at: k.revoked_at })),
      })),
    };
  });

  r.post(
    '/dashboard/api/accounts/:id/keys',
    {
      schema: {
        hide: true,
        params: Type.Object({ id: Id }),
        body: Type.Optional(Type.Object({ family: Type.Optional(Type.Union(API_FAMILIES.map((f) => Type.Literal(f)))) }, { additionalProperties: false })),
      },
    },
    async (req, reply) => {
      if (!(await getAccount(db, req.params.id))) throw new VerifyError('account_not_found', 404, `no account ${req.params.id}`, 'id');
      const { token, key } = await createApiKey(db, req.params.id, (req.body?.family ?? '*') as ApiFamily, gw.now());
      req.log.info({ key_id: key.id, account_id: key.account_id }, 'console: API key created');
      return reply.status(201).send({ id: key.id, family: key.family, last4: key.last4, token, note: 'shown only now; store it safely' });
    },
  );

  r.post('/dashboard/api/keys/:id/revoke', { schema: { hide: true, params: Type.Object({ id: Id }) } }, async (req) => {
    if (!(await revokeApiKey(db, req.params.id, gw.now()))) throw new VerifyError('key_not_found', 404, `no active key ${req.params.id}`, 'id');
    // This process stops accepting it now; others within the auth cache's few seconds.
    (app as FastifyInstance & { auth?: { invalidate(): void } }).auth?.invalidate();
    req.log.info({ key_id: req.params.id }, 'console: API key revoked');
    return { id: req.params.id, revoked: true };
  });

  // The admin API through the session: same method, path under /admin, query and JSON body.
  app.all('/dashboard/api/admin/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.slice('/dashboard/api'.length);
    const res = await app.inject({
      method: req.method as 'GET',
      url: path,
      headers: { authorization: `Bearer ${adminToken}`, ...(req.body === undefined ? {} : { 'content-type': 'application/json' }) },
      payload: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    if (req.method !== 'GET') req.log.info({ method: req.method, path: path.split('?')[0], status: res.statusCode }, 'console: admin action');
    return reply.status(res.statusCode).type(String(res.headers['content-type'] ?? 'application/json')).send(res.body);
  });
}
