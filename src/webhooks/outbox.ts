/**
 * The enqueue side: GroupWriter.beforeCommit calls `enqueue` inside each batch's transaction
 * with the events its jobs emitted. For accounts with a webhook it reads the rows concerned (in
 * that transaction, so the payload shows the committed state) and inserts one outbox row per
 * status change. Accounts without one cost a cache lookup; batches without status events, nothing.
 */
import type { Transaction } from 'kysely';
import type { StoreEvent } from '../store/events.ts';
import type { Database, Message, NewWebhookDelivery, Verification } from '../store/schema.ts';
import { enqueueDeliveries, pendingDelivery } from '../store/webhooks.ts';
import { messagesByIds } from '../store/messages.ts';
import type { WebhookSettings } from './cache.ts';
import { buildPayload, type WebhookFormats } from './format.ts';
import { wantsEvent } from '../core/webhook-events.ts';

/** A status change as the outbox sees it (message.created is the message's first status, queued). */
interface Change {
  event: 'message.status' | 'verification.status';
  subjectId: string;
  accountId: string;
  status: string;
  at: number | undefined;
  errorCode?: string | null;
}

function asChange(e: StoreEvent): Change | undefined {
  switch (e.type) {
    case 'message.created':
      return { event: 'message.status', subjectId: e.messageId, accountId: e.accountId, status: 'queued', at: undefined };
    case 'message.status':
      return { event: 'message.status', subjectId: e.messageId, accountId: e.accountId, status: e.status, at: e.at, errorCode: e.errorCode };
    case 'verification.status':
      return { event: 'verification.status', subjectId: e.verificationId, accountId: e.accountId, status: e.status, at: e.at };
    default:
      return undefined;
  }
}

/** The subject kind of change `c`, as webhook event filters and payloads name it. */
function kindOf(c: Change): 'message' | 'verification' {
  return c.event === 'message.status' ? 'message' : 'verification';
}

/**
 * Whether committed event `e` may have queued an outbox row for its account: unknown settings
 * (`hook` undefined, not cached) may have; no webhook (null) has not; otherwise the account's
 * event filter decides, as `enqueue` did. The worker wakes only on these: with the filter
 * message.final, waking on every change made half of its claims (0.7 ms each) find nothing.
 */
export function mayHaveQueued(e: StoreEvent, hook: { events: readonly string[] | null } | null | undefined): boolean {
  const c = asChange(e);
  if (!c || hook === null) return false;
  return hook === undefined || wantsEvent(hook.events, kindOf(c), c.status);
}

export class WebhookOutbox {
  constructor(
    private readonly settings: WebhookSettings,
    private readonly formats: WebhookFormats,
    private readonly now: () => number,
  ) {}

  /** The GroupWriter.beforeCommit hook. Throwing rolls the batch back: no change without its webhook. */
  readonly enqueue = async (trx: Transaction<Database>, events: readonly StoreEvent[]): Promise<void> => {
    const changes: Change[] = [];
    for (const e of events) {
      const c = asChange(e);
      if (c) changes.push(c);
    }
    if (changes.length === 0) return;
    const hooks = await this.settings.getMany(trx, new Set(changes.map((c) => c.accountId)));
    const wanted = changes.filter((c) => {
      const hook = hooks.get(c.accountId);
      return hook && wantsEvent(hook.events, kindOf(c), c.status);
    });
    if (wanted.length === 0) return;

    const messageIds = [...new Set(wanted.filter((c) => c.event === 'message.status').map((c) => c.subjectId))];
    const verificationIds = [...new Set(wanted.filter((c) => c.event === 'verification.status').map((c) => c.subjectId))];
    const messages = new Map<string, Message>();
    const verifications = new Map<string, Verification>();
    if (messageIds.length > 0)
      for (const m of await messagesByIds(trx, messageIds)) messages.set(m.id, m);
    if (verificationIds.length > 0)
      for (const v of await trx.selectFrom('verifications').selectAll().where('id', 'in', verificationIds).execute()) verifications.set(v.id, v);

    const now = this.now();
    const rows: NewWebhookDelivery[] = [];
    for (const c of wanted) {
      const hook = hooks.get(c.accountId)!;
      const message = c.event === 'message.status' ? messages.get(c.subjectId) : undefined;
      const verification = c.event === 'verification.status' ? verifications.get(c.subjectId) : undefined;
      const at = c.at ?? message?.created_at ?? now;
      const payload = buildPayload(this.formats, hook.format, {
        kind: kindOf(c),
        status: c.status,
        at,
        errorCode: c.errorCode,
        message,
        verification,
        account: hook.account,
      });
      if (payload === undefined) continue;
      rows.push(
        pendingDelivery({ account_id: c.accountId, event: c.event, subject_id: c.subjectId, status: c.status, format: hook.format, payload: JSON.stringify(payload), url: hook.url }, now),
      );
    }
    if (rows.length === 0) return;
    await enqueueDeliveries(trx, rows);
  };
}
