/**
 * Abuse tests on either counter backend: memory, or the real Redis at 127.0.0.1:6379 under a key
 * prefix of its own per test (removed when the test ends).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { build, type Harness } from '../helpers/gateway.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BACKENDS = ['memory', 'redis'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Every limit high: a test lowers the one it is about. */
export const HIGH = {
  per_number_10m: { points: 100_000 },
  per_number_24h: { points: 100_000 },
  per_account_1s: { points: 100_000 },
  per_account_24h: { points: 100_000 },
  per_key_1m: { points: 100_000 },
  per_prefix_1m: { points: 100_000 },
  per_ip_10m: { points: 100_000 },
  wrong_checks_per_number_1h: { points: 100_000 },
};

export async function dropKeys(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** A harness whose abuse section is `abuse` (geo open unless it says otherwise) on `backend`. */
export async function abuseBuild(t: TestContext, backend: Backend, abuse: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}, opts: { region?: string } = {}): Promise<Harness & { redisPrefix: string }> {
  const redisPrefix = `i11:${randomBytes(6).toString('hex')}:`;
  const redis = backend === 'redis' ? { redis_url: REDIS_URL } : {};
  const h = await build(t, { ...redis, ...overrides, abuse: { redis_prefix: redisPrefix, geo: { countries: ['*'] }, ...abuse } }, opts);
  if (backend === 'redis') t.after(() => dropKeys(redisPrefix));
  return { ...h, redisPrefix };
}

export function send(h: Harness, payload: Record<string, unknown>, token?: string) {
  return h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { channel: 'sms', ...payload } });
}

export async function balance(h: Harness, token?: string): Promise<number> {
  const res = await h.app.inject({ method: 'GET', url: '/v1/balance', headers: h.auth(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().balance;
}

export async function counts(h: Harness): Promise<{ messages: number; verifications: number; ledger: number }> {
  await h.gw.writer.flush();
  const n = async (table: 'messages' | 'verifications' | 'ledger') =>
    Number((await h.gw.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { messages: await n('messages'), verifications: await n('verifications'), ledger: await n('ledger') };
}

/** A refusal in the native shape: status, code, the extra field, Retry-After on 429s. */
export function assertRefusal(res: { statusCode: number; body: string; headers: Record<string, unknown>; json(): any }, status: number, code: string, extra: Record<string, unknown> = {}) {
  assert.equal(res.statusCode, status, res.body);
  const e = res.json().error;
  assert.equal(e.code, code, res.body);
  assert.ok(typeof e.message === 'string' && e.message.length > 20, 'the message names the cause and the fix');
  for (const [k, v] of Object.entries(extra)) assert.equal(e[k], v, res.body);
  if (status === 429) assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After on a 429: ${JSON.stringify(res.headers)}`);
}

/** A US mobile-capable number, distinct per i. */
export const usNumber = (i: number) => `+1415555${String(2000 + i).padStart(4, '0')}`;
