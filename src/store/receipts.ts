/**
 * Receipts reach the right message, or none (DESIGN.md "Receipts"). A carrier's answer is kept
 * per part (message_parts) as it arrives; a receipt is matched to the newest OPEN part of that
 * provider under one of its keys whose destination agrees, so a reused id (an SMSC restarted at 1)
 * reaches the new message and a final message is never touched. A receipt naming several keys
 * (an `auto` id format) is applied only when exactly one message matches. A message is final
 * when every part of its attempt is: delivered if all are, undelivered as soon as any part fails
 * (Vonage's rule for concatenated SMS); each part's outcome is an event of the message.
 *
 * A receipt matching nothing yet is parked in pending_receipts (under each of its keys) and
 * applied when a part under that key is recorded, or by the periodic sweep.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { FINAL_MESSAGE_STATUSES, type MessageStatus } from '../core/status.ts';
import type { AcceptedPart, Receipt } from '../providers/types.ts';
import { insertEvent, messageMeta, transition } from './messages.ts';
import { affected, type Prepared, prepared } from './prepared.ts';
import type { Database, Message, MessagePart, PendingReceiptsTable } from './schema.ts';
import type { JobContext } from './writer.ts';

/** Every column of a part, checked complete by the compiler: the match reads them beside the message's. */
const PART_COLUMNS = Object.keys({
  id: 1, message_id: 1, attempt: 1, part: 1, total: 1, provider: 1, provider_message_id: 1, carrier_key: 1, to_number: 1, outcome: 1, error_code: 1,
  created_at: 1, final_at: 1,
} satisfies Record<keyof MessagePart, 1>) as Array<keyof MessagePart>;

/** A part with its message's whole row, as the receipt match reads them (part columns prefixed "part_"). */
type PartWithMessage = Message & { [K in keyof MessagePart as `part_${K}`]: MessagePart[K] };

// The hot statements of the send and receipt paths, compiled once (src/store/prepared.ts).
const hot = {
  insertPart: prepared<Omit<MessagePart, 'id'>>('part_insert', (db, p) =>
    db
      .insertInto('message_parts')
      .values({
        message_id: p.message_id, attempt: p.attempt, part: p.part, total: p.total, provider: p.provider, provider_message_id: p.provider_message_id,
        carrier_key: p.carrier_key, to_number: p.to_number, outcome: p.outcome, error_code: p.error_code, created_at: p.created_at, final_at: p.final_at,
      })
      .onConflict((oc) => oc.columns(['message_id', 'attempt', 'part']).doNothing())),
  partsOf: prepared<{ messageId: string; attempt: number }, MessagePart>('parts_of_attempt', (db, p) =>
    db.selectFrom('message_parts').selectAll().where('message_id', '=', p.messageId).where('attempt', '=', p.attempt).orderBy('part')),
  closePart: prepared<{ id: number; outcome: string; errorCode: string | null; now: number }>('part_close', (db, p) =>
    db.updateTable('message_parts').set({ outcome: p.outcome, error_code: p.errorCode, final_at: p.now }).where('id', '=', p.id).where('outcome', 'is', null)),
  parked: prepared<{ provider: string; key: string }, Selectable<PendingReceiptsTable>>('parked_receipts_of_key', (db, p) =>
    db.selectFrom('pending_receipts').selectAll().where('provider', '=', p.provider).where('provider_message_id', '=', p.key).orderBy('at')),
  lockKey: prepared<{ provider: string; key: string }>('receipt_key_lock', (db, p) =>
    db.selectNoFrom(sql<null>`pg_advisory_xact_lock(hashtext(${p.provider}), hashtext(${p.key}))`.as('locked'))),
};

/**
 * A part and its message from one row of the match. The row stands for the message as it is:
 * its extra part_* fields are never read as the message's, and copying 27 columns (or deleting
 * 13) per receipt cost more than it saves.
 */
function splitPart(row: PartWithMessage): { part: MessagePart; m: Message } {
  const part = {} as Record<keyof MessagePart, unknown>;
  for (const c of PART_COLUMNS) part[c] = row[`part_${c}`];
  return { part: part as MessagePart, m: row };
}

export type ReceiptResult = 'applied' | 'ignored' | 'parked' | 'ambiguous';

const FINAL = new Set<string>(FINAL_MESSAGE_STATUSES);

/** Digits only: carriers write the destination with or without '+', and E.164 is stored with it. */
export function digitsOf(number: string): string {
  return number.replace(/\D/g, '');
}

/**
 * Same handset: equal digits, or one is the other with its country code dropped (a national
 * receipt address). Never shorter than 6 digits, so a stray short code cannot match.
 */
function sameNumber(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.length >= 6 && long.endsWith(short) && long.length - short.length <= 3;
}

