/**
 * The webhook outbox. Rows are inserted in the transaction of the status change they report
 * (GroupWriter.beforeCommit), so a change and its webhook commit together or not at all; the
 * worker (src/webhooks/worker.ts) claims, delivers and records them here.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { jsonValues, prepared } from './prepared.ts';
import type { DialectName } from './dialect.ts';
import type { Account, Database, NewWebhookDelivery, WebhookDelivery } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface AccountWebhook {
  url: string;
  secret: string;
  format: string;
  /** The status changes it receives (src/core/webhook-events.ts); null = every change. */
  events: readonly string[] | null;
}

/** The accounts (full rows) among `ids`; the hot path caches them, so this runs once per TTL. */
export function accountsByIds(db: Db, ids: readonly string[]): Promise<Account[]> {
  return db.selectFrom('accounts').selectAll().where('id', 'in', ids).execute();
}

/**
 * Sets (or with null removes) an account's webhook. Pending deliveries follow: to the new URL
 * (a receiver that moved gets its backlog), or, when removed, they are given up as dead.
 */
export async function setAccountWebhook(db: Kysely<Database>, accountId: string, hook: AccountWebhook | null, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set(hook ? { webhook_url: hook.url, webhook_secret: hook.secret, webhook_format: hook.format, webhook_events: hook.events ? JSON.stringify(hook.events) : null } : { webhook_url: null, webhook_secret: null })
      .where('id', '=', accountId)
      .execute();
    const pending = trx.updateTable('webhook_outbox').where('account_id', '=', accountId).where('state', '=', 'pending');
    if (hook) await pending.set({ url: hook.url }).execute();
    else await pending.set({ state: 'dead', last_error: 'webhook removed', next_attempt_at: now }).execute();
  });
}

/**
 * A new outbox row, due now: the one place that says what a fresh delivery's bookkeeping columns
 * hold (no attempts yet, pending, no error), for status webhooks (src/webhooks/outbox.ts) and
 * abuse events (src/abuse/events.ts) alike. `payload` is the stored JSON text; `now` epoch ms.
 */
export function pendingDelivery(
  d: Pick<NewWebhookDelivery, 'account_id' | 'event' | 'subject_id' | 'status' | 'format' | 'payload' | 'url'>,
  now: number,
): NewWebhookDelivery {
  return { ...d, attempts: 0, next_attempt_at: now, state: 'pending', last_error: null, created_at: now, delivered_at: null };
}

/** The columns a new outbox row is written with, checked complete by the compiler. */
const NEW_COLUMNS = Object.keys({
  account_id: 1, event: 1, subject_id: 1, status: 1, format: 1, payload: 1, url: 1, attempts: 1, next_attempt_at: 1, state: 1, last_error: 1, created_at: 1,
  delivered_at: 1,
} satisfies Record<Exclude<keyof NewWebhookDelivery, 'id'>, 1>) as Array<Exclude<keyof NewWebhookDelivery, 'id'>>;

/**
 * Inserts the rows given as one JSON array: one statement text for any number of rows (a
 * multi-row VALUES was built per batch and was a new SQL text per batch size). SQLite reads each
 * field with ->>, PostgreSQL types them by the table's own row type.
 */
const enqueue = prepared<{ rows: string }>('webhook_enqueue', (db, p, dialect) => {
  const from =
    dialect === 'postgres'
      ? db.selectFrom(sql<WebhookOutboxRow>`json_populate_recordset(null::webhook_outbox, cast(${p.rows} as json))`.as('j')).select(NEW_COLUMNS.map((c) => `j.${c}` as const))
      : db.selectFrom(sql<{ value: string }>`json_each(${p.rows})`.as('j')).select(NEW_COLUMNS.map((c) => sql`${sql.ref('j.value')} ->> ${sql.lit(c)}`.as(c)));
  return db.insertInto('webhook_outbox').columns(NEW_COLUMNS).expression(from as never);
});
type WebhookOutboxRow = { [K in (typeof NEW_COLUMNS)[number]]: NewWebhookDelivery[K] };

/** Inserts new outbox rows (pendingDelivery's) in the caller's transaction, in one statement. */
export async function enqueueDeliveries(trx: Transaction<Database>, rows: NewWebhookDelivery[]): Promise<void> {
  if (rows.length === 0) return;
  await enqueue.run(trx, { rows: JSON.stringify(rows) });
}

/** Pending rows (as `w`) with no older pending row of their subject: the only claimable ones. */
function headsOfSubjects(db: Kysely<Database>) {
  return db
    .selectFrom('webhook_outbox as w')
    .where('w.state', '=', 'pending')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_outbox as o')
            .select('o.id')
            .whereRef('o.subject_id', '=', 'w.subject_id')
            .where('o.state', '=', 'pending')
            .whereRef('o.id', '<', 'w.id'),
        ),
      ),
    );
}

export interface WebhookClaim {
  limit: number;
  now: number;
  /** A claimed row is due again after this (a worker that died mid-delivery is retried). */
  leaseMs: number;
}

/**
 * One statement claims due rows that are the oldest pending row of their subject, so deliveries
 * of one message (or verification) go out strictly in order: the next is not even claimable
 * while an older one is in flight or waiting for its retry. A claim takes the row's lease
 * (next_attempt_at = now + lease) and counts the attempt; `attempts` is then the fencing token
 * a worker must present to record the outcome (a row re-claimed after a lost lease has moved on).
 * On PostgreSQL the inner SELECT locks with SKIP LOCKED (like messages.claimDue) so instances
 * never claim the same row; SQLite has one writer, so the subquery is already exclusive.
 */
