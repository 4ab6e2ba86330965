/**
 * The account side of TingTing's API, all authorized by an existing key:
 * - POST /api/v1/auths/generate-api-keys/: a new tingting-family key, shown once; the account's
 *   other tingting-family keys are revoked (TingTing keeps one valid token). Keys of other
 *   families, and an all-families key used to call this, stay valid: they are not TingTing's.
 * - GET /api/v1/auths/get-api-keys/: the newest tingting-family key, masked but for its last 4
 *   characters (only hashes are stored).
 * - GET /api/v1/dashboard/: credits purchased, used and remaining (see credits.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../gateway.ts';
import { createApiKey, getAccount, listApiKeys, revokeApiKey } from '../../store/accounts.ts';
import type { ApiKeyAuth } from '../../http/auth.ts';
import { creditPrices, dashboard } from './credits.ts';
import { principalOf } from './principal.ts';
import * as S from './schemas.ts';

const TAGS = ['tingting'];
const security = [{ bearer: [] }];

/** Everything but the last 4 characters hidden, at a real key's length ("otpg_" + 40). */
export function maskKey(last4: string): string {
  return `${'*'.repeat(41)}${last4}`;
}

export async function accountRoutes(app: FastifyInstance, gw: Gateway, auth: ApiKeyAuth): Promise<void> {
  const db = gw.store.db;
  const activeTingtingKeys = async (accountId: string) =>
    (await listApiKeys(db, accountId)).filter((k) => k.family === 'tingting' && k.revoked_at === null);

  app.post(
    '/api/v1/auths/generate-api-keys/',
    { schema: { tags: TAGS, summary: 'A new API token; the previous TingTing tokens stop working', security, response: { 200: S.NewKeyOut, 401: S.Detail401 } } },
    async (req) => {
      const { account } = principalOf(req);
      const previous = await activeTingtingKeys(account.id);
      const now = gw.now();
      // Create first, then revoke: a failure in between leaves the old key working, never none.
      const { token } = await createApiKey(db, account.id, 'tingting', now);
      for (const k of previous) await revokeApiKey(db, k.id, now, account.id);
      auth.invalidate();
      return { token, message: 'New API token generated successfully' };
    },
  );

  app.get(
    '/api/v1/auths/get-api-keys/',
    { schema: { tags: TAGS, summary: 'The current API token, masked', security, response: { 200: S.KeyOut, 401: S.Detail401, 404: S.NoKeyOut } } },
    async (req, reply) => {
      const { account } = principalOf(req);
      const key = (await activeTingtingKeys(account.id)).at(-1);
      if (!key) return reply.code(404).send({ message: 'No API token found. Please generate one first.' });
      return {
        token: maskKey(key.last4),
        last_used: key.last_used_at === null ? null : new Date(key.last_used_at).toISOString(),
        created_at: new Date(key.created_at).toISOString(),
      };
    },
  );

  app.get(
    '/api/v1/dashboard/',
    // TingTing's `days` query is accepted and ignored: the figures are all-time (see credits.ts).
    { schema: { tags: TAGS, summary: 'Credits purchased, used and remaining (all-time)', security, response: { 200: S.DashboardOut, 401: S.Detail401 } } },
    async (req) => {
      const { account } = principalOf(req);
      const balance = (await getAccount(db, account.id))?.balance ?? 0;
      return dashboard(db, account.id, balance, creditPrices(gw.config.prices, { currency: account.currency, base: gw.config.pricing_currency, rates: gw.config.currency_rates }));
    },
  );
}
