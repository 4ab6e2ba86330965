/**
 * Read-only queries of the operator console (src/http/console/): time series bucketed in SQL,
 * the rows of the funnel window, the cross-account message search. Instants are epoch ms
 * integers on both dialects, so `at / bucket` is integer division on SQLite and PostgreSQL alike
 * (bigint / int); PostgreSQL answers bigints as strings, hence the Number() on every figure.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Message, MessageEvent, WebhookDelivery } from './schema.ts';

type Db = Kysely<Database>;

/** Counts per bucket index (floor(at / bucketMs)) of one series. */
export type Buckets = Map<number, number>;

async function bucketed(rows: Promise<Array<{ b: unknown; n: unknown }>>): Promise<Buckets> {
  return new Map((await rows).map((r) => [Number(r.b), Number(r.n)]));
}

/** Messages accepted, delivered and verifications approved since `since`, per bucket of `bucketMs`. */
export async function seriesSince(db: Db, since: number, bucketMs: number): Promise<{ sends: Buckets; delivered: Buckets; approved: Buckets }> {
  const b = (col: string) => sql<number>`${sql.ref(col)} / ${sql.lit(bucketMs)}`;
  const [sends, delivered, approved] = await Promise.all([
    bucketed(db.selectFrom('messages').select([b('created_at').as('b'), (eb) => eb.fn.countAll().as('n')]).where('created_at', '>=', since).groupBy(b('created_at')).execute()),
    bucketed(
      db.selectFrom('messages').select([b('final_at').as('b'), (eb) => eb.fn.countAll().as('n')]).where('status', '=', 'delivered').where('final_at', '>=', since).groupBy(b('final_at')).execute(),
    ),
    bucketed(
      db
        .selectFrom('verifications')
        .select([b('updated_at').as('b'), (eb) => eb.fn.countAll().as('n')])
        .where('status', '=', 'approved')
        .where('updated_at', '>=', since)
        .groupBy(b('updated_at'))
        .execute(),
    ),
  ]);
  return { sends, delivered, approved };
}

export interface FunnelRow {
  verification_id: string | null;
  to_number: string;
  provider: string | null;
  status: string;
  created_at: number;
  final_at: number | null;
  approved: number;
}

/** The messages of the funnel window (newest first, at most `limit`), each with whether its verification was approved. */
export async function funnelRows(db: Db, since: number, limit: number): Promise<FunnelRow[]> {
  const rows = await db
    .selectFrom('messages as m')
    .leftJoin('verifications as v', 'v.id', 'm.verification_id')
    .select(['m.verification_id', 'm.to_number', 'm.provider', 'm.status', 'm.created_at', 'm.final_at'])
    .select(sql<number>`case when v.status = 'approved' then 1 else 0 end`.as('approved'))
    .where('m.created_at', '>=', since)
    .orderBy('m.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, created_at: Number(r.created_at), final_at: r.final_at === null ? null : Number(r.final_at), approved: Number(r.approved) }));
}

/** Messages not yet accepted by a carrier, and webhook deliveries still to make. */
export async function backlog(db: Db): Promise<{ outbox: number; webhooks: number }> {
  const [o, w] = await Promise.all([
    db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('status', 'in', ['queued', 'sending']).executeTakeFirst(),
    db.selectFrom('webhook_outbox').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'pending').executeTakeFirst(),
  ]);
  return { outbox: Number(o?.n ?? 0), webhooks: Number(w?.n ?? 0) };
}

export interface MessageSearch {
  /** A message or verification id (exact), or digits of the number (substring). */
  q?: string;
  status?: string;
  provider?: string;
  family?: string;
  /** E.164 prefix with '+', e.g. the calling code of a country filter. */
  prefix?: string;
  /** Exclusive upper bound on id (ids are time-ordered): the next page, newest first. */
  before?: string;
  limit: number;
}

/** Every account's messages matching the filters, newest first. */
export function searchMessages(db: Db, f: MessageSearch): Promise<Message[]> {
  let q = db.selectFrom('messages').selectAll();
  if (f.q) {
    const digits = f.q.replace(/[^0-9]/g, '');
    const text = f.q.trim();
    q = q.where((eb) => eb.or([eb('id', '=', text), eb('verification_id', '=', text), ...(digits.length >= 3 ? [eb('to_number', 'like', `%${digits}%`)] : [])]));
  }
  if (f.status) q = q.where('status', '=', f.status);
  if (f.provider) q = q.where('provider', '=', f.provider);
  if (f.family) q = q.where('family', '=', f.family);
  if (f.prefix) q = q.where('to_number', 'like', `${f.prefix}%`);
  if (f.before) q = q.where('id', '<', f.before);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/** A message's status history and the webhook deliveries about it or its verification, oldest first. */
export async function messageHistory(db: Db, m: Message): Promise<{ events: MessageEvent[]; webhooks: WebhookDelivery[] }> {
  const subjects = m.verification_id ? [m.id, m.verification_id] : [m.id];
  const [events, webhooks] = await Promise.all([
    db.selectFrom('message_events').selectAll().where('message_id', '=', m.id).orderBy('id').execute(),
    db.selectFrom('webhook_outbox').selectAll().where('subject_id', 'in', subjects).orderBy('id').execute(),
  ]);
  return { events, webhooks };
}

/**
 * What each account was charged since `since` (micro-units): the price of its messages created
 * since then, less those refunded (failed or canceled before a carrier took them).
 */
export async function chargedSince(db: Db, since: number): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('messages')
    .select(['account_id', (eb) => eb.fn.sum<number>('price').as('micros')])
    .where('created_at', '>=', since)
    .where('status', 'not in', ['failed', 'canceled'])
    .groupBy('account_id')
    .execute();
  return new Map(rows.map((r) => [r.account_id, Number(r.micros ?? 0)]));
}
