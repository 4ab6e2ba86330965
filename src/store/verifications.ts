/** Verification rows and the idempotency records that point at them. */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { VerificationStatus } from '../core/status.ts';
import type { Database, Verification, VerificationsTable } from './schema.ts';
import { prepared } from './prepared.ts';
import type { JobContext } from './writer.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Every column, checked complete by the compiler: the prepared insert names each one. */
const COLUMNS = Object.keys({
  id: 1, account_id: 1, family: 1, to_number: 1, channel: 1, status: 1, code_hash: 1, code_sealed: 1, locale: 1, app_name: 1, template: 1,
  attempts: 1, max_attempts: 1, send_count: 1, max_sends: 1, last_sent_at: 1, expires_at: 1, created_at: 1, updated_at: 1, meta: 1,
} satisfies Record<keyof VerificationsTable, 1>) as Array<keyof VerificationsTable>;

// The accept and check paths' statements, compiled once (src/store/prepared.ts).
const hot = {
  insert: prepared<Verification>('verification_insert', (db, p) =>
    db.insertInto('verifications').values(Object.fromEntries(COLUMNS.map((c) => [c, p[c]])) as Verification)),
  get: prepared<{ id: string; account_id: string }, Verification>('verification_get', (db, p) =>
    db.selectFrom('verifications').selectAll().where('id', '=', p.id).where('account_id', '=', p.account_id)),
  pending: prepared<{ account_id: string; to: string; now: number }, Verification>('verification_pending', (db, p) =>
    db
      .selectFrom('verifications')
      .selectAll()
      .where('account_id', '=', p.account_id)
      .where('to_number', '=', p.to)
      .where('status', '=', 'pending')
      .where('expires_at', '>', p.now)
      .orderBy('id', 'desc')
      // LIMIT 1 written into the SQL: a bound LIMIT ? makes SQLite re-prepare the statement on
      // every run (11 µs against 3 µs per lookup, measured on a 46,000-verification file).
      .limit(sql.lit(1))),
  countAttempt: prepared<{ account_id: string; id: string; now: number }, Verification>('verification_count_attempt', (db, p) =>
    db
      .updateTable('verifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: p.now }))
      .where('id', '=', p.id)
      .where('account_id', '=', p.account_id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', p.now)
      .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
      .returningAll()),
};

/** Inserts a new verification (every column given; one prepared statement). */
export async function insertVerification(ctx: JobContext, row: Verification): Promise<void> {
  await hot.insert.run(ctx.trx, row);
}

export async function getVerification(db: Db, accountId: string, id: string): Promise<Verification | undefined> {
  // Ids are generated (no NUL), and PostgreSQL text cannot even be compared with a NUL: not found.
  if (id.includes('\u0000')) return undefined;
  return (await hot.get.run(db, { id, account_id: accountId })).rows[0];
}

/** The newest verification for a number (any status): what a check by number means. */
/** The verifications of these messages (one query for a page or a claimed batch), by id; optionally one account's only. */
export async function verificationsOfMessages(
  db: Db,
  messages: ReadonlyArray<{ verification_id: string | null }>,
  accountId?: string,
): Promise<Map<string, Pick<Verification, 'id' | 'code_sealed' | 'meta'>>> {
  const ids = [...new Set(messages.map((m) => m.verification_id).filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  let q = db.selectFrom('verifications').select(['id', 'code_sealed', 'meta']).where('id', 'in', ids);
  if (accountId) q = q.where('account_id', '=', accountId);
  return new Map((await q.execute()).map((v) => [v.id, v]));
}

export function latestFor(db: Db, accountId: string, to: string): Promise<Verification | undefined> {
  return db
    .selectFrom('verifications')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('to_number', '=', to)
    .orderBy('id', 'desc')
    .limit(sql.lit(1))
    .executeTakeFirst();
}

/** The newest pending, unexpired verification for a number (at `now`, epoch ms), if any. */
export async function pendingFor(db: Db, accountId: string, to: string, now: number): Promise<Verification | undefined> {
  return (await hot.pending.run(db, { account_id: accountId, to, now })).rows[0];
}

/**
 * Counts one guess atomically: only a pending, unexpired row of the account under its cap is
 * incremented, so 20 concurrent wrong guesses against max 5 count exactly 5, on SQLite or
 * PostgreSQL. Answers the row as counted (attempts and updated_at new), or undefined.
 */
export async function countAttempt(db: Db, accountId: string, id: string, now: number): Promise<Verification | undefined> {
  return (await hot.countAttempt.run(db, { account_id: accountId, id, now })).rows[0];
}

export async function setVerificationStatus(
  ctx: JobContext,
  v: Pick<Verification, 'id' | 'account_id'>,
  from: VerificationStatus,
  to: VerificationStatus,
  now: number,
): Promise<boolean> {
  const r = await ctx.trx
    .updateTable('verifications')
    .set({ status: to, updated_at: now })
    .where('id', '=', v.id)
    .where('status', '=', from)
    .executeTakeFirst();
  const changed = Number(r.numUpdatedRows) === 1;
  if (changed) ctx.emit({ type: 'verification.status', verificationId: v.id, accountId: v.account_id, status: to, at: now });
  return changed;
}

/** Records a resend if the cooldown has passed and the cap allows; false otherwise. */
export async function recordResend(trx: Db, v: Verification, now: number, cooldownMs: number): Promise<boolean> {
  const r = await trx
    .updateTable('verifications')
    .set((eb) => ({ send_count: eb('send_count', '+', 1), last_sent_at: now, updated_at: now }))
    .where('id', '=', v.id)
    .where('status', '=', 'pending')
    .where('send_count', '<', v.max_sends)
    .where('last_sent_at', '<=', now - cooldownMs)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Marks pending rows past their expiry (for status accuracy and webhooks) and emits their
 * verification.status events; run it through the writer so the webhook outbox sees them.
 */
export async function expireDue(ctx: JobContext, now: number, limit = 500): Promise<Verification[]> {
  const rows = await ctx.trx
    .updateTable('verifications')
    .set({ status: 'expired', updated_at: now })
    .where('id', 'in', (eb) =>
      // The literal lets the partial index verifications_due serve it (migration 010).
      eb.selectFrom('verifications').select('id').where('status', '=', sql.lit('pending')).where('expires_at', '<=', now).limit(limit),
    )
    .returningAll()
    .execute();
  for (const v of rows) ctx.emit({ type: 'verification.status', verificationId: v.id, accountId: v.account_id, status: 'expired', at: now });
  return rows;
}

export function getIdempotent(db: Db, accountId: string, key: string) {
  return db
    .selectFrom('idempotency')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function putIdempotent(
  trx: Db,
  row: { account_id: string; key: string; request_hash: string; response: string; created_at: number },
): Promise<void> {
  await trx.insertInto('idempotency').values(row).execute();
}
