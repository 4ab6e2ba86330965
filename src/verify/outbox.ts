/**
 * The outbox side of the verify service: a message row ready for the dispatcher, its charge,
 * and the refund of queued rows a closed verification no longer needs. Called inside the
 * service's one transaction per request.
 */
import { createHash } from 'node:crypto';
import { newId } from '../core/ids.ts';
import { chargeMessage } from '../store/ledger.ts';
import { insertMessage } from '../store/messages.ts';
import type { Message } from '../store/schema.ts';
import type { JobContext } from '../store/writer.ts';
import { VerifyError } from './errors.ts';

type Channel = 'sms' | 'voice';

/** A queued message row: the outbox entry the dispatcher claims. */
export function queuedMessage(
  deadlineSeconds: number,
  m: { accountId: string; family: string; from?: string; channel: Channel; verificationId: string | null; to: string; locale: string; meta?: Record<string, unknown> },
  body: string,
  info: { encoding: string; segments: number },
  price: number,
  now: number,
): Message {
  return {
    id: newId(),
    account_id: m.accountId,
    verification_id: m.verificationId,
    family: m.family,
    to_number: m.to,
    from_number: m.from ?? null,
    channel: m.channel,
    locale: m.locale,
    body,
    encoding: info.encoding,
    segments: info.segments,
    price,
    status: 'queued',
    provider: null,
    provider_message_id: null,
    attempts: 0,
    next_attempt_at: now,
    locked_by: null,
    deadline_at: now + deadlineSeconds * 1000,
    error_code: null,
    error_message: null,
    created_at: now,
    updated_at: now,
    sent_at: null,
    final_at: null,
    bill_sec: null,
    meta: m.meta ? JSON.stringify(m.meta) : null,
  };
}

/** A test number's message (src/abuse/): recorded as delivered at once, never dispatched, never charged. */
export function testDelivered(now: number): Partial<Message> {
  return { status: 'delivered', provider: 'test_number', price: 0, sent_at: now, final_at: now };
}

/**
 * A message's charge: its price debited and a ledger row, in the caller's transaction; nothing
 * for a test number's message (never charged). False (nothing changed) when the balance is short.
 */
export function charge(ctx: JobContext, message: Message): Promise<boolean> {
  if (message.provider === 'test_number') return Promise.resolve(true);
  return chargeMessage(ctx, { accountId: message.account_id, price: message.price, messageId: message.id, at: message.created_at });
}

/** The charge and the row (with its first event): false, and nothing written, when the balance is short. */
export async function chargeAndQueue(ctx: JobContext, message: Message): Promise<boolean> {
  if (!(await charge(ctx, message))) return false;
  await insertMessage(ctx, message);
  return true;
}

export function insufficient(price: number): VerifyError {
  return new VerifyError('insufficient_balance', 402, `the balance does not cover this message (${price} micro-units); top up the account`, undefined);
}

/** Keys sorted at every level: the same JSON object sent with its fields in another order is the same request. */
export function hashRequest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body ?? null)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A code that is approved or canceled needs no more sends: drop the queued ones and refund them. */
export async function cancelQueued(ctx: JobContext, verificationId: string, now: number): Promise<void> {
  const rows = await ctx.trx
    .updateTable('messages')
    .set({ status: 'canceled', updated_at: now, final_at: now })
    .where('verification_id', '=', verificationId)
    .where('status', '=', 'queued')
    .returning(['id', 'account_id', 'price'])
    .execute();
  for (const r of rows) {
    await ctx.trx.updateTable('accounts').set((eb) => ({ balance: eb('balance', '+', r.price) })).where('id', '=', r.account_id).execute();
    await ctx.trx.insertInto('ledger').values({ account_id: r.account_id, amount: r.price, reason: 'refund', message_id: r.id, at: now }).execute();
    await ctx.trx.insertInto('message_events').values({ message_id: r.id, status: 'canceled', at: now, provider: null, detail: 'verification closed' }).execute();
  }
}
