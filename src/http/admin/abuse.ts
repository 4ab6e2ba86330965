/**
 * The operator's side of the abuse defence (behind the admin token of routes.ts):
 *   GET  /admin/blocks[?account_id=&all=true]          pumping blocks with their figures
 *   POST /admin/blocks/{id}/lift {by?}                  lift one (its prefix is judged afresh)
 *   GET|PUT /admin/accounts/{id}/abuse                  the account's overrides (limits, geo,
 *                                                       high_risk_allowed, spend caps)
 *   GET  /admin/accounts/{id}/test-numbers              test numbers with their fixed codes
 *   PUT|DELETE /admin/accounts/{id}/test-numbers/{number} {code}
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { present } from '../../abuse/blocks.ts';
import { AccountAbuseSettings } from '../../abuse/settings.ts';
import type { Gateway } from '../../gateway.ts';
import { ErrorOut } from '../../families/native/schemas.ts';
import { getAccount } from '../../store/accounts.ts';
import { getSettings, listBlocks, listTestNumbers, putSettings, putTestNumber, removeTestNumber } from '../../store/abuse.ts';
import { LIMIT_NAMES } from '../../config.ts';
import { VerifyError } from '../../verify/errors.ts';

const security = [{ bearer: [] }];
const Id = Type.String({ pattern: '^[0-9a-f]{32}$', description: '32 hex characters' });
const BlockOut = Type.Object({
  id: Type.String(),
  account_id: Type.String({ description: 'the account, or "*" for every account' }),
  prefix: Type.String(),
  reason: Type.String({ description: 'low_conversion | delivery_failures | velocity | accounts' }),
  figures: Type.Object({}, { additionalProperties: true }),
  created_at: Type.String(),
  expires_at: Type.String(),
  lifted_at: Type.Union([Type.String(), Type.Null()]),
  lifted_by: Type.Union([Type.String(), Type.Null()]),
});
const TestNumberOut = Type.Object({ number: Type.String(), code: Type.String(), created_at: Type.String() });
const errors = { 400: ErrorOut, 401: ErrorOut, 404: ErrorOut };

export async function abuseAdminRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const account = async (id: string) => {
    const a = await getAccount(gw.store.db, id);
    if (!a) throw new VerifyError('account_not_found', 404, `no account "${id}"; list them with \`otpgate accounts list\``, 'id');
    return a;
  };

  r.get(
    '/admin/blocks',
    {
      schema: {
        tags: ['admin'],
        summary: 'Pumping blocks (active ones unless all=true), newest first, with the figures that caused them',
        security,
        querystring: Type.Object({ account_id: Type.Optional(Id), all: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, { additionalProperties: false }),
        response: { 200: Type.Object({ data: Type.Array(BlockOut) }), ...errors },
      },
    },
    async (req) => {
      const rows = await listBlocks(gw.store.db, { accountId: req.query.account_id, all: req.query.all === 'true', now: gw.now(), limit: 500 });
      return { data: rows.map(present) };
    },
  );

  r.post(
    '/admin/blocks/:id/lift',
    {
      schema: {
        tags: ['admin'],
        summary: 'Lift a block now; its prefix is judged afresh from the next send',
        security,
        params: Type.Object({ id: Id }),
        // The body is optional ({"by": "who"}), so it is read by hand rather than by a schema.
        response: { 200: BlockOut, ...errors },
      },
    },
    async (req) => {
      const by = (req.body as { by?: unknown } | undefined)?.by ?? 'admin';
      if (typeof by !== 'string' || by.length < 1 || by.length > 64) throw new VerifyError('invalid_value', 400, 'by must be a name of 1–64 characters (who lifts the block)', 'by');
      const b = await gw.abuse.lift(req.params.id, by);
      if (!b) throw new VerifyError('block_not_found', 404, `no active block "${req.params.id}"; list them with GET /admin/blocks`, 'id');
      return present(b);
    },
  );

  r.get(
    '/admin/accounts/:id/abuse',
    { schema: { tags: ['admin'], summary: "An account's abuse overrides", security, params: Type.Object({ id: Id }), response: { 200: AccountAbuseSettings, ...errors } } },
    async (req) => {
      await account(req.params.id);
      return (await getSettings(gw.store.db, req.params.id)) ?? {};
    },
  );

  r.put(
    '/admin/accounts/:id/abuse',
    {
      schema: {
        tags: ['admin'],
        summary: "Replace an account's abuse overrides: limits, geo per channel, high_risk_allowed, spend caps",
        security,
        params: Type.Object({ id: Id }),
        body: AccountAbuseSettings,
        response: { 200: AccountAbuseSettings, ...errors },
      },
    },
    async (req) => {
      await account(req.params.id);
      for (const name of Object.keys(req.body.limits ?? {}))
        if (!LIMIT_NAMES.includes(name)) throw new VerifyError('invalid_value', 400, `limits.${name} is not a limit; use one of ${LIMIT_NAMES.join(', ')}`, `limits.${name}`);
      await putSettings(gw.store.db, req.params.id, req.body, gw.now());
      gw.abuse.settings.invalidate(req.params.id);
      return req.body;
    },
  );

  r.get(
    '/admin/accounts/:id/test-numbers',
    { schema: { tags: ['admin'], summary: "An account's test numbers", security, params: Type.Object({ id: Id }), response: { 200: Type.Object({ data: Type.Array(TestNumberOut) }), ...errors } } },
    async (req) => {
      await account(req.params.id);
      const rows = await listTestNumbers(gw.store.db, req.params.id);
      return { data: rows.map((t) => ({ number: t.number, code: t.code, created_at: new Date(t.created_at).toISOString() })) };
    },
  );

  const NumberParams = Type.Object({ id: Id, number: Type.String({ minLength: 1, maxLength: 64 }) });
  r.put(
    '/admin/accounts/:id/test-numbers/:number',
    {
      schema: {
        tags: ['admin'],
        summary: 'Add (or change) a test number: sends to it are recorded as delivered, never sent, never charged, never limited; its code is fixed',
        security,
        params: NumberParams,
        body: Type.Object({ code: Type.String({ pattern: '^[0-9A-Za-z]{4,10}$', description: 'the fixed code, 4–10 of [0-9A-Za-z]' }) }, { additionalProperties: false }),
        response: { 200: TestNumberOut, ...errors },
      },
    },
    async (req) => {
      const a = await account(req.params.id);
      const number = gw.verify.normalize(req.params.number, a.default_region, 'voice');
      const now = gw.now();
      await putTestNumber(gw.store.db, { account_id: a.id, number, code: req.body.code, created_at: now });
      gw.abuse.settings.invalidate(a.id);
      return { number, code: req.body.code, created_at: new Date(now).toISOString() };
    },
  );

  r.delete(
    '/admin/accounts/:id/test-numbers/:number',
    { schema: { tags: ['admin'], summary: 'Remove a test number', security, params: NumberParams, response: { 204: Type.Null(), ...errors } } },
    async (req, reply) => {
      const a = await account(req.params.id);
      const number = gw.verify.normalize(req.params.number, a.default_region, 'voice');
      if (!(await removeTestNumber(gw.store.db, a.id, number))) throw new VerifyError('test_number_not_found', 404, `${number} is not a test number of this account`, 'number');
      gw.abuse.settings.invalidate(a.id);
      return reply.status(204).send(null);
    },
  );
}
