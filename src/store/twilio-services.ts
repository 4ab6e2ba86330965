/** Twilio Verify Services: per-application settings of the Twilio family, one row each. */
import type { Kysely } from 'kysely';
import type { Database, TwilioService } from './schema.ts';

type Db = Kysely<Database>;

export async function insertService(db: Db, row: TwilioService): Promise<void> {
  await db.insertInto('twilio_services').values(row).execute();
}

export function getService(db: Db, accountId: string, sid: string): Promise<TwilioService | undefined> {
  return db.selectFrom('twilio_services').selectAll().where('sid', '=', sid).where('account_id', '=', accountId).executeTakeFirst();
}

/** One page of an account's services, oldest first; `offset` and `limit` are row counts. */
export function listServices(db: Db, accountId: string, offset: number, limit: number): Promise<TwilioService[]> {
  return db.selectFrom('twilio_services').selectAll().where('account_id', '=', accountId).orderBy('sid').limit(limit).offset(offset).execute();
}

export async function updateService(db: Db, accountId: string, sid: string, patch: Partial<Pick<TwilioService, 'friendly_name' | 'code_length' | 'settings' | 'updated_at'>>): Promise<void> {
  await db.updateTable('twilio_services').set(patch).where('sid', '=', sid).where('account_id', '=', accountId).execute();
}

export async function deleteService(db: Db, accountId: string, sid: string): Promise<boolean> {
  const r = await db.deleteFrom('twilio_services').where('sid', '=', sid).where('account_id', '=', accountId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
