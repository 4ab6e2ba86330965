/**
 * The message row is the outbox entry (DESIGN.md). Every status change is one guarded UPDATE
 * plus one event row, so a message's history is complete and a stale worker cannot overwrite a
 * newer state. For a row in "sending", next_attempt_at is the lease expiry: one index serves
 * both "due for a first try" and "worker died mid-send".
 */
import type { Kysely } from 'kysely';
import { canMessageTransition, type MessageStatus } from '../core/status.ts';
import type { DialectName } from './dialect.ts';
import type { JobContext } from './writer.ts';
import { prepared } from './prepared.ts';
import type { Database, Message, MessageEvent, MessagesTable } from './schema.ts';

type Db = Kysely<Database>;

/** What a message row keeps in `meta`: voice options and, for calls, how many dials were placed. */
export interface MessageMeta {
  voice?: { voiceId?: string; repeat?: number; retries?: number };
  dials?: number;
}

export function messageMeta(m: Pick<Message, 'meta'>): MessageMeta & Record<string, unknown> {
  return m.meta ? (JSON.parse(m.meta) as MessageMeta & Record<string, unknown>) : {};
}

/** Every column, checked complete by the compiler: the prepared insert names each one. */
const COLUMNS = Object.keys({
  id: 1, account_id: 1, verification_id: 1, family: 1, to_number: 1, from_number: 1, channel: 1, locale: 1, body: 1, encoding: 1, segments: 1,
  price: 1, status: 1, provider: 1, provider_message_id: 1, attempts: 1, next_attempt_at: 1, locked_by: 1, deadline_at: 1, error_code: 1,
  error_message: 1, created_at: 1, updated_at: 1, sent_at: 1, final_at: 1, bill_sec: 1, meta: 1,
} satisfies Record<keyof MessagesTable, 1>) as Array<keyof MessagesTable>;

// The accept path's message row and its first event, compiled once (src/store/prepared.ts).
// PostgreSQL takes both in one statement (the row's INSERT in a WITH runs exactly once even
// though the event's INSERT does not read it); SQLite has no INSERT in WITH: two.
const hot = {
  message: prepared<Message>('message_insert', (db, p) => db.insertInto('messages').values(Object.fromEntries(COLUMNS.map((c) => [c, p[c]])) as Message)),
  event: prepared<Message>('message_first_event', (db, p) =>
    db.insertInto('message_events').values({ message_id: p.id, status: p.status, at: p.created_at, provider: null, detail: null })),
  messageAndEvent: prepared<Message>('message_insert_with_event', (db, p) =>
    db
      .with('m', (q) => q.insertInto('messages').values(Object.fromEntries(COLUMNS.map((c) => [c, p[c]])) as Message))
      .insertInto('message_events')
      .values({ message_id: p.id, status: p.status, at: p.created_at, provider: null, detail: null })),
};

/** Inserts a new message (every column given) with its first event, and emits message.created after the commit. */
export async function insertMessage(ctx: JobContext, row: Message): Promise<void> {
  if (ctx.dialect === 'postgres') await hot.messageAndEvent.run(ctx.trx, row);
  else {
    await hot.message.run(ctx.trx, row);
    await hot.event.run(ctx.trx, row);
  }
  ctx.emit({ type: 'message.created', messageId: row.id, accountId: row.account_id, family: row.family, channel: row.channel, to: row.to_number, at: row.created_at });
}

export interface ClaimOptions {
  limit: number;
  workerId: string;
  leaseMs: number;
  now: number;
}

/**
 * One statement claims a batch (graphile-worker's strategy): on PostgreSQL the inner SELECT
 * takes row locks with SKIP LOCKED so N instances never claim the same row; SQLite has one
 * writer, so the plain subquery is already exclusive.
 */
