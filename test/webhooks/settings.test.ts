/**
 * GET/PUT/DELETE /v1/webhook and GET /v1/webhook/deliveries: validation naming the field, the
 * secret shown once, DELETE stopping deliveries, no outbox rows without a webhook, and accounts
 * kept apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../helpers/gateway.ts';
import { verifySignature } from '../../src/webhooks/index.ts';
import { pump, pumpUntilDone, startReceiver, webhookOn } from './receiver.ts';

const devInbox = { dev_inbox: { enabled: true, delivery_delay_ms: 0, send_delay_ms: 0 } };

async function send(h: Harness, to: string, token?: string) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { to, channel: 'sms' } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; message: { id: string } };
}

const getHook = (h: Harness, token?: string) => h.app.inject({ method: 'GET', url: '/v1/webhook', headers: h.auth(token) });

function outboxOf(h: Harness, accountId: string) {
  return h.gw.store.db.selectFrom('webhook_outbox').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

test('PUT refuses a bad url, secret or format with a 400 naming the field, and saves nothing', async (t) => {
  const h = await build(t);
  const cases: Array<[unknown, string, string]> = [
    [{ url: 'ftp://example.com/hook' }, 'invalid_url', 'url'],
    [{ url: 'javascript:alert(1)' }, 'invalid_url', 'url'],
    [{ url: 'not a url' }, 'invalid_url', 'url'],
    [{ url: '/relative/path' }, 'invalid_url', 'url'],
    [{ url: 'https://user:pw@example.com/hook' }, 'invalid_url', 'url'],
    [{ url: '' }, 'invalid_value', 'url'],
    [{ url: 42 }, 'invalid_type', 'url'],
    [{ url: `https://example.com/${'a'.repeat(2048)}` }, 'invalid_value', 'url'],
    [{}, 'missing_field', 'url'],
    [{ url: 'https://example.com/hook', secret: 'short' }, 'invalid_value', 'secret'],
    [{ url: 'https://example.com/hook', format: 'xml' }, 'invalid_value', 'format'],
    [{ url: 'https://example.com/hook', events: ['message.dlivered'] }, 'invalid_value', 'events.0'],
    [{ url: 'https://example.com/hook', events: [] }, 'invalid_value', 'events'],
    [{ url: 'https://example.com/hook', events: 'message.final' }, 'invalid_type', 'events'],
    [{ url: 'https://example.com/hook', events: [42] }, 'invalid_type', 'events.0'],
    [{ url: 'https://example.com/hook', hooks: ['*'] }, 'unknown_field', 'hooks'],
  ];
  for (const [payload, code, field] of cases) {
    const res = await h.app.inject({ method: 'PUT', url: '/v1/webhook', headers: h.auth(), payload: payload as object });
    assert.equal(res.statusCode, 400, `${JSON.stringify(payload).slice(0, 60)} → ${res.body}`);
    assert.deepEqual([res.json().error.code, res.json().error.field], [code, field], res.body);
  }
  const garbage = await h.app.inject({ method: 'PUT', url: '/v1/webhook', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '{"url":' });
  assert.equal(garbage.statusCode, 400);
  assert.equal(garbage.json().error.code, 'invalid_json');
  for (const method of ['GET', 'PUT', 'DELETE'] as const) {
    const res = await h.app.inject({ method, url: '/v1/webhook', headers: { authorization: 'Bearer nope' }, payload: method === 'PUT' ? { url: 'https://example.com' } : undefined });
    assert.equal(res.statusCode, 401, `${method} without a key`);
  }
  assert.equal((await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries?state=lost', headers: h.auth() })).json().error.field, 'state');
  assert.equal((await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries?cursor=abc', headers: h.auth() })).json().error.field, 'cursor');
  assert.equal((await getHook(h)).statusCode, 404);
  assert.equal((await getHook(h)).json().error.code, 'webhook_not_configured');
});

test('the secret is shown once; GET masks it; a new URL keeps it; a given secret replaces it and is not echoed', async (t) => {
  const h = await build(t, devInbox);
  const rc = await startReceiver(t, () => h.clock.now);
  const put = await webhookOn(h, 'https://example.com/first');
  assert.equal(put.statusCode, 200, put.body);
  const { secret } = put.json();
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(put.json(), { url: 'https://example.com/first', format: 'native', secret_last4: secret.slice(-4), events: null, secret });
  const got = await getHook(h);
  assert.deepEqual(got.json(), { url: 'https://example.com/first', format: 'native', secret_last4: secret.slice(-4), events: null });
  assert.ok(!got.body.includes(secret));

  const moved = await webhookOn(h, rc.url);
  assert.deepEqual(moved.json(), { url: rc.url, format: 'native', secret_last4: secret.slice(-4), events: null }, 'kept, not shown again');
  await send(h, '+14155552671');
  await pump(h);
  const first = rc.received[0];
  assert.equal(verifySignature(secret, first.headers['x-otpgate-signature'] as string, first.raw, 300, Math.floor(h.clock.now / 1000)), true);

  const mine = 'my-own-secret-of-32-characters!!';
  const rotated = await webhookOn(h, rc.url, { secret: mine });
  assert.deepEqual(rotated.json(), { url: rc.url, format: 'native', secret_last4: mine.slice(-4), events: null });
  await send(h, '+14155552672');
  await pump(h);
  const last = rc.received.at(-1)!;
  assert.equal(verifySignature(mine, last.headers['x-otpgate-signature'] as string, last.raw, 300, Math.floor(h.clock.now / 1000)), true);
  assert.equal(verifySignature(secret, last.headers['x-otpgate-signature'] as string, last.raw, 300, Math.floor(h.clock.now / 1000)), false);
});

test('DELETE stops deliveries: pending ones are given up ("webhook removed") and later changes queue nothing', async (t) => {
  const h = await build(t, devInbox);
  const rc = await startReceiver(t, () => h.clock.now);
  await webhookOn(h, rc.url);
  rc.otherwise = 500;
  await send(h, '+14155552671');
  await pump(h);
  assert.equal(rc.received.length, 1);
  const before = await outboxOf(h, h.account.id);
  assert.ok(before.every((d) => d.state === 'pending'));

  const del = await h.app.inject({ method: 'DELETE', url: '/v1/webhook', headers: h.auth() });
  assert.equal(del.statusCode, 204);
  assert.equal((await getHook(h)).statusCode, 404);
  const after = await outboxOf(h, h.account.id);
  assert.deepEqual(after.map((d) => [d.state, d.last_error]), before.map(() => ['dead', 'webhook removed']));

  await send(h, '+14155552672');
  h.advance(3_600_000);
  await pumpUntilDone(h);
  assert.equal(rc.received.length, 1, 'nothing sent after the DELETE');
  assert.equal((await outboxOf(h, h.account.id)).length, before.length, 'no rows for changes after the DELETE');
  const dead = (await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries?state=dead', headers: h.auth() })).json().data;
  assert.equal(dead.length, before.length);
  assert.ok(dead.every((d: any) => d.last_error === 'webhook removed'));
});

test('an account without a webhook gets no outbox rows: send, deliver, check, expire', async (t) => {
  const h = await build(t, devInbox);
  const v = await send(h, '+14155552671');
  await send(h, '+14155552672');
  await h.settle();
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages?to=%2B14155552671' })).json().data;
  const check = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: v.id, code: inbox[0].code } });
  assert.equal(check.json().status, 'approved');
  h.advance(3_600_000);
  await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth() });
  await pump(h);
  const statuses = await h.gw.store.db.selectFrom('messages').select('status').execute();
  assert.deepEqual(statuses.map((m) => m.status), ['delivered', 'delivered'], 'the changes happened');
  assert.equal((await h.gw.store.db.selectFrom('webhook_outbox').select('id').execute()).length, 0);
  assert.deepEqual((await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries', headers: h.auth() })).json(), { data: [], next_cursor: null });
});

test('accounts are kept apart: each receiver gets only its account\'s events; settings and logs are per account', async (t) => {
  const h = await build(t, devInbox);
  const b = await h.newAccount();
  const c = await h.newAccount();
  const rcA = await startReceiver(t, () => h.clock.now);
  const rcB = await startReceiver(t, () => h.clock.now);
  await webhookOn(h, rcA.url);
  const putB = await webhookOn(h, rcB.url, {}, b.token);
  const a1 = await send(h, '+14155552671');
  const b1 = await send(h, '+14155552672', b.token);
  await send(h, '+14155552673', c.token);
  await pump(h);

  assert.deepEqual(new Set(rcA.received.map((r) => r.json.data.message.id)), new Set([a1.message.id]));
  assert.deepEqual(new Set(rcB.received.map((r) => r.json.data.message.id)), new Set([b1.message.id]));
  assert.equal(rcA.received.length, 4);
  assert.equal(rcB.received.length, 4);
  const sigB = rcB.received[0].headers['x-otpgate-signature'] as string;
  assert.equal(verifySignature(putB.json().secret, sigB, rcB.received[0].raw, 300, Math.floor(h.clock.now / 1000)), true, 'signed with B\'s own secret');
  assert.equal((await outboxOf(h, c.account.id)).length, 0, 'C has no webhook: no rows');

  assert.equal((await getHook(h, b.token)).json().url, rcB.url);
  assert.equal((await getHook(h, c.token)).statusCode, 404);
  const logB = (await h.app.inject({ method: 'GET', url: '/v1/webhook/deliveries', headers: h.auth(b.token) })).json().data;
  assert.deepEqual(new Set(logB.map((d: any) => d.subject_id)), new Set([b1.message.id]));
  const peek = (await h.app.inject({ method: 'GET', url: `/v1/webhook/deliveries?subject_id=${a1.message.id}`, headers: h.auth(b.token) })).json().data;
  assert.deepEqual(peek, [], "A's deliveries are not visible to B");

  await h.app.inject({ method: 'DELETE', url: '/v1/webhook', headers: h.auth(b.token) });
  assert.equal((await getHook(h)).json().url, rcA.url, "B's DELETE leaves A's webhook");
  await send(h, '+14155552674');
  await pump(h);
  assert.equal(rcA.received.length, 8);
});

test('events filters what is POSTed, as Kannel\'s dlr-mask: only the final status and the approval; omitted keeps the filter, null clears it', async (t) => {
  const h = await build(t, devInbox);
  const rc = await startReceiver(t, () => h.clock.now);
  const put = await webhookOn(h, rc.url, { events: ['message.final', 'verification.approved', 'message.final'] });
  assert.equal(put.statusCode, 200, put.body);
  assert.deepEqual(put.json().events, ['message.final', 'verification.approved'], 'stored once each');
  const v = await send(h, '+14155552671');
  await pump(h);
  const seen = () => rc.received.map((r) => `${r.json.type}:${r.json.data.message?.status ?? r.json.data.verification?.status}`);
  assert.deepEqual(seen(), ['message.status:delivered'], 'queued, sending and sent are not POSTed');
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages?to=%2B14155552671' })).json().data;
  const check = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: v.id, code: inbox[0].code } });
  assert.equal(check.json().status, 'approved', check.body);
  await pump(h);
  assert.deepEqual(seen(), ['message.status:delivered', 'verification.status:approved']);
  assert.equal((await outboxOf(h, h.account.id)).length, 2, 'filtered changes leave no outbox row');

  const moved = await webhookOn(h, rc.url);
  assert.deepEqual(moved.json().events, ['message.final', 'verification.approved'], 'a PUT without events keeps the filter');
  assert.deepEqual((await getHook(h)).json().events, ['message.final', 'verification.approved']);
  const all = await webhookOn(h, rc.url, { events: null });
  assert.equal(all.json().events, null);
  await send(h, '+14155552672');
  await pump(h);
  assert.deepEqual(seen().slice(2), ['message.status:queued', 'message.status:sending', 'message.status:sent', 'message.status:delivered']);
  assert.equal((await webhookOn(h, rc.url, { events: ['*'] })).json().events, null, '["*"] is every change');
});