/**
 * Record one accepted part of message `m` (attempt m.attempts); once every part of the attempt
 * is on record the message moves sending → sent (guarded by `lockedBy`). Safe to run twice.
 * Applies receipts parked under the part's key.
 */
export async function recordPart(
  ctx: JobContext,
  m: Message,
  provider: string,
  part: AcceptedPart,
  t: { now: number; lockedBy: string; detail: string },
): Promise<void> {
  await lockKeys(ctx, provider, [part.key]);
  const row: Omit<MessagePart, 'id'> = {
    message_id: m.id,
    attempt: m.attempts,
    part: part.index + 1,
    total: part.total,
    provider,
    provider_message_id: part.providerMessageId,
    carrier_key: part.key,
    to_number: digitsOf(m.to_number),
    outcome: null,
    error_code: null,
    created_at: t.now,
    final_at: null,
  };
  const inserted = affected(await hot.insertPart.run(ctx.trx, row)) === 1;
  // A lone part just inserted is the whole attempt: no need to read it back.
  const parts = inserted && part.total === 1 ? [row] : await partsOf(ctx, m.id, m.attempts);
  if (parts.length >= part.total) {
    const first = parts.find((p) => p.part === 1)!;
    await transition(ctx, m, {
      to: 'sent',
      now: t.now,
      lockedBy: t.lockedBy,
      provider,
      detail: t.detail,
      set: { provider, provider_message_id: first.provider_message_id, sent_at: t.now, next_attempt_at: t.now, error_code: null, error_message: null },
    });
  }
  await applyParkedLocked(ctx, provider, part.key, t.now);
}

async function partsOf(ctx: JobContext, messageId: string, attempt: number): Promise<MessagePart[]> {
  return (await hot.partsOf.run(ctx.trx, { messageId, attempt })).rows;
}

type Match =
  | { kind: 'part'; part: MessagePart; m: Message }
  | { kind: 'message'; m: Message }
  | { kind: 'late'; part: MessagePart }
  | { kind: 'none' }
  | { kind: 'ambiguous'; ids: string[] };

/**
 * The open part a receipt names: of a non-final message first (newest), else of a final one
 * (a late part of a message another part already decided: only noted). Rows sent before
 * 004_receipts are matched by their message's own carrier id, open messages only.
 */
async function match(ctx: JobContext, r: Receipt): Promise<Match> {
  const keys = r.candidates?.length ? r.candidates : [r.providerMessageId];
  const to = r.to ? digitsOf(r.to) : undefined;
  const rows = await openParts(ctx, r.provider, keys);
  const same = to ? rows.filter((p) => sameNumber(p.part_to_number, to)) : rows;
  const open = same.filter((p) => !FINAL.has(p.status));
  if (open.length > 0) {
    // Several keys (auto): more than one message naming any of them is a guess; refuse it.
    const messages = [...new Set(open.map((p) => p.id))];
    if (keys.length > 1 && messages.length > 1) return { kind: 'ambiguous', ids: messages };
    return { kind: 'part', ...splitPart(open[0]) };
  }
  if (same.length > 0) return { kind: 'late', part: splitPart(same[0]).part };
  if (rows.length > 0) return { kind: 'none' };
  // A message sent before parts were recorded: its own carrier id, still open.
  const legacy = await ctx.trx
    .selectFrom('messages')
    .selectAll()
    .where('provider', '=', r.provider)
    .where('provider_message_id', 'in', keys)
    .where('status', 'in', ['sending', 'sent'])
    .orderBy('id', 'desc')
    .execute();
  const fit = legacy.filter((m) => !to || sameNumber(digitsOf(m.to_number), to));
  if (fit.length === 1 || (fit.length > 1 && keys.length === 1)) {
    const hasParts = await ctx.trx.selectFrom('message_parts').select('id').where('message_id', '=', fit[0].id).executeTakeFirst();
    if (!hasParts) return { kind: 'message', m: fit[0] };
  }
  return fit.length > 1 ? { kind: 'ambiguous', ids: fit.map((m) => m.id) } : { kind: 'none' };
}

/**
 * The open parts under any of `n` keys, each with its message's row (one read, not two): one
 * prepared statement per key count. A receipt names one key, or a few under an `auto` id
 * format (ids.ts receiptKeys: the id read as hex and as decimal), so this stays small.
 */
