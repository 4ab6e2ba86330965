/**
 * Webhook delivery settings. The schema is ready to be a `webhooks` section of the config
 * (src/config.ts); until it is, `webhookOptions` reads that key leniently and fills defaults.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { type Config, ConfigError } from '../config.ts';

export const WebhookConfigSchema = Type.Object({
  enabled: Type.Boolean({ description: 'run the delivery worker in this process' }),
  /** Receivers must answer within this; the issue fixes it at 5 s. */
  timeout_ms: Type.Integer({ minimum: 100, maximum: 60_000 }),
  /** Deliveries are retried for this long after the status change, then marked dead. */
  max_age_ms: Type.Integer({ minimum: 1 }),
  backoff_base_ms: Type.Integer({ minimum: 1 }),
  backoff_max_ms: Type.Integer({ minimum: 1 }),
  /** How often due rows are looked for when nothing woke the worker (retries come due this way). */
  poll_ms: Type.Integer({ minimum: 5 }),
  /** Deliveries in flight at once (they are to different subjects by construction). */
  concurrency: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** How long an account's webhook settings are cached by the hot path. */
  cache_ttl_ms: Type.Integer({ minimum: 0 }),
});

export type WebhookOptions = Static<typeof WebhookConfigSchema>;

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  enabled: true,
  timeout_ms: 5_000,
  max_age_ms: 24 * 3_600_000,
  backoff_base_ms: 5_000,
  backoff_max_ms: 3_600_000,
  poll_ms: 1_000,
  concurrency: 32,
  cache_ttl_ms: 5_000,
};

/** Defaults ← config.webhooks (if present); a bad value stops the start with the key named. */
export function webhookOptions(config: Config): WebhookOptions {
  const given = (config as Config & { webhooks?: Partial<WebhookOptions> }).webhooks ?? {};
  const merged = { ...DEFAULT_WEBHOOK_OPTIONS, ...given };
  const errors = [...Value.Errors(WebhookConfigSchema, merged)];
  if (errors.length > 0) {
    const e = errors[0];
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    throw new ConfigError(`invalid configuration: webhooks.${path}: ${e.message}; fix it in the config file`);
  }
  return merged;
}
