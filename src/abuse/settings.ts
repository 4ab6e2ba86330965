/**
 * An account's abuse overrides and test numbers, as the send path needs them: one TypeBox schema
 * (validated by the admin API, stored as JSON) and a short-lived cache, so a send costs no query
 * for them after the first of each `abuse.cache_ms`.
 */
import type { Kysely } from 'kysely';
import { Type, type Static } from 'typebox';
import { LimitRule } from '../config.ts';
import { getSettings, listTestNumbers } from '../store/abuse.ts';
import type { Database } from '../store/schema.ts';

const Region = Type.String({ pattern: '^([A-Z]{2}|\\*|001)$', description: 'ISO 3166 region, "001" non-geographic, "*" every country' });

export const AccountAbuseSettings = Type.Object(
  {
    /** Per-limit overrides (any subset of points / duration_seconds / block_seconds). */
    limits: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9_]+$' }), Type.Partial(LimitRule))),
    /** Countries per channel; replaces the default (own region + abuse.geo.countries). */
    geo: Type.Optional(Type.Object({ sms: Type.Optional(Type.Array(Region)), voice: Type.Optional(Type.Array(Region)) }, { additionalProperties: false })),
    /** High-risk prefixes this account may send to anyway. */
    high_risk_allowed: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{1,15}$' }))),
    spend: Type.Optional(
      Type.Object(
        {
          daily_cap: Type.Optional(Type.Integer({ minimum: 0, description: 'micro-units per UTC day, 0 = none' })),
          country_daily_cap: Type.Optional(Type.Integer({ minimum: 0, description: 'micro-units per UTC day per country, 0 = none' })),
          /** Per-country caps that replace country_daily_cap for that country. */
          countries: Type.Optional(Type.Record(Type.String({ pattern: '^([A-Z]{2}|001)$' }), Type.Integer({ minimum: 0 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AccountAbuseSettings = Static<typeof AccountAbuseSettings>;

export interface AccountView {
  settings: AccountAbuseSettings;
  /** E.164 → fixed code. */
  testNumbers: Map<string, string>;
}

export class SettingsCache {
  private cache = new Map<string, { view: AccountView; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async get(accountId: string): Promise<AccountView> {
    const hit = this.cache.get(accountId);
    const now = this.now();
    if (hit && hit.until > now) return hit.view;
    const [settings, numbers] = await Promise.all([getSettings(this.db, accountId), listTestNumbers(this.db, accountId)]);
    const view: AccountView = { settings: (settings ?? {}) as AccountAbuseSettings, testNumbers: new Map(numbers.map((n) => [n.number, n.code])) };
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(accountId, { view, until: now + this.ttlMs });
    return view;
  }

  invalidate(accountId: string): void {
    this.cache.delete(accountId);
  }
}
