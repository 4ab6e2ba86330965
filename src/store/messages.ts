/**
 * The message row is the outbox entry (DESIGN.md). Every status change is one guarded UPDATE
 * plus one event row, so a message's history is complete and a stale worker cannot overwrite a
 * newer state. For a row in "sending", next_attempt_at is the lease expiry: one index serves
 * both "due for a first try" and "worker died mid-send".
 */
import { type Kysely, sql } from 'kysely';
import { canMessageTransition, type MessageStatus } from '../core/status.ts';
import type { DialectName } from './dialect.ts';
import type { JobContext } from './writer.ts';
import { affected, jsonValues, type Prepared, prepared } from './prepared.ts';
import type { Database, Message, MessageEvent, MessagesTable } from './schema.ts';

type Db = Kysely<Database>;
/** A Kysely instance or a transaction. */
type Runner = Pick<Db, 'executeQuery' | 'getExecutor'>;

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

/** Arguments of the claim: the batch's size, this worker, and the times (epoch ms). */
type ClaimArgs = { limit: number; workerId: string; now: number; leaseUntil: number };

/**
 * The claim's UPDATE (graphile-worker's strategy): on PostgreSQL the inner SELECT takes row
 * locks with SKIP LOCKED so N instances never claim the same row; SQLite has one writer, so the
 * plain subquery is already exclusive.
 */
function claimUpdate(db: Db, p: ClaimArgs, dialect: DialectName) {
  return db
    .updateTable('messages')
    .set((eb) => ({ status: 'sending', locked_by: p.workerId, next_attempt_at: p.leaseUntil, attempts: eb('attempts', '+', 1), updated_at: p.now }))
    .where('id', 'in', dialect === 'postgres' ? dueLocked(db, p) : dueInOrder(db, p))
    .returningAll();
}

/** The due rows in order, locked with SKIP LOCKED so instances never claim the same row. */
function dueLocked(db: Db, p: ClaimArgs) {
  return db
    .selectFrom('messages')
    .select('id')
    .where('status', 'in', ['queued', 'sending'])
    .where('next_attempt_at', '<=', p.now)
    .orderBy('next_attempt_at')
    .limit(p.limit)
    .forUpdate()
    .skipLocked();
}

/**
 * The due rows in order, SQLite: each status read in index order (messages_due) up to the limit,
 * then the two merged. `status IN (queued, sending)` made SQLite sort every due row on each
 * claim, so a claim cost grew with the backlog (650 µs a claim in bench:e2e).
 */
function dueInOrder(db: Db, p: ClaimArgs) {
  const of = (status: 'queued' | 'sending') =>
    db
      .selectFrom((eb) =>
        eb.selectFrom('messages').select(['id', 'next_attempt_at']).where('status', '=', status).where('next_attempt_at', '<=', p.now).orderBy('next_attempt_at').limit(p.limit).as(status))
      .select([`${status}.id as id`, `${status}.next_attempt_at as next_attempt_at`]);
  return db.selectFrom(of('queued').unionAll(of('sending')).orderBy('next_attempt_at').limit(p.limit).as('due')).select('due.id');
}

/** The "sending" event of each claimed row: the row's new attempt number is its detail. */
const claimEventColumns = ['message_id', 'status', 'at', 'provider', 'detail'] as const;
function claimEventsOf(db: Db, from: 'c' | 'messages', now: number) {
  // "c" is the claim's RETURNING * (a messages row), so it is typed as messages.
  return db.selectFrom(from as 'messages').select([
    'id as message_id',
    sql.lit('sending').as('status'),
    sql<number>`cast(${now} as bigint)`.as('at'),
    sql<null>`null`.as('provider'),
    sql<string>`'attempt ' || ${sql.ref('attempts')}`.as('detail'),
  ]);
}

// Compiled once (src/store/prepared.ts). PostgreSQL claims and writes the events in one
// statement (an UPDATE and an INSERT in WITH); SQLite has no DML in WITH, so its events are a
// second statement that reads the claimed ids from one JSON array (one shape for any batch).
const claim = prepared<ClaimArgs, Message>('message_claim', (db, p, dialect) =>
  dialect === 'sqlite'
    ? claimUpdate(db, p, dialect)
    : db
        .with('c', () => claimUpdate(db, p, dialect))
        .with('e', (q) => q.insertInto('message_events').columns(claimEventColumns).expression(claimEventsOf(q as unknown as Db, 'c', p.now)))
        .selectFrom('c')
        .selectAll(),
);
const claimEvents = prepared<{ ids: string; now: number }>('message_claim_events', (db, p, dialect) =>
  db
    .insertInto('message_events')
    .columns(claimEventColumns)
    .expression(claimEventsOf(db, 'messages', p.now).where('id', 'in', jsonValues(p.ids, dialect))),
);

