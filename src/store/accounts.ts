/** Accounts, their balance and their API keys. */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../core/ids.ts';
import { defaultUtcOffsetMinutes } from '../core/timezones.ts';
import { affected, prepared } from './prepared.ts';
import type { Account, ApiKey, Database } from './schema.ts';

type Db = Kysely<Database>;

/** Families an API key or credential is for; twilio and vonage issue their vendor's credentials (src/store/vendors.ts). */
export const API_FAMILIES = ['native', 'tingting', 'bitel', 'twilio', 'vonage', '*'] as const;
export type ApiFamily = (typeof API_FAMILIES)[number];

export interface NewAccountInput {
  name: string;
  defaultRegion?: string;
  balance?: number;
  currency?: string;
  utcOffsetMinutes?: number;
  now: number;
}

export async function createAccount(db: Db, input: NewAccountInput): Promise<Account> {
  const region = (input.defaultRegion ?? 'US').toUpperCase();
  const row: Account = {
    id: newId(),
    name: input.name,
    default_region: region,
    balance: input.balance ?? 0,
    currency: input.currency ?? 'USD',
    utc_offset_minutes: input.utcOffsetMinutes ?? defaultUtcOffsetMinutes(region),
    webhook_url: null,
    webhook_secret: null,
    webhook_format: 'native',
    webhook_events: null,
    created_at: input.now,
  };
  await db.insertInto('accounts').values(row).execute();
  return row;
}

export function getAccount(db: Db, id: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listAccounts(db: Db): Promise<Account[]> {
  return db.selectFrom('accounts').selectAll().orderBy('id').execute();
}

/** The guarded debit, compiled once (src/store/prepared.ts): a send's hot path. */
export const debitStatement = prepared<{ id: string; amount: number }>('account_debit', (db, p) =>
  db
    .updateTable('accounts')
    .set((eb) => ({ balance: eb('balance', '-', p.amount) }))
    .where('id', '=', p.id)
    .where('balance', '>=', p.amount));

/** Takes `amount` (micro-units) only if the balance covers it; false means nothing changed. */
export async function debit(db: Db, accountId: string, amount: number): Promise<boolean> {
  if (amount === 0) return true;
  return affected(await debitStatement.run(db, { id: accountId, amount })) === 1;
}

export async function credit(db: Db, accountId: string, amount: number, reason: string, now: number): Promise<void> {
  await db
    .updateTable('accounts')
    .set((eb) => ({ balance: eb('balance', '+', amount) }))
    .where('id', '=', accountId)
    .execute();
  await db.insertInto('ledger').values({ account_id: accountId, amount, reason, message_id: null, at: now }).execute();
}

export function hashApiKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a key and returns its only plaintext copy; only the hash is stored. */
export async function createApiKey(
  db: Db,
  accountId: string,
  family: ApiFamily,
  now: number,
): Promise<{ token: string; key: ApiKey }> {
  const token = `otpg_${randomBytes(30).toString('base64url')}`;
  const key: ApiKey = {
    id: newId(),
    account_id: accountId,
    family,
    hash: hashApiKey(token),
    last4: token.slice(-4),
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await db.insertInto('api_keys').values(key).execute();
  return { token, key };
}

export function findApiKey(db: Db, token: string): Promise<ApiKey | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('hash', '=', hashApiKey(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export function listApiKeys(db: Db, accountId?: string): Promise<ApiKey[]> {
  let q = db.selectFrom('api_keys').selectAll().orderBy('created_at');
  if (accountId) q = q.where('account_id', '=', accountId);
  return q.execute();
}

export async function revokeApiKey(db: Db, id: string, now: number, accountId?: string): Promise<boolean> {
  let q = db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null);
  if (accountId) q = q.where('account_id', '=', accountId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function touchApiKey(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
