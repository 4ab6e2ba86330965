/**
 * Every named limit on both counter backends (memory, real Redis): the send past it is refused
 * 429 rate_limited naming the limit, with Retry-After, and nothing is written or charged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abuseBuild, assertRefusal, balance, BACKENDS, counts, HIGH, send, usNumber } from './helpers.ts';

const ADMIN = 'admin-token-admin-token-admin-token';
const PRICE = 50_000;

for (const backend of BACKENDS) {
  /** Sends `ok` payloads that must pass, then one that must be refused by `limit`. */
  async function exhaust(t: any, limit: string, payloads: Record<string, unknown>[], refused: Record<string, unknown>, opts: { token?: (h: any) => Promise<string | undefined> } = {}) {
    const h = await abuseBuild(t, backend, { limits: { ...HIGH, [limit]: { points: payloads.length, duration_seconds: 600 } } });
    const token = opts.token ? await opts.token(h) : undefined;
    const before = await balance(h);
    for (const p of payloads) {
      const res = await send(h, p);
      assert.equal(res.statusCode, 201, `${limit}: ${res.body}`);
    }
    const c0 = await counts(h);
    const res = await send(h, refused, token);
    assertRefusal(res, 429, 'rate_limited', { limit, field: 'to' });
    assert.match(res.json().error.message, new RegExp(limit));
    assert.deepEqual(await counts(h), c0, 'nothing written');
    assert.equal(await balance(h), before - payloads.length * PRICE, 'nothing charged for the refusal');
    return h;
  }

  test(`${backend}: per_number_10m and per_number_24h — different codes to one number`, async (t) => {
    for (const limit of ['per_number_10m', 'per_number_24h']) {
      const h = await exhaust(t, limit, [{ to: usNumber(1), code: '1111' }, { to: usNumber(1), code: '2222' }], { to: usNumber(1), code: '3333' });
      assert.equal((await send(h, { to: usNumber(2) })).statusCode, 201, 'another number is not limited');
    }
  });

  test(`${backend}: per_account_1s and per_account_24h count every number of the account`, async (t) => {
    for (const limit of ['per_account_1s', 'per_account_24h']) {
      const h = await exhaust(t, limit, [{ to: usNumber(1) }, { to: usNumber(2) }], { to: usNumber(3) });
      const other = await h.newAccount();
      assert.equal((await send(h, { to: usNumber(3) }, other.token)).statusCode, 201, 'another account is not limited');
    }
  });

  test(`${backend}: per_key_1m counts per API key`, async (t) => {
    const h = await exhaust(t, 'per_key_1m', [{ to: usNumber(1) }, { to: usNumber(2) }], { to: usNumber(3) });
    const { createApiKey } = await import('../../src/store/accounts.ts');
    const { token } = await createApiKey(h.gw.store.db, h.account.id, '*', h.clock.now);
    assert.equal((await send(h, { to: usNumber(3) }, token)).statusCode, 201, 'a second key of the account has its own count');
  });

  test(`${backend}: per_prefix_1m counts sends to one 6-digit prefix`, async (t) => {
    const h = await exhaust(t, 'per_prefix_1m', [{ to: '+14155552001' }, { to: '+14155559002' }], { to: '+14155553003' });
    assert.equal((await send(h, { to: '+14165552001' })).statusCode, 201, 'another prefix (+141655) is not limited');
  });

  test(`${backend}: per_ip_10m counts only sends that pass the end user's ip`, async (t) => {
    const h = await exhaust(t, 'per_ip_10m', [{ to: usNumber(1), ip: '203.0.113.7' }, { to: usNumber(2), ip: '203.0.113.7' }], { to: usNumber(3), ip: '203.0.113.7' });
    assert.equal((await send(h, { to: usNumber(3), ip: '2001:db8::1' })).statusCode, 201, 'another ip');
    assert.equal((await send(h, { to: usNumber(4) })).statusCode, 201, 'no ip: not counted');
    const bad = await send(h, { to: usNumber(5), ip: 'not an ip' });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(bad.json().error.field, 'ip');
  });

  test(`${backend}: wrong_checks_per_number_1h refuses before the attempt is counted, across verifications`, async (t) => {
    const h = await abuseBuild(t, backend, { limits: { ...HIGH, wrong_checks_per_number_1h: { points: 3, duration_seconds: 3600 } } });
    const check = (id: string, code: string) => h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id, code } });
    const a = (await send(h, { to: usNumber(1), code: '123456' })).json();
    for (const c of ['000001', '000002']) assert.equal((await check(a.id, c)).json().valid, false);
    // A new code to the same number (brute force over resends): the count goes on.
    const b = (await send(h, { to: usNumber(1), code: '654321' })).json();
    assert.equal((await check(b.id, '000003')).json().valid, false);
    const res = await check(b.id, '654321');
    assertRefusal(res, 429, 'rate_limited', { limit: 'wrong_checks_per_number_1h' });
    const row = await h.gw.store.db.selectFrom('verifications').select(['attempts', 'status']).where('id', '=', b.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { attempts: 1, status: 'pending' }, 'the refused check was not counted');
    // Another number of the account is not affected.
    const c = (await send(h, { to: usNumber(2), code: '777777' })).json();
    assert.equal((await check(c.id, '777777')).json().valid, true);
  });

  test(`${backend}: a per-account override (admin API) replaces the default for that account only`, async (t) => {
    const h = await abuseBuild(t, backend, { limits: HIGH }, { admin_token: ADMIN });
    const other = await h.newAccount();
    const put = await h.app.inject({
      method: 'PUT',
      url: `/admin/accounts/${h.account.id}/abuse`,
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { limits: { per_number_10m: { points: 1 } } },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal((await send(h, { to: usNumber(1), code: '1111' })).statusCode, 201);
    assertRefusal(await send(h, { to: usNumber(1), code: '2222' }), 429, 'rate_limited', { limit: 'per_number_10m' });
    assert.equal((await send(h, { to: usNumber(1), code: '1111' }, other.token)).statusCode, 201);
    assert.equal((await send(h, { to: usNumber(1), code: '2222' }, other.token)).statusCode, 201, 'the other account keeps the config value');
    const bad = await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/abuse`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { limits: { per_moon_1h: { points: 1 } } } });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(bad.json().error.field, 'limits.per_moon_1h');
  });

  test(`${backend}: defaults are on — the sixth send to one number in 10 minutes is refused`, async (t) => {
    const h = await abuseBuild(t, backend, {});
    for (let i = 0; i < 5; i++) assert.equal((await send(h, { to: usNumber(1), code: `${1000 + i}` })).statusCode, 201);
    assertRefusal(await send(h, { to: usNumber(1), code: '9999' }), 429, 'rate_limited', { limit: 'per_number_10m' });
  });
}

test('a send refused after the decision (402) gives its counts back', async (t) => {
  const h = await abuseBuild(t, 'memory', { limits: { ...HIGH, per_account_24h: { points: 1 } } });
  const poor = await h.newAccount({ balance: 0 });
  assert.equal((await send(h, { to: usNumber(1) }, poor.token)).statusCode, 402);
  assert.equal((await send(h, { to: usNumber(2) }, poor.token)).statusCode, 402, 'still 402, not rate_limited: the refused send was not counted');
});