export async function claimDue(db: Db, dialect: DialectName, o: ClaimOptions): Promise<Message[]> {
  let due = db
    .selectFrom('messages')
    .select('id')
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', o.now)
    .orderBy('next_attempt_at')
    .limit(o.limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const rows = await db
    .updateTable('messages')
    .set((eb) => ({
      status: 'sending',
      locked_by: o.workerId,
      next_attempt_at: o.now + o.leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: o.now,
    }))
    .where('id', 'in', due)
    .returningAll()
    .execute();
  if (rows.length > 0)
    await db
      .insertInto('message_events')
      .values(rows.map((m) => ({ message_id: m.id, status: 'sending', at: o.now, provider: null, detail: `attempt ${m.attempts}` })))
      .execute();
  return rows;
}

export interface Transition {
  to: MessageStatus;
  now: number;
  /** Only a row still locked by this worker may move (a lease taken over by another is not ours). */
  lockedBy?: string;
  provider?: string | null;
  detail?: string | null;
  set?: Partial<Omit<Message, 'id' | 'status'>>;
}

/** Moves a message if the status machine allows it from its current state; false if not. */
export async function transition(ctx: JobContext, m: Message, t: Transition): Promise<boolean> {
  if (!canMessageTransition(m.status as MessageStatus, t.to)) return false;
  let q = ctx.trx
    .updateTable('messages')
    .set({ ...t.set, status: t.to, updated_at: t.now })
    .where('id', '=', m.id)
    .where('status', '=', m.status);
  if (t.lockedBy) q = q.where('locked_by', '=', t.lockedBy);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await ctx.trx
    .insertInto('message_events')
    .values({ message_id: m.id, status: t.to, at: t.now, provider: t.provider ?? null, detail: t.detail ?? null })
    .execute();
  ctx.emit({
    type: 'message.status',
    messageId: m.id,
    accountId: m.account_id,
    verificationId: m.verification_id,
    status: t.to,
    at: t.now,
    errorCode: t.set?.error_code,
    provider: t.provider ?? t.set?.provider ?? m.provider,
  });
  return true;
}

export function getMessageById(db: Db, id: string): Promise<Message | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
}

export function getMessage(db: Db, accountId: string, id: string): Promise<Message | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
}

export function messageEvents(db: Db, messageId: string): Promise<MessageEvent[]> {
  return db.selectFrom('message_events').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
}

export interface MessageFilter {
  accountId: string;
  to?: string;
  status?: string;
  since?: number;
  /** Exclusive upper bound on id: ids are time-ordered, so this pages newest first. */
  before?: string;
  limit: number;
  family?: string;
  offset?: number;
}

export function listMessages(db: Db, f: MessageFilter): Promise<Message[]> {
  let q = db.selectFrom('messages').selectAll().where('account_id', '=', f.accountId);
  if (f.to) q = q.where('to_number', '=', f.to);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
  if (f.before) q = q.where('id', '<', f.before);
  if (f.family) q = q.where('family', '=', f.family);
  q = q.orderBy('id', 'desc').limit(f.limit);
  if (f.offset) q = q.offset(f.offset);
  return q.execute();
}

/** The account's messages (of one family), or only those up to and including `upToId`. */
export async function countMessages(db: Db, accountId: string, family?: string, upToId?: string): Promise<number> {
  let q = db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId);
  if (family) q = q.where('family', '=', family);
  if (upToId) q = q.where('id', '<=', upToId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Embedded mode only (one process owns the file): rows left "sending" by a killed process are due now. */
export async function releaseOrphanedSends(db: Db, now: number): Promise<number> {
  const r = await db
    .updateTable('messages')
    .set({ next_attempt_at: now, locked_by: null })
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Earliest due time among unfinished rows, so the dispatcher can sleep exactly that long. */
export async function nextDueAt(db: Db): Promise<number | undefined> {
  const r = await db
    .selectFrom('messages')
    .select('next_attempt_at')
    .where('status', 'in', ['queued', 'sending'])
    .orderBy('next_attempt_at')
    .limit(1)
    .executeTakeFirst();
  return r?.next_attempt_at;
}
