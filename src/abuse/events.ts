/**
 * Abuse events for the account: an `abuse.block` or `abuse.spend_alert` webhook, queued in the
 * webhook outbox (same signing, retries and delivery log as status webhooks) in the caller's
 * transaction. Native body shape: { id, type, created_at, data }. Accounts without a webhook get
 * the log line only.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { enqueueDeliveries, pendingDelivery } from '../store/webhooks.ts';

export type AbuseEventType = 'abuse.block' | 'abuse.spend_alert';

export async function abuseEvent(trx: Transaction<Database>, accountId: string, type: AbuseEventType, data: Record<string, unknown>, now: number): Promise<boolean> {
  const a = await trx.selectFrom('accounts').select(['webhook_url', 'webhook_secret']).where('id', '=', accountId).executeTakeFirst();
  if (!a?.webhook_url || !a.webhook_secret) return false;
  await enqueueDeliveries(trx, [
    pendingDelivery(
      {
        account_id: accountId,
        event: type,
        // Deliveries of one subject go out in order: abuse events of an account form one stream.
        subject_id: `abuse:${accountId}`.slice(0, 40),
        status: type.slice('abuse.'.length),
        format: 'native',
        payload: JSON.stringify({ type, created_at: new Date(now).toISOString(), data }),
        url: a.webhook_url,
      },
      now,
    ),
  ]);
  return true;
}