/** Leases up to `limit` due rows to `workerId` as "sending" (attempts + 1, each with its event); returns them. */
export async function claimDue(db: Db, dialect: DialectName, o: ClaimOptions): Promise<Message[]> {
  const args: ClaimArgs = { limit: o.limit, workerId: o.workerId, now: o.now, leaseUntil: o.now + o.leaseMs };
  const { rows } = await claim.run(db, args);
  if (dialect === 'sqlite' && rows.length > 0) await claimEvents.run(db, { ids: JSON.stringify(rows.map((m) => m.id)), now: o.now });
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

/** A status change's event row, compiled once (src/store/prepared.ts). */
const eventInsert = prepared<{ message_id: string; status: string; at: number; provider: string | null; detail: string | null }>('message_event', (db, p) =>
  db.insertInto('message_events').values({ message_id: p.message_id, status: p.status, at: p.at, provider: p.provider, detail: p.detail }));

/** Inserts one event of a message (a receipt's note, a part's outcome); `at` epoch ms. */
export async function insertEvent(ctx: JobContext, e: { message_id: string; status: string; at: number; provider: string | null; detail: string | null }): Promise<void> {
  await eventInsert.run(ctx.trx, e);
}

/** Arguments of a transition: the `set` columns under their own names, the rest prefixed (the event's too). */
type TransitionArgs = Record<string, unknown> & { _to: string; _now: number; _id: string; _lockedBy?: string; _provider: string | null; _detail: string | null };

/**
 * A transition's guarded UPDATE, one prepared statement per shape: the columns `set` names (in
 * sorted order), the status it moves from (a literal in the SQL: messages_sent_at is a partial
 * index on status, so a bound status made SQLite re-prepare on every run) and whether the
 * worker's lock is checked (each compiled per dialect). Callers use a handful of shapes (sent,
 * retry, failed, expired, a receipt's outcome, a re-dial), so this stays small.
 * On PostgreSQL the UPDATE runs in a WITH and the event's INSERT reads its row: one statement
 * (it inserts one row exactly when the guard let the update through); SQLite has no DML in
 * WITH, so there the event is a second statement.
 */
const transitionStatements = new Map<string, Prepared<TransitionArgs, unknown>>();
function transitionStatement(columns: readonly string[], from: string, locked: boolean) {
  const key = `${columns.join(',')}|${from}|${locked ? 'locked' : ''}`;
  let stmt = transitionStatements.get(key);
  if (!stmt) {
    const update = (db: Db, p: TransitionArgs) => {
      const set: Record<string, unknown> = {};
      for (const c of columns) set[c] = p[c];
      let q = db
        .updateTable('messages')
        .set({ ...(set as Partial<Message>), status: p._to, updated_at: p._now })
        .where('id', '=', p._id)
        .where('status', '=', from);
      if (locked) q = q.where('locked_by', '=', p._lockedBy!);
      return q;
    };
    stmt = prepared<TransitionArgs>(`message_transition_${transitionStatements.size}`, (db, p, dialect) =>
      dialect === 'sqlite'
        ? update(db, p)
        : db
            .with('u', () => update(db, p).returning('id'))
            .insertInto('message_events')
            .columns(['message_id', 'status', 'at', 'provider', 'detail'])
            .expression((eb) =>
              eb.selectFrom('u').select([
                'u.id as message_id',
                // Typed, as an INSERT's SELECT list gives its parameters no column to take a type from.
                sql<string>`cast(${p._to} as text)`.as('status'),
                sql<number>`cast(${p._now} as bigint)`.as('at'),
                sql<string | null>`cast(${p._provider} as text)`.as('provider'),
                sql<string | null>`cast(${p._detail} as text)`.as('detail'),
              ])),
    );
    transitionStatements.set(key, stmt);
  }
  return stmt;
}

/** Moves a message if the status machine allows it from its current state; false if not. */
export async function transition(ctx: JobContext, m: Message, t: Transition): Promise<boolean> {
  if (!canMessageTransition(m.status as MessageStatus, t.to)) return false;
  const args: TransitionArgs = { _to: t.to, _now: t.now, _id: m.id, _lockedBy: t.lockedBy, _provider: t.provider ?? null, _detail: t.detail ?? null };
  const columns: string[] = [];
  // As Kysely's set() would: an undefined value leaves its column out; status and updated_at are the transition's own.
  for (const [c, v] of Object.entries(t.set ?? {}))
    if (v !== undefined && c !== 'status' && c !== 'updated_at') {
      columns.push(c);
      args[c] = v;
    }
  columns.sort();
  const r = await transitionStatement(columns, m.status, Boolean(t.lockedBy)).run(ctx.trx, args);
  if (affected(r) !== 1) return false;
  if (ctx.dialect === 'sqlite') await eventInsert.run(ctx.trx, { message_id: m.id, status: t.to, at: t.now, provider: args._provider, detail: args._detail });
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

// Rows by ids given as one JSON array: one statement text for any number of ids.
const byIds = prepared<{ ids: string }, Message>('messages_by_ids', (db, p, dialect) => db.selectFrom('messages').selectAll().where('id', 'in', jsonValues(p.ids, dialect)));

/** The messages among `ids` (in no particular order), read in `db` (a Kysely instance or transaction). */
export async function messagesByIds(db: Runner, ids: readonly string[]): Promise<Message[]> {
  if (ids.length === 0) return [];
  return (await byIds.run(db, { ids: JSON.stringify(ids) })).rows;
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
