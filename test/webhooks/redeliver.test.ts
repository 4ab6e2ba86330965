/** Manual redelivery: POST /v1/webhook/deliveries/{id}/retry sends a finished delivery again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../helpers/gateway.ts';
import { verifySignature } from '../../src/webhooks/index.ts';
import { pump, pumpUntilDone, startReceiver, webhookOn } from './receiver.ts';

const devInbox = { dev_inbox: { enabled: true, delivery_delay_ms: 0, send_delay_ms: 0 }, webhooks: { max_age_ms: 60_000 } };

const retry = (h: Harness, id: string | number, token?: string) =>
  h.app.inject({ method: 'POST', url: `/v1/webhook/deliveries/${id}/retry`, headers: h.auth(token) });

test('a given-up delivery is sent again to the current URL, signed, with the same event; the log keeps both', async (t) => {
  const h = await build(t, devInbox);
  const dead = await startReceiver(t, () => h.clock.now);
  dead.otherwise = 500;
  const secret = (await webhookOn(h, dead.url)).json().secret as string;
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'sms' } });
  assert.equal(res.statusCode, 201);
  await pumpUntilDone(h);
  const log = (await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries?state=dead', headers: h.auth() })).json().data;
  assert.ok(log.length >= 4, `${log.length} dead deliveries`);
  const first = log.at(-1);
  assert.equal(first.status, 'queued');

  // The receiver moved and works now.
  const live = await startReceiver(t, () => h.clock.now);
  await webhookOn(h, live.url);
  const again = await retry(h, first.id);
  assert.equal(again.statusCode, 201, again.body);
  const copy = again.json();
  assert.notEqual(copy.id, first.id);
  assert.deepEqual([copy.state, copy.attempts, copy.url, copy.subject_id, copy.status], ['pending', 0, live.url, first.subject_id, 'queued']);
  await pump(h);
  assert.equal(live.received.length, 1);
  const got = live.received[0];
  assert.equal(got.json.data.message.status, 'queued');
  assert.ok(verifySignature(secret, String(got.headers['x-otpgate-signature']), got.raw, 300, Math.floor(h.clock.now / 1000)), 'signed with the account secret');

  const after = (await h.app.inject({ method: 'GET', url: `/v1/webhook/deliveries?subject_id=${first.subject_id}`, headers: h.auth() })).json().data;
  const states = new Map(after.map((d: { id: string; state: string }) => [d.id, d.state]));
  assert.equal(states.get(first.id), 'dead', 'the old row stays as it ended');
  assert.equal(states.get(copy.id), 'delivered');
  // A delivered one can be sent again too.
  assert.equal((await retry(h, copy.id)).statusCode, 201);
});

test('unknown, malformed, pending or another account’s deliveries are refused with a code naming id', async (t) => {
  const h = await build(t, devInbox);
  const rc = await startReceiver(t, () => h.clock.now);
  rc.otherwise = 'hang';
  await webhookOn(h, rc.url);
  await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'sms' } });
  await h.settle();
  const pending = (await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries?state=pending', headers: h.auth() })).json().data[0];
  assert.ok(pending, 'a pending delivery');
  const other = await h.newAccount();
  for (const [id, token, status, code] of [
    [pending.id, undefined, 409, 'delivery_pending'],
    [pending.id, other.token, 404, 'delivery_not_found'],
    ['999999', undefined, 404, 'delivery_not_found'],
    ['abc', undefined, 400, 'invalid_value'],
    ['1'.repeat(30), undefined, 400, 'invalid_value'],
  ] as const) {
    const res = await retry(h, id, token);
    assert.equal(res.statusCode, status, `${id}: ${res.body}`);
    assert.equal(res.json().error.code, code, res.body);
    assert.equal(res.json().error.field, 'id');
  }
  const noKey = await h.app.inject({ method: 'POST', url: `/v1/webhook/deliveries/${pending.id}/retry` });
  assert.equal(noKey.statusCode, 401);
});
