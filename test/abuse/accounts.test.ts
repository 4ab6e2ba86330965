/**
 * Test numbers (fixed code, delivered, nothing sent or charged, no limit counts them) and spend
 * caps (daily overall and per country: 429 spend_cap_reached, an alert event at 80%).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abuseBuild, assertRefusal, balance, BACKENDS, counts, HIGH, send } from './helpers.ts';

const ADMIN = 'admin-token-admin-token-admin-token';
const admin = { authorization: `Bearer ${ADMIN}` };

test('test numbers: managed by the admin API; accepted and recorded as delivered with the fixed code, never sent, charged or limited', async (t) => {
  const h = await abuseBuild(t, 'memory', { limits: { per_number_10m: { points: 2 } } }, { admin_token: ADMIN });
  const TEST = '+14155550123';
  const put = await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/test-numbers/${encodeURIComponent('(415) 555-0123')}`, headers: admin, payload: { code: '424242' } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json().number, TEST, 'normalized in the account region');
  const list = await h.app.inject({ method: 'GET', url: `/admin/accounts/${h.account.id}/test-numbers`, headers: admin });
  assert.deepEqual(list.json().data.map((x: any) => [x.number, x.code]), [[TEST, '424242']]);

  const before = await balance(h);
  const ledger = (await counts(h)).ledger;
  const ids: string[] = [];
  // Five sends: per_number_10m is 2, yet none is refused (test numbers are not counted).
  for (let i = 0; i < 5; i++) {
    const res = await send(h, { to: TEST, ...(i === 4 ? { code: '999999' } : {}) });
    assert.equal(res.statusCode, 201, res.body);
    ids.push(res.json().id);
    assert.equal(res.json().message.status, 'delivered');
    assert.equal(res.json().message.price, 0);
  }
  await h.settle();
  assert.equal(await balance(h), before, 'nothing charged');
  assert.equal((await counts(h)).ledger, ledger, 'no ledger row');
  const inbox = await h.app.inject({ method: 'GET', url: '/inbox/api/messages' });
  assert.equal(inbox.json().data.length, 0, 'nothing went to a carrier (not even the dev inbox)');
  const msg = await h.app.inject({ method: 'GET', url: `/v1/messages?to=${encodeURIComponent(TEST)}`, headers: h.auth() });
  assert.equal(msg.json().data.length, 5, 'the messages are visible in the API');
  assert.ok(msg.json().data.every((m: any) => m.status === 'delivered'));

  const check = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: ids[4], code: '424242' } });
  assert.deepEqual([check.statusCode, check.json().valid], [200, true], 'the fixed code checks valid, even when the caller supplied another');

  const del = await h.app.inject({ method: 'DELETE', url: `/admin/accounts/${h.account.id}/test-numbers/${encodeURIComponent(TEST)}`, headers: admin });
  assert.equal(del.statusCode, 204, del.body);
  assert.equal((await h.app.inject({ method: 'DELETE', url: `/admin/accounts/${h.account.id}/test-numbers/${encodeURIComponent(TEST)}`, headers: admin })).statusCode, 404);
  const real = await send(h, { to: TEST, code: '111111' });
  assert.equal(real.statusCode, 201);
  assert.equal(real.json().message.status, 'queued', 'an ordinary number again');
  const bad = await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/test-numbers/${encodeURIComponent(TEST)}`, headers: admin, payload: { code: '12' } });
  assert.equal(bad.statusCode, 400, bad.body);
  const noAcct = await h.app.inject({ method: 'PUT', url: `/admin/accounts/${'0'.repeat(32)}/test-numbers/${encodeURIComponent(TEST)}`, headers: admin, payload: { code: '1234' } });
  assert.equal(noAcct.statusCode, 404, noAcct.body);
  const noAuth = await h.app.inject({ method: 'GET', url: `/admin/accounts/${h.account.id}/test-numbers` });
  assert.equal(noAuth.statusCode, 401);
});

for (const backend of BACKENDS) {
  test(`${backend}: spend caps — daily overall and per country, 429 spend_cap_reached naming the cap, an alert event at 80%`, async (t) => {
    // US sends cost 50,000; NP 20,000 (default prices).
    const h = await abuseBuild(t, backend, { limits: HIGH, spend: { daily_cap: 500_000, country_daily_cap: 100_000, alert_ratio: 0.8 } }, { admin_token: ADMIN, webhooks: { enabled: false }, dispatch: { enabled: false } });
    await h.app.inject({ method: 'PUT', url: '/v1/webhook', headers: h.auth(), payload: { url: 'https://example.com/hook' } });
    const us = (i: number) => send(h, { to: `+1212234${5000 + i}` });
    assert.equal((await us(0)).statusCode, 201);
    assert.equal((await us(1)).statusCode, 201, '100,000 of 100,000 for US');
    const before = await balance(h);
    const over = await us(2);
    assertRefusal(over, 429, 'spend_cap_reached', { cap: 'daily_US' });
    assert.ok(Number(over.headers['retry-after']) <= 86_400, 'retry at the next UTC midnight');
    assert.equal(await balance(h), before, 'nothing charged');
    // Other countries go on until the overall cap: 100,000 + 20,000 × n ≤ 500,000.
    let np = 0;
    for (; np < 30; np++) {
      const res = await send(h, { to: `+97798510000${String(np).padStart(2, '0')}` });
      if (res.statusCode !== 201) {
        assertRefusal(res, 429, 'spend_cap_reached', { cap: 'daily_NP' });
        break;
      }
    }
    assert.equal(np, 5, 'NP has its own 100,000 cap');
    const other = await h.newAccount();
    assert.equal((await send(h, { to: '+12122345999' }, other.token)).statusCode, 201, 'caps are per account');

    // The 80% alerts: US crossed 80,000 on its 2nd send, NP on its 4th (80,000).
    await h.gw.writer.flush();
    await new Promise((r) => setTimeout(r, 50));
    await h.gw.writer.flush();
    const alerts = await h.gw.store.db.selectFrom('webhook_outbox').select('payload').where('event', '=', 'abuse.spend_alert').execute();
    const caps = alerts.map((a) => JSON.parse(a.payload).data.cap).sort();
    assert.deepEqual(caps, ['daily_NP', 'daily_US'], 'one alert per cap crossing 80%');

    // A per-account override of a country's cap (admin API).
    await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/abuse`, headers: admin, payload: { spend: { countries: { US: 1_000_000 } } } });
    assert.equal((await us(3)).statusCode, 201, 'US raised for this account');
    // Next UTC day: fresh caps.
    h.advance(86_400_000);
    assert.equal((await send(h, { to: '+9779851000099' })).statusCode, 201);
  });
}
