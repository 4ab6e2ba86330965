/**
 * The operator's account tools behind the admin token (routes.ts guards them): list accounts,
 * credit or debit one with a reason (the 402's "top up the account" is done here, or with
 * `otpgate accounts credit`), and read its ledger. Amounts are integer micro-units of the account's
 * currency.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { formatMicros } from '../../core/pricing.ts';
import type { Gateway } from '../../gateway.ts';
import { getAccount, listAccounts } from '../../store/accounts.ts';
import { adjustBalance, ledgerOf, type LedgerEntry } from '../../store/ledger.ts';
import type { Account } from '../../store/schema.ts';
import { VerifyError } from '../../verify/errors.ts';
import { ErrorOut } from '../../families/native/schemas.ts';

const AccountOut = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    default_region: Type.String(),
    currency: Type.String(),
    balance: Type.Integer({ description: 'micro-units of currency' }),
    formatted: Type.String({ description: 'e.g. "1000.00 NPR"' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  {},
);
const EntryOut = Type.Object(
  {
    id: Type.Integer(),
    amount: Type.Integer({ description: 'signed micro-units: + credit or refund, − charge or debit' }),
    kind: Type.String({ description: 'message | refund | credit | debit' }),
    reason: Type.Union([Type.String(), Type.Null()], { description: "the operator's reason of a credit or debit" }),
    message_id: Type.Union([Type.String(), Type.Null()]),
    at: Type.String({ format: 'date-time' }),
  },
  {},
);
const AdjustBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'micro-units (1 unit = 1,000,000), > 0' }),
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'why, recorded in the ledger' }),
  },
  { additionalProperties: false },
);
const AccountParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'the account id' }) });
const LedgerQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  cursor: Type.Optional(Type.Integer({ minimum: 1, description: 'next_cursor of the previous page' })),
});

const presentAccount = (a: Account) => ({
  id: a.id,
  name: a.name,
  default_region: a.default_region,
  currency: a.currency,
  balance: Number(a.balance),
  formatted: `${formatMicros(Number(a.balance), 2)} ${a.currency}`,
  created_at: new Date(Number(a.created_at)).toISOString(),
});
const presentEntry = (e: LedgerEntry) => ({ id: e.id, amount: e.amount, kind: e.reason, reason: e.note, message_id: e.message_id, at: new Date(e.at).toISOString() });

const noAccount = (id: string) => new VerifyError('account_not_found', 404, `no account "${id}"; list them with GET /admin/accounts`, 'id');

export async function accountAdminRoutes(app: FastifyInstance, gw: Gateway): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const guard = { 401: ErrorOut, 404: ErrorOut };

  r.get(
    '/admin/accounts',
    { schema: { tags: ['admin'], summary: 'Accounts with their balances', security, response: { 200: Type.Object({ data: Type.Array(AccountOut) }), ...guard } } },
    async () => ({ data: (await listAccounts(gw.store.db)).map(presentAccount) }),
  );

  for (const direction of ['credit', 'debit'] as const)
    r.post(
      `/admin/accounts/:id/${direction}`,
      {
        schema: {
          tags: ['admin'],
          summary: direction === 'credit' ? 'Top up an account; recorded in its ledger with the reason' : 'Take an amount from an account (never below zero); recorded in its ledger with the reason',
          security,
          params: AccountParams,
          body: AdjustBody,
          response: { 200: Type.Object({ account: AccountOut, entry: EntryOut }), 400: ErrorOut, ...guard, ...(direction === 'debit' ? { 409: ErrorOut } : {}) },
        },
      },
      async (req) => {
        const { amount, reason } = req.body;
        const res = await adjustBalance(gw.store.db, req.params.id, direction === 'credit' ? amount : -amount, reason.trim(), gw.now());
        if (!res.ok && res.why === 'no_account') throw noAccount(req.params.id);
        if (!res.ok)
          throw new VerifyError('insufficient_balance', 409, `the balance (${res.balance} micro-units) does not cover a debit of ${amount}; debit at most the balance`, 'amount');
        return { account: presentAccount(res.account), entry: presentEntry(res.entry) };
      },
    );

  r.get(
    '/admin/accounts/:id/ledger',
    {
      schema: {
        tags: ['admin'],
        summary: "An account's ledger, newest first: charges, refunds, credits and debits",
        security,
        params: AccountParams,
        querystring: LedgerQuery,
        response: { 200: Type.Object({ data: Type.Array(EntryOut), next_cursor: Type.Union([Type.Integer(), Type.Null()]) }), 400: ErrorOut, ...guard },
      },
      preValidation: async (req) => {
        const q = req.query as Record<string, unknown>;
        for (const k of ['limit', 'cursor']) if (typeof q[k] === 'string' && /^[0-9]{1,15}$/.test(q[k] as string)) q[k] = Number(q[k]);
      },
    },
    async (req) => {
      if (!(await getAccount(gw.store.db, req.params.id))) throw noAccount(req.params.id);
      const limit = req.query.limit ?? 50;
      const rows = await ledgerOf(gw.store.db, req.params.id, { limit, before: req.query.cursor });
      return { data: rows.map(presentEntry), next_cursor: rows.length === limit ? rows[rows.length - 1].id : null };
    },
  );
}
