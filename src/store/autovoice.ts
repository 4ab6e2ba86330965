/**
 * channel "auto" (SMS, then a voice call with the same code) is driven by rows, not timers: a
 * verification whose channel is still 'auto' and whose newest SMS has not been delivered in
 * time (or already failed) is due for its call. Taking the call flips the channel to 'voice' in
 * one guarded UPDATE, so it happens once across restarts and instances, and the scan stops
 * seeing the row.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, Verification } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Pending 'auto' verifications whose newest message is an SMS that failed, or is undelivered past `cutoff`. */
export function dueVoiceFallbacks(db: Db, now: number, cutoff: number, limit: number): Promise<Verification[]> {
  return db
    .selectFrom('verifications as v')
    .selectAll('v')
    .where('v.channel', '=', 'auto')
    .where('v.status', '=', 'pending')
    .where('v.expires_at', '>', now)
    .where((eb) => eb('v.send_count', '<', eb.ref('v.max_sends')))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('messages as m')
          .select('m.id')
          .where('m.id', '=', eb.selectFrom('messages as l').select((e) => e.fn.max('l.id').as('id')).whereRef('l.verification_id', '=', 'v.id'))
          .where('m.channel', '=', 'sms')
          .where((e) =>
            e.or([
              e('m.status', 'in', ['failed', 'undelivered', 'expired']),
              e.and([e('m.status', 'in', ['queued', 'sending', 'sent']), e('m.created_at', '<=', cutoff)]),
            ]),
          ),
      ),
    )
    .orderBy('v.id')
    .limit(limit)
    .execute();
}

/** Takes the fallback (auto → voice, counted as a send); false when another worker took it or the verification closed. */
export async function claimVoiceFallback(trx: Db, id: string, now: number): Promise<boolean> {
  const r = await trx
    .updateTable('verifications')
    .set((eb) => ({ channel: 'voice', send_count: eb('send_count', '+', 1), last_sent_at: now, updated_at: now }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('channel', '=', 'auto')
    .where((eb) => eb('send_count', '<', eb.ref('max_sends')))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The call could not be charged: the verification stays an SMS one, as it was before the claim. */
export async function dropVoiceFallback(trx: Db, v: Verification, now: number): Promise<void> {
  await trx
    .updateTable('verifications')
    .set({ channel: 'sms', send_count: v.send_count, last_sent_at: v.last_sent_at, updated_at: now })
    .where('id', '=', v.id)
    .execute();
}