export async function claimDeliveries(db: Kysely<Database>, o: WebhookClaim): Promise<WebhookDelivery[]> {
  const { rows } = await hot.claim.run(db, { limit: o.limit, now: o.now, leaseUntil: o.now + o.leaseMs });
  return rows;
}

/** The claim's UPDATE for `dialect` (see claimDeliveries), with named slots for its values. */
function claimUpdate(db: Kysely<Database>, p: { limit: number; now: number; leaseUntil: number }, dialect: DialectName) {
  let due = headsOfSubjects(db)
    .select('w.id')
    .where('w.next_attempt_at', '<=', p.now)
    .orderBy('w.next_attempt_at')
    .orderBy('w.id')
    .limit(p.limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return db
    .updateTable('webhook_outbox')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: p.leaseUntil }))
    .where('id', 'in', due)
    .where('state', '=', 'pending')
    .returningAll();
}

function markDeliveredUpdate(db: Kysely<Database>, p: { ids: string; attempts: number; now: number }, dialect: DialectName) {
  return db
    .updateTable('webhook_outbox')
    .set({ state: 'delivered', delivered_at: p.now, last_error: null })
    .where('id', 'in', jsonValues(p.ids, dialect, 'bigint'))
    .where('attempts', '=', p.attempts)
    .where('state', '=', 'pending')
    .returning('id');
}

// The worker's statements, compiled once per dialect (src/store/prepared.ts): the claim and
// the record of many 2xx were built per call, and the second with one SQL text per batch size.
const hot = {
  claim: prepared<{ limit: number; now: number; leaseUntil: number }, WebhookDelivery>('webhook_claim', claimUpdate),
  delivered: prepared<{ ids: string; attempts: number; now: number }, { id: number }>('webhook_delivered', markDeliveredUpdate),
};

/**
 * Records the 2xx of many deliveries in one statement per distinct `attempts` (the fencing token;
 * nearly always one statement): one UPDATE per delivery was half of a message's statements in
 * bench:e2e. The ids go as one JSON array, so the statement is prepared once whatever the batch
 * size. Returns the ids recorded; a row missing from it had lost its claim (the attempts fence).
 */
export async function markDeliveredMany(db: Kysely<Database>, rows: ReadonlyArray<Pick<WebhookDelivery, 'id' | 'attempts'>>, now: number): Promise<Set<number>> {
  const byAttempts = new Map<number, number[]>();
  for (const r of rows) {
    const ids = byAttempts.get(r.attempts);
    if (ids) ids.push(r.id);
    else byAttempts.set(r.attempts, [r.id]);
  }
  const done = new Set<number>();
  for (const [attempts, ids] of byAttempts) {
    const { rows: updated } = await hot.delivered.run(db, { ids: JSON.stringify(ids), attempts, now });
    for (const u of updated) done.add(u.id);
  }
  return done;
}

/** Records a failed attempt: due again at `retryAt`, or dead when it is undefined. */
export async function markFailed(db: Kysely<Database>, row: WebhookDelivery, error: string, retryAt: number | undefined, now: number): Promise<boolean> {
  const r = await db
    .updateTable('webhook_outbox')
    .set(retryAt === undefined ? { state: 'dead', last_error: error, next_attempt_at: now } : { last_error: error, next_attempt_at: retryAt })
    .where('id', '=', row.id)
    .where('attempts', '=', row.attempts)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** When the next claim can find a row: the earliest due time among the heads of their subjects. */
export async function nextDeliveryDueAt(db: Kysely<Database>): Promise<number | undefined> {
  const r = await headsOfSubjects(db).select('w.next_attempt_at').orderBy('w.next_attempt_at').limit(1).executeTakeFirst();
  return r?.next_attempt_at;
}

export function getDelivery(db: Db, accountId: string, id: number): Promise<WebhookDelivery | undefined> {
  return db.selectFrom('webhook_outbox').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/**
 * A manual redelivery: a new pending copy of a finished delivery, to the account's current URL,
 * with a fresh retry window. The old row stays in the log as it ended; the copy queues behind
 * any pending delivery of the same subject, so order per subject still holds.
 */
export function copyForRedelivery(db: Db, row: WebhookDelivery, url: string, now: number): Promise<WebhookDelivery> {
  const { id: _old, ...rest } = row;
  return db
    .insertInto('webhook_outbox')
    .values({ ...rest, url, attempts: 0, next_attempt_at: now, state: 'pending', last_error: null, created_at: now, delivered_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface DeliveryQuery {
  accountId: string;
  state?: string;
  subjectId?: string;
  /** Only rows older than this delivery id (the cursor of the previous page). */
  before?: number;
  limit: number;
}

/** The account's delivery log, newest first (the (account_id, state) index serves the filter). */
export function listDeliveries(db: Db, q: DeliveryQuery): Promise<WebhookDelivery[]> {
  let sel = db.selectFrom('webhook_outbox').selectAll().where('account_id', '=', q.accountId);
  if (q.state) sel = sel.where('state', '=', q.state);
  if (q.subjectId) sel = sel.where('subject_id', '=', q.subjectId);
  if (q.before !== undefined) sel = sel.where('id', '<', q.before);
  return sel.orderBy('id', 'desc').limit(q.limit).execute();
}
