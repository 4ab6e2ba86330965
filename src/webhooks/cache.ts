/**
 * Each account's webhook settings, cached for a short TTL: the enqueue hook runs in every write
 * batch, and an account without a webhook must cost no query there after its first lookup.
 * PUT/DELETE /v1/webhook invalidate this process's entry; other instances see it within the TTL.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Account, Database } from '../store/schema.ts';
import { accountsByIds } from '../store/webhooks.ts';

export interface AccountHook {
  url: string;
  secret: string;
  format: string;
  /** The status changes it receives (src/core/webhook-events.ts); null = every change. */
  events: readonly string[] | null;
  /** The account row as read (formatters use its region, offset, currency; never its balance). */
  account: Account;
}

const MAX_ENTRIES = 100_000;

export class WebhookSettings {
  private cache = new Map<string, { hook: AccountHook | null; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** The cached answer, or undefined when it must be read. */
  peek(accountId: string): AccountHook | null | undefined {
    const hit = this.cache.get(accountId);
    return hit && hit.until > this.now() ? hit.hook : undefined;
  }

  /** Settings of each account in `ids` (null = no webhook); one query for all the misses. */
  async getMany(db: Kysely<Database> | Transaction<Database>, ids: Iterable<string>): Promise<Map<string, AccountHook | null>> {
    const out = new Map<string, AccountHook | null>();
    const misses: string[] = [];
    for (const id of ids) {
      const hit = this.peek(id);
      if (hit === undefined) misses.push(id);
      else out.set(id, hit);
    }
    if (misses.length === 0) return out;
    const rows = new Map((await accountsByIds(db, misses)).map((a) => [a.id, a]));
    const until = this.now() + this.ttlMs;
    if (this.cache.size + misses.length > MAX_ENTRIES) this.cache.clear();
    for (const id of misses) {
      const a = rows.get(id);
      const hook = a?.webhook_url && a.webhook_secret ? { url: a.webhook_url, secret: a.webhook_secret, format: a.webhook_format, events: parseEvents(a.webhook_events), account: a } : null;
      this.cache.set(id, { hook, until });
      out.set(id, hook);
    }
    return out;
  }

  async get(db: Kysely<Database>, id: string): Promise<AccountHook | null> {
    return (await this.getMany(db, [id])).get(id) ?? null;
  }

  invalidate(accountId: string): void {
    this.cache.delete(accountId);
  }
}

/** The stored filter; a row that does not parse (hand-edited) means every change, not none. */
function parseEvents(text: string | null): readonly string[] | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((e) => typeof e === 'string') ? v : null;
  } catch {
    return null;
  }
}
