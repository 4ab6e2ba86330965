/** Webhook delivery settings: the defaults (5 s timeout, 24 h of retries) and a clear error for a bad value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.ts';

const config = (webhooks?: unknown) => loadConfig({ database_url: 'sqlite::memory:', ...(webhooks ? { webhooks } : {}) }, { NODE_ENV: 'test' });

test('defaults: receivers time out at 5 s, retries last 24 h with a backoff capped at 1 h', () => {
  const o = config().webhooks;
  assert.equal(o.timeout_ms, 5_000);
  assert.equal(o.max_age_ms, 24 * 3_600_000);
  assert.equal(o.backoff_max_ms, 3_600_000);
  assert.equal(o.enabled, true);
});

test('config.webhooks overrides a key; a bad value stops the start naming webhooks.<key>', () => {
  assert.equal(config({ timeout_ms: 200 }).webhooks.timeout_ms, 200);
  assert.equal(config({ timeout_ms: 200 }).webhooks.max_age_ms, 24 * 3_600_000, 'the others keep their defaults');
  assert.throws(() => config({ timeout_ms: 5 }), (e: Error) => e instanceof ConfigError && /webhooks\.timeout_ms/.test(e.message));
  assert.throws(() => config({ concurrency: 'lots' }), (e: Error) => e instanceof ConfigError && /webhooks\.concurrency/.test(e.message));
});
