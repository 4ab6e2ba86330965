/**
 * Receipts are matched by (provider, carrier id). One may arrive before its send was recorded
 * (a fast SMSC answers deliver_sm before we commit submit_sm_resp); it is parked in
 * pending_receipts and applied when the send is recorded or by the periodic sweep.
 *
 * On PostgreSQL the send's record and its receipt may run in two transactions at once (two
 * writer lanes, or two instances: the receipt came in on another's bind). Neither would see the
 * other's uncommitted row, the receipt would park unseen and wait for the sweep. So both take a
 * transaction advisory lock on the carrier id first: the second waits for the first to commit
 * and then, READ COMMITTED, sees its row. SQLite has one writer, already serial.
 */
import { type Kysely, sql } from 'kysely';
import type { MessageStatus } from '../core/status.ts';
import type { Receipt } from '../providers/types.ts';
import { messageMeta, transition } from './messages.ts';
import type { Database, Message } from './schema.ts';
import type { JobContext } from './writer.ts';

export type ReceiptResult = 'applied' | 'ignored' | 'parked';

/** Serializes work on one carrier id across transactions (see the top of this file). */
async function lockCarrierId(ctx: JobContext, provider: string, providerMessageId: string): Promise<void> {
  if (ctx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${provider}), hashtext(${providerMessageId}))`.execute(ctx.trx);
}

export async function applyReceipt(ctx: JobContext, r: Receipt, now: number): Promise<ReceiptResult> {
  await lockCarrierId(ctx, r.provider, r.providerMessageId);
  const m = await ctx.trx
    .selectFrom('messages')
    .selectAll()
    .where('provider', '=', r.provider)
    .where('provider_message_id', '=', r.providerMessageId)
    .executeTakeFirst();
  if (!m) {
    await ctx.trx
      .insertInto('pending_receipts')
      .values({
        provider: r.provider,
        provider_message_id: r.providerMessageId,
        outcome: r.outcome,
        error_code: r.errorCode ?? null,
        bill_sec: r.billSec ?? null,
        at: r.at.getTime(),
      })
      .execute();
    return 'parked';
  }
  return (await applyTo(ctx, m, r.outcome, r.errorCode ?? null, r.billSec ?? null, now)) ? 'applied' : 'ignored';
}

async function applyTo(
  ctx: JobContext,
  m: Message,
  outcome: string,
  errorCode: string | null,
  billSec: number | null,
  now: number,
): Promise<boolean> {
  if (outcome === 'enroute') {
    await ctx.trx
      .insertInto('message_events')
      .values({ message_id: m.id, status: m.status, at: now, provider: m.provider, detail: `receipt ${errorCode ?? 'ENROUTE'}` })
      .execute();
    return true;
  }
  if ((outcome === 'no_answer' || outcome === 'busy') && (await redial(ctx, m, errorCode ?? outcome, now))) return true;
  const to: MessageStatus = outcome === 'delivered' ? 'delivered' : 'undelivered';
  return transition(ctx, m, {
    to,
    now,
    provider: m.provider,
    detail: errorCode ? `receipt ${errorCode}` : 'receipt',
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

/** Applies parked receipts whose message now carries the carrier id. */
export async function applyParked(ctx: JobContext, provider: string, providerMessageId: string, now: number): Promise<void> {
  await lockCarrierId(ctx, provider, providerMessageId);
  const parked = await ctx.trx
    .selectFrom('pending_receipts')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_message_id', '=', providerMessageId)
    .execute();
  if (parked.length === 0) return;
  let applied = false;
  for (const p of parked) {
    const m = await ctx.trx
      .selectFrom('messages')
      .selectAll()
      .where('provider', '=', provider)
      .where('provider_message_id', '=', providerMessageId)
      .executeTakeFirst();
    if (m) {
      await applyTo(ctx, m, p.outcome, p.error_code, p.bill_sec, now);
      applied = true;
    }
  }
  // Unmatched receipts stay parked: the send may be recorded a moment later (by another lane or
  // instance) and the sweep must not throw its receipt away first. dropStaleParked ends them.
  if (!applied) return;
  await ctx.trx
    .deleteFrom('pending_receipts')
    .where('provider', '=', provider)
    .where('provider_message_id', '=', providerMessageId)
    .execute();
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
