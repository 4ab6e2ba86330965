/**
 * Signed status webhooks, wired as one unit: the settings cache, the enqueue hook the writer
 * calls in each transaction (outbox.enqueue → GroupWriter.beforeCommit), and the delivery worker.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DialectName } from '../store/dialect.ts';
import type { EventHub } from '../store/events.ts';
import type { Database } from '../store/schema.ts';
import { type AccountWebhook, setAccountWebhook } from '../store/webhooks.ts';
import { type AccountHook, WebhookSettings } from './cache.ts';
import { WebhookOutbox } from './outbox.ts';
import type { WebhookOptions } from './options.ts';
import { WebhookWorker } from './worker.ts';

export { verifySignature } from './signature.ts';
export { webhookOptions, type WebhookOptions } from './options.ts';

export interface WebhooksDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  hub: EventHub;
  options: WebhookOptions;
  log: Logger;
  now: () => number;
}

export class Webhooks {
  readonly settings: WebhookSettings;
  readonly outbox: WebhookOutbox;
  readonly worker: WebhookWorker;

  constructor(private readonly d: WebhooksDeps) {
    this.settings = new WebhookSettings(d.options.cache_ttl_ms, d.now);
    this.outbox = new WebhookOutbox(this.settings, d.now);
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

  /** Sets or replaces the webhook; a missing secret is generated (the caller shows it once). */
  async set(accountId: string, hook: { url: string; format: string; secret?: string }): Promise<AccountWebhook> {
    const full = { url: hook.url, format: hook.format, secret: hook.secret ?? newWebhookSecret() };
    await setAccountWebhook(this.d.db, accountId, full, this.d.now());
    this.settings.invalidate(accountId);
    this.worker.wake();
    return full;
  }

  /** Removes the webhook; its pending deliveries are given up (state dead, "webhook removed"). */
  async remove(accountId: string): Promise<void> {
    await setAccountWebhook(this.d.db, accountId, null, this.d.now());
    this.settings.invalidate(accountId);
  }
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