const matchStatements = new Map<number, Prepared<Record<string, string>, PartWithMessage>>();
function matchStatement(n: number) {
  let stmt = matchStatements.get(n);
  if (!stmt) {
    stmt = prepared<Record<string, string>, PartWithMessage>(`receipt_match_${n}`, (db, p) =>
      db
        .selectFrom('message_parts as p')
        .innerJoin('messages as m', 'm.id', 'p.message_id')
        .selectAll('m')
        .select(PART_COLUMNS.map((c) => `p.${c} as part_${c}` as const))
        .where('p.provider', '=', p.provider)
        .where('p.carrier_key', 'in', Array.from({ length: n }, (_, i) => p[`k${i}`]))
        .where('p.outcome', 'is', null)
        .orderBy('p.id', 'desc'));
    matchStatements.set(n, stmt);
  }
  return stmt;
}

/** The open parts under `keys` (one or more) of `provider`, newest first, each with its message. */
async function openParts(ctx: JobContext, provider: string, keys: readonly string[]): Promise<PartWithMessage[]> {
  const args: Record<string, string> = { provider };
  keys.forEach((k, i) => (args[`k${i}`] = k));
  return (await matchStatement(keys.length).run(ctx.trx, args)).rows;
}

/**
 * On PostgreSQL a send's record and its receipt may run in two transactions at once (writer lanes,
 * or two instances: the receipt came in on another's bind); neither would see the other's
 * uncommitted row and the receipt would park unseen until the sweep. Both take a transaction
 * advisory lock on the carrier key first (keys sorted, so two locks never deadlock): the second
 * waits for the first to commit and then, READ COMMITTED, sees its row. SQLite has one writer.
 */
async function lockKeys(ctx: JobContext, provider: string, keys: readonly string[]): Promise<void> {
  if (ctx.dialect !== 'postgres') return;
  for (const key of [...new Set(keys)].sort()) await hot.lockKey.run(ctx.trx, { provider, key });
}

/** Apply a receipt, or park it when nothing matches yet. */
export async function applyReceipt(ctx: JobContext, r: Receipt, now: number): Promise<ReceiptResult> {
  await lockKeys(ctx, r.provider, r.candidates?.length ? r.candidates : [r.providerMessageId]);
  const found = await applyMatched(ctx, r, now);
  if (found !== 'none') return found;
  const keys = r.candidates?.length ? r.candidates : [r.providerMessageId];
  const ref = keys.length > 1 ? randomUUID() : null;
  await ctx.trx
    .insertInto('pending_receipts')
    .values(
      keys.map((key) => ({
        provider: r.provider,
        provider_message_id: key,
        outcome: r.outcome,
        error_code: r.errorCode ?? null,
        bill_sec: r.billSec ?? null,
        at: r.at.getTime(),
        to_number: r.to ? digitsOf(r.to) : null,
        ref,
      })),
    )
    .execute();
  return 'parked';
}

async function applyMatched(ctx: JobContext, r: Receipt, now: number): Promise<ReceiptResult | 'none'> {
  const found = await match(ctx, r);
  if (found.kind === 'none') return 'none';
  if (found.kind === 'ambiguous') return 'ambiguous';
  const errorCode = r.errorCode ?? null;
  if (found.kind === 'late') {
    if (r.outcome !== 'enroute') await closePart(ctx, found.part, r.outcome, errorCode, now, ' (message already final)');
    return 'ignored';
  }
  const { m } = found;
  if (found.kind === 'message') return (await applyTo(ctx, m, r.outcome, errorCode, r.billSec ?? null, now)) ? 'applied' : 'ignored';
  const { part } = found;
  const label = part.total > 1 ? ` part ${part.part}/${part.total}` : '';
  if (r.outcome === 'enroute') return (await applyTo(ctx, m, 'enroute', errorCode, null, now, label)) ? 'applied' : 'ignored';
  if (part.total === 1) {
    if (!(await closePart(ctx, part, r.outcome, errorCode, now))) return 'ignored';
    return (await applyTo(ctx, m, r.outcome, errorCode, r.billSec ?? null, now)) ? 'applied' : 'ignored';
  }
  // One part of several: its outcome is an event; the message waits for the rest, or fails now.
  if (!(await closePart(ctx, part, r.outcome, errorCode, now))) return 'ignored';
  const parts = await partsOf(ctx, m.id, part.attempt);
  const failed = parts.find((p) => p.outcome !== null && p.outcome !== 'delivered');
  if (failed) {
    const code = failed.error_code ?? failed.outcome!;
    return (await applyTo(ctx, m, 'undelivered', `part ${failed.part}/${failed.total} ${code}`, null, now)) ? 'applied' : 'ignored';
  }
  if (parts.length >= part.total && parts.every((p) => p.outcome === 'delivered'))
    return (await applyTo(ctx, m, 'delivered', null, null, now, ` (all ${part.total} parts)`)) ? 'applied' : 'ignored';
  return 'applied';
}

