/**
 * Signed status webhooks, wired as one unit: the settings cache, the enqueue hook the writer
 * calls in each transaction (outbox.enqueue → GroupWriter.beforeCommit), and the delivery worker.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { EventHub } from '../store/events.ts';
import type { Database, WebhookDelivery } from '../store/schema.ts';
import { type AccountWebhook, copyForRedelivery, type DeliveryQuery, getDelivery, listDeliveries, setAccountWebhook } from '../store/webhooks.ts';
import { VerifyError } from '../verify/errors.ts';
import { checkWebhookEvents } from '../core/webhook-events.ts';
import { type AccountHook, WebhookSettings } from './cache.ts';
import type { WebhookFormats } from './format.ts';
import { WebhookOutbox } from './outbox.ts';
import { WebhookWorker } from './worker.ts';

export { verifySignature } from './signature.ts';
/** The `webhooks` section of the config (src/config.ts). */
export type WebhookOptions = Config['webhooks'];

export interface WebhooksDeps {
  db: Kysely<Database>;
  hub: EventHub;
  options: WebhookOptions;
  log: Logger;
  now: () => number;
  /** Body formats by name (the API families' own, src/families/webhook-formats.ts). */
  formats: WebhookFormats;
}

export class Webhooks {
  readonly settings: WebhookSettings;
  readonly outbox: WebhookOutbox;
  readonly worker: WebhookWorker;

  constructor(private readonly d: WebhooksDeps) {
    this.settings = new WebhookSettings(d.options.cache_ttl_ms, d.now);
    this.outbox = new WebhookOutbox(this.settings, d.formats, d.now);
    this.worker = new WebhookWorker({ ...d, settings: this.settings });
  }

  start(): void {
    if (this.d.options.enabled) this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** The account's webhook as stored now (uncached). */
  async get(accountId: string): Promise<AccountHook | null> {
    this.settings.invalidate(accountId);
    return this.settings.get(this.d.db, accountId);
  }

  /**
   * Sets or replaces the webhook. Without a secret the current one is kept (moving the URL must
   * not break the receiver's signature check); an account without one gets a generated secret,
   * flagged `generated` so the caller shows it once. Throws invalid_url (field url) for anything
   * but an absolute http(s) URL without credentials.
   */
  async set(accountId: string, hook: { url: string; format: string; secret?: string; events?: readonly string[] | null }): Promise<AccountWebhook & { generated: boolean }> {
    const url = webhookUrl(hook.url);
    if (hook.events) {
      try {
        checkWebhookEvents(hook.events);
      } catch (e) {
        throw new VerifyError('invalid_events', 400, (e as Error).message, 'events');
      }
    }
    const stored = hook.secret && hook.events !== undefined ? undefined : await this.get(accountId);
    const current = hook.secret ? undefined : stored?.secret;
    const secret = hook.secret ?? current ?? newWebhookSecret();
    // Like the secret, an omitted filter keeps the current one; null (or ["*"]) asks for every change.
    const events = hook.events === undefined ? (stored?.events ?? null) : hook.events === null || hook.events.includes('*') ? null : [...new Set(hook.events)];
    const full = { url, format: hook.format, secret, events };
    await setAccountWebhook(this.d.db, accountId, full, this.d.now());
    this.settings.invalidate(accountId);
    this.worker.wake();
    return { ...full, generated: !hook.secret && !current };
  }

  /** Removes the webhook; its pending deliveries are given up (state dead, "webhook removed"). */
  async remove(accountId: string): Promise<void> {
    await setAccountWebhook(this.d.db, accountId, null, this.d.now());
    this.settings.invalidate(accountId);
  }

  /** Sends a delivered or given-up delivery again (Stripe's "resend"): a new row, returned. */
  async redeliver(accountId: string, id: number): Promise<WebhookDelivery> {
    const row = await getDelivery(this.d.db, accountId, id);
    if (!row) throw new VerifyError('delivery_not_found', 404, `no webhook delivery ${id} in this account; list them with GET /v1/webhook/deliveries`, 'id');
    if (row.state === 'pending') throw new VerifyError('delivery_pending', 409, `delivery ${id} is still being retried; wait for it to be delivered or given up`, 'id');
    const hook = await this.get(accountId);
    if (!hook) throw new VerifyError('webhook_not_configured', 404, 'no webhook is set; set one with PUT /v1/webhook {"url": "https://…"}');
    const copy = await copyForRedelivery(this.d.db, row, hook.url, this.d.now());
    this.worker.wake();
    return copy;
  }

  /** The delivery log (newest first): what was sent, what is waiting for a retry, what was given up. */
  deliveries(q: DeliveryQuery): Promise<WebhookDelivery[]> {
    return listDeliveries(this.d.db, q);
  }
}

/** The normalized URL, or invalid_url: only http(s), and no credentials (they would sit in logs and rows). */
function webhookUrl(raw: string): string {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password)
    throw new VerifyError('invalid_url', 400, 'url must be an absolute http:// or https:// URL without credentials, e.g. "https://example.com/hooks/otp"', 'url');
  return url.href;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
