/**
 * API key resolution shared by every family: a key is looked up by its SHA-256, cached briefly
 * (the hot path must not cost a query per request), and must be scoped to the calling family.
 */
import type { Kysely } from 'kysely';
import { findApiKey, getAccount, touchApiKey } from '../store/accounts.ts';
import type { Account, ApiKey, Database } from '../store/schema.ts';

export interface Principal {
  account: Account;
  key: ApiKey;
}

const TTL_MS = 5_000;
const TOUCH_EVERY_MS = 60_000;

export class ApiKeyAuth {
  private cache = new Map<string, { principal: Principal | undefined; until: number }>();
  private touched = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal for `Bearer <token>` headers (scheme matched case-insensitively), if valid for `family`. */
  async fromHeader(header: string | undefined, family: string): Promise<Principal | undefined> {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m ? this.resolve(m[1], family) : undefined;
  }

  async resolve(token: string, family: string): Promise<Principal | undefined> {
    const now = this.now();
    let hit = this.cache.get(token);
    if (!hit || hit.until < now) {
      const key = await findApiKey(this.db, token);
      const account = key ? await getAccount(this.db, key.account_id) : undefined;
      hit = { principal: key && account ? { key, account } : undefined, until: now + TTL_MS };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, hit);
    }
    const p = hit.principal;
    if (!p || (p.key.family !== '*' && p.key.family !== family)) return undefined;
    if ((this.touched.get(p.key.id) ?? 0) + TOUCH_EVERY_MS < now) {
      this.touched.set(p.key.id, now);
      void touchApiKey(this.db, p.key.id, now).catch(() => {});
    }
    return p;
  }

  /** Forget cached keys (after a revoke in this process). */
  invalidate(): void {
    this.cache.clear();
  }
}