/** Records a part's outcome (once); for a part of several, also as an event of its message. */
async function closePart(ctx: JobContext, part: MessagePart, outcome: string, errorCode: string | null, now: number, note = ''): Promise<boolean> {
  if (affected(await hot.closePart.run(ctx.trx, { id: part.id, outcome, errorCode, now })) !== 1) return false;
  if (part.total > 1) {
    const m = await ctx.trx.selectFrom('messages').select(['status', 'provider']).where('id', '=', part.message_id).executeTakeFirstOrThrow();
    await insertEvent(ctx, {
      message_id: part.message_id, status: m.status, at: now, provider: m.provider,
      detail: `receipt part ${part.part}/${part.total}: ${outcome}${errorCode ? ` ${errorCode}` : ''}${note}`,
    });
  }
  return true;
}

async function applyTo(
  ctx: JobContext,
  m: Message,
  outcome: string,
  errorCode: string | null,
  billSec: number | null,
  now: number,
  label = '',
): Promise<boolean> {
  if (outcome === 'enroute') {
    await insertEvent(ctx, { message_id: m.id, status: m.status, at: now, provider: m.provider, detail: `receipt${label} ${errorCode ?? 'ENROUTE'}` });
    return true;
  }
  if ((outcome === 'no_answer' || outcome === 'busy') && (await redial(ctx, m, errorCode ?? outcome, now))) return true;
  const to: MessageStatus = outcome === 'delivered' ? 'delivered' : 'undelivered';
  return transition(ctx, m, {
    to,
    now,
    provider: m.provider,
    detail: (errorCode ? `receipt ${errorCode}` : 'receipt') + label,
    // A call's no_answer / busy outcome is its error code unless the carrier gave its own.
    set: { final_at: now, error_code: to === 'delivered' ? null : errorCode ?? outcome, bill_sec: billSec },
  });
}

/** The pause before re-dialing: long enough for a busy line to free up or the callee to reach the phone. */
export const REDIAL_DELAY_MS = 30_000;

/**
 * Re-queues a call that was not answered (or met a busy line) while the caller's re-dials last
 * (meta.voice.retries; meta.dials counts the calls placed). The carrier id is cleared so a late
 * receipt of this call cannot land on the next one. False when no re-dial is left.
 */
async function redial(ctx: JobContext, m: Message, errorCode: string, now: number): Promise<boolean> {
  const meta = messageMeta(m);
  const dials = meta.dials ?? 1;
  const retries = meta.voice?.retries ?? 0;
  if (m.channel !== 'voice' || dials > retries) return false;
  return transition(ctx, m, {
    to: 'queued',
    now,
    provider: m.provider,
    detail: `receipt ${errorCode}; re-dial ${dials} of ${retries}`,
    set: {
      next_attempt_at: now + REDIAL_DELAY_MS,
      provider_message_id: null,
      locked_by: null,
      error_code: errorCode,
      meta: JSON.stringify({ ...meta, dials: dials + 1 }),
    },
  });
}

/** Applies receipts parked under `key` that now match an open part; a receipt parked under several keys goes once. */
export async function applyParked(ctx: JobContext, provider: string, key: string, now: number): Promise<void> {
  await lockKeys(ctx, provider, [key]);
  await applyParkedLocked(ctx, provider, key, now);
}

/** applyParked for a caller already holding the key's lock (recordPart: a second lock was a round trip for nothing). */
async function applyParkedLocked(ctx: JobContext, provider: string, key: string, now: number): Promise<void> {
  const { rows: parked } = await hot.parked.run(ctx.trx, { provider, key });
  for (const p of parked) {
    const r: Receipt = {
      provider,
      providerMessageId: key,
      outcome: p.outcome as Receipt['outcome'],
      errorCode: p.error_code ?? undefined,
      billSec: p.bill_sec ?? undefined,
      at: new Date(p.at),
      ...(p.to_number ? { to: p.to_number } : {}),
    };
    if ((await applyMatched(ctx, r, now)) === 'none') continue;
    let done = ctx.trx.deleteFrom('pending_receipts').where('provider', '=', provider);
    done = p.ref ? done.where('ref', '=', p.ref) : done.where('provider_message_id', '=', key).where('at', '=', p.at).where('outcome', '=', p.outcome);
    await done.execute();
  }
}

/**
 * Parked receipts that may match now (another instance recorded the send), newest first: old
 * ones that never match (a carrier id we never sent) must not crowd out the fresh ones.
 */
export function parkedReceipts(db: Kysely<Database>, limit: number) {
  return db.selectFrom('pending_receipts').select(['provider', 'provider_message_id', 'at']).orderBy('at', 'desc').limit(limit).execute();
}

/** Drops parked receipts nobody claimed (a carrier's receipt for a message we never sent). */
export async function dropStaleParked(db: Kysely<Database>, olderThan: number): Promise<void> {
  await db.deleteFrom('pending_receipts').where('at', '<', olderThan).execute();
}
