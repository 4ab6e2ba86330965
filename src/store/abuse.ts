/**
 * Rows of the abuse defence: pumping blocks (listable, liftable, with their figures), per-account
 * overrides (JSON) and test numbers. Dialect-free Kysely; the hot path reads them through caches
 * in src/abuse/, never per send.
 */
import type { Kysely, Transaction } from 'kysely';
import type { AbuseBlock, Database, TestNumber } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Blocks in force at `now` (not lifted, not expired). */
export function activeBlocks(db: Db, now: number): Promise<AbuseBlock[]> {
  return db.selectFrom('abuse_blocks').selectAll().where('lifted_at', 'is', null).where('expires_at', '>', now).execute();
}

export interface BlockQuery {
  accountId?: string;
  /** Include lifted and expired ones. */
  all?: boolean;
  now: number;
  limit: number;
}

/** Newest first. */
export function listBlocks(db: Db, q: BlockQuery): Promise<AbuseBlock[]> {
  let s = db.selectFrom('abuse_blocks').selectAll();
  if (q.accountId) s = s.where('account_id', '=', q.accountId);
  if (!q.all) s = s.where('lifted_at', 'is', null).where('expires_at', '>', q.now);
  return s.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

export function getBlock(db: Db, id: string): Promise<AbuseBlock | undefined> {
  return db.selectFrom('abuse_blocks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertBlock(db: Db, row: AbuseBlock): Promise<void> {
  await db.insertInto('abuse_blocks').values(row).execute();
}

/** Lifts an active block; false when it was not active (already lifted or unknown). */
export async function liftBlock(db: Db, id: string, by: string, now: number): Promise<boolean> {
  const r = await db.updateTable('abuse_blocks').set({ lifted_at: now, lifted_by: by }).where('id', '=', id).where('lifted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Accounts with an active account-level block on `prefix` (for the global rule). */
export async function accountsBlockedOn(db: Db, prefix: string, now: number): Promise<number> {
  const rows = await db
    .selectFrom('abuse_blocks')
    .select('account_id')
    .distinct()
    .where('prefix', '=', prefix)
    .where('account_id', '!=', '*')
    .where('lifted_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
  return rows.length;
}

export async function getSettings(db: Db, accountId: string): Promise<Record<string, unknown> | undefined> {
  const r = await db.selectFrom('abuse_settings').select('settings').where('account_id', '=', accountId).executeTakeFirst();
  return r ? (JSON.parse(r.settings) as Record<string, unknown>) : undefined;
}

/** Replaces the account's overrides (delete-then-insert: portable, no upsert dialect). */
export async function putSettings(db: Kysely<Database>, accountId: string, settings: Record<string, unknown>, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('abuse_settings').where('account_id', '=', accountId).execute();
    await trx.insertInto('abuse_settings').values({ account_id: accountId, settings: JSON.stringify(settings), updated_at: now }).execute();
  });
}

export function listTestNumbers(db: Db, accountId?: string): Promise<TestNumber[]> {
  let s = db.selectFrom('test_numbers').selectAll();
  if (accountId) s = s.where('account_id', '=', accountId);
  return s.orderBy('account_id').orderBy('number').execute();
}

/** Adds or replaces the number's fixed code. */
export async function putTestNumber(db: Kysely<Database>, row: TestNumber): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('test_numbers').where('account_id', '=', row.account_id).where('number', '=', row.number).execute();
    await trx.insertInto('test_numbers').values(row).execute();
  });
}

export async function removeTestNumber(db: Db, accountId: string, number: string): Promise<boolean> {
  const r = await db.deleteFrom('test_numbers').where('account_id', '=', accountId).where('number', '=', number).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
