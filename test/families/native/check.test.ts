/**
 * POST /v1/verifications/check, /cancel and GET /v1/verifications/{id}: every outcome, the
 * states that end a verification (each a 404 with its own code), and the atomic attempt count
 * under concurrent guesses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';

const US = '+14155552671';

async function sendAndRead(h: Harness, payload: Record<string, unknown> = {}, token?: string) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { to: US, channel: 'sms', ...payload } });
  assert.equal(res.statusCode, 201, res.body);
  const v = res.json();
  await h.settle();
  const items = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages?limit=1000' })).json().data as Array<{ message_id: string; code: string }>;
  const item = items.find((i) => i.message_id === v.message.id);
  assert.ok(item, 'the message reached the dev inbox');
  return { v, code: item.code };
}

function check(h: Harness, payload: Record<string, unknown>, token?: string) {
  return h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(token), payload });
}

const wrongOf = (code: string) => (code === '000000' ? '111111' : '000000');

function assertError(res: { statusCode: number; json(): any; body: string }, status: number, code: string, field?: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.json().error.code, code, res.body);
  if (field !== undefined) assert.equal(res.json().error.field, field, res.body);
}

async function attemptsColumn(h: Harness, id: string): Promise<number> {
  const row = await h.gw.store.db.selectFrom('verifications').select(['attempts', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
  return row.attempts;
}

test('check by id: wrong → pending with attempts_left, right → approved, again → 404 verification_approved', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const wrong = await check(h, { id: v.id, code: wrongOf(code) });
  assert.equal(wrong.statusCode, 200, wrong.body);
  assert.deepEqual(wrong.json(), { id: v.id, status: 'pending', valid: false, attempts_left: 4 });
  const wrong2 = await check(h, { id: v.id, code: '12' });
  assert.deepEqual(wrong2.json(), { id: v.id, status: 'pending', valid: false, attempts_left: 3 });
  const right = await check(h, { id: v.id, code });
  assert.equal(right.statusCode, 200, right.body);
  assert.deepEqual(right.json(), { id: v.id, status: 'approved', valid: true, attempts_left: 2 });
  const again = await check(h, { id: v.id, code });
  assertError(again, 404, 'verification_approved', 'id');
  assert.match(again.json().error.message, /approved/);
  assert.equal(await attemptsColumn(h, v.id), 3, 'the 404 does not count');
  const got = (await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth() })).json();
  assert.equal(got.status, 'approved');
  assert.equal(got.attempts, 3);
});

test('check by number (E.164 or national format in the account region) finds the newest verification', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const wrong = await check(h, { to: '(415) 555-2671', code: wrongOf(code) });
  assert.deepEqual(wrong.json(), { id: v.id, status: 'pending', valid: false, attempts_left: 4 });
  const right = await check(h, { to: US, code });
  assert.deepEqual(right.json(), { id: v.id, status: 'approved', valid: true, attempts_left: 3 });
  assertError(await check(h, { to: US, code }), 404, 'verification_approved');

  // A new one for the same number is the one checked next.
  const second = await sendAndRead(h);
  assert.notEqual(second.v.id, v.id);
  assert.equal((await check(h, { to: US, code: second.code })).json().status, 'approved');

  assertError(await check(h, { to: '+14155550999', code: '123456' }), 404, 'verification_not_found', 'to');
  assertError(await check(h, { to: 'not a number', code: '123456' }), 400, 'invalid_phone_number', 'to');
  assertError(await check(h, { code: '123456' }), 400, 'missing_field', 'id');
  assertError(await check(h, { id: v.id }), 400, 'missing_field', 'code');
  assertError(await check(h, { id: '0'.repeat(32), code: '123456' }), 404, 'verification_not_found', 'id');
});

test('expiry with the injected clock: past ttl → 404 verification_expired, and GET shows expired', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h, { ttl_seconds: 60 });
  h.advance(59_000);
  assert.deepEqual((await check(h, { id: v.id, code: wrongOf(code) })).json().status, 'pending', 'still valid at 59 s');
  h.advance(1_000);
  const late = await check(h, { id: v.id, code });
  assertError(late, 404, 'verification_expired', 'id');
  assert.equal((await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth() })).json().status, 'expired');
  assertError(await check(h, { to: US, code }), 404, 'verification_expired');
  assert.equal(await attemptsColumn(h, v.id), 1, 'a check after expiry is not counted');
  // Expired: a send to the number starts a new verification.
  const next = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: US, channel: 'sms' } });
  assert.equal(next.statusCode, 201);
  assert.notEqual(next.json().id, v.id);
});

test('GET reads a pending verification past its expiry as expired even before anyone checks', async (t) => {
  const h = await build(t);
  const { v } = await sendAndRead(h, { ttl_seconds: 120 });
  h.advance(120_001);
  const got = await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth() });
  assert.equal(got.statusCode, 200);
  assert.equal(got.json().status, 'expired');
});

test('cancel: 200 canceled, then check and cancel again → 404 verification_canceled', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  h.advance(1_000);
  const res = await h.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: h.auth() });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().id, v.id);
  assert.equal(res.json().status, 'canceled');
  assert.equal(res.json().updated_at, new Date(h.clock.now).toISOString());
  assertError(await check(h, { id: v.id, code }), 404, 'verification_canceled', 'id');
  assertError(await h.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: h.auth() }), 404, 'verification_canceled', 'id');
  assert.equal((await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth() })).json().status, 'canceled');
  assertError(await h.app.inject({ method: 'POST', url: `/v1/verifications/${'f'.repeat(32)}/cancel`, headers: h.auth() }), 404, 'verification_not_found', 'id');
});

test('cancel (and approve) drop a still-queued message and refund it', async (t) => {
  const h = await build(t, { dispatch: { enabled: false } });
  const bal = async () => (await h.app.inject({ method: 'GET', url: '/v1/balance', headers: h.auth() })).json().balance;
  const before = await bal();
  const a = (await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: US, channel: 'sms' } })).json();
  assert.equal(await bal(), before - a.message.price);
  const res = await h.app.inject({ method: 'POST', url: `/v1/verifications/${a.id}/cancel`, headers: h.auth() });
  assert.equal(res.statusCode, 200, res.body);
  const m = (await h.app.inject({ method: 'GET', url: `/v1/messages/${a.message.id}`, headers: h.auth() })).json();
  assert.equal(m.status, 'canceled');
  assert.deepEqual(m.events.map((e: { status: string }) => e.status), ['queued', 'canceled']);
  assert.equal(await bal(), before, 'refunded');

  const b = (await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: US, channel: 'sms', code: '4321' } })).json();
  assert.equal((await check(h, { id: b.id, code: '4321' })).json().status, 'approved');
  const mb = (await h.app.inject({ method: 'GET', url: `/v1/messages/${b.message.id}`, headers: h.auth() })).json();
  assert.equal(mb.status, 'canceled', 'an approved code needs no more sends');
  assert.equal(await bal(), before);
});

test('max attempts: the 5th wrong guess closes it; then even the right code → 404 verification_max_attempts_reached', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const wrong = wrongOf(code);
  for (let left = 4; left >= 1; left--) assert.deepEqual((await check(h, { id: v.id, code: wrong })).json(), { id: v.id, status: 'pending', valid: false, attempts_left: left });
  const fifth = await check(h, { id: v.id, code: wrong });
  assert.equal(fifth.statusCode, 200, fifth.body);
  assert.deepEqual(fifth.json(), { id: v.id, status: 'max_attempts_reached', valid: false, attempts_left: 0 });
  assertError(await check(h, { id: v.id, code }), 404, 'verification_max_attempts_reached', 'id');
  assert.equal(await attemptsColumn(h, v.id), 5);
  assertError(await h.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: h.auth() }), 404, 'verification_max_attempts_reached');
});

test('max_attempts from config is honoured', async (t) => {
  const h = await build(t, { verify: { max_attempts: 2 } });
  const { v, code } = await sendAndRead(h);
  assert.equal(v.max_attempts, 2);
  assert.equal((await check(h, { id: v.id, code: wrongOf(code) })).json().attempts_left, 1);
  assert.equal((await check(h, { id: v.id, code: wrongOf(code) })).json().status, 'max_attempts_reached');
  assertError(await check(h, { id: v.id, code }), 404, 'verification_max_attempts_reached');
});

test('20 concurrent wrong checks count exactly max_attempts (5): five 200s, fifteen 404s', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const res = await Promise.all(Array.from({ length: 20 }, () => check(h, { id: v.id, code: wrongOf(code) })));
  const ok = res.filter((r) => r.statusCode === 200);
  const gone = res.filter((r) => r.statusCode === 404);
  assert.equal(ok.length, 5, res.map((r) => r.statusCode).join(','));
  assert.equal(gone.length, 15);
  assert.equal(res.filter((r) => r.statusCode !== 200 && r.statusCode !== 404).length, 0);
  assert.deepEqual(ok.map((r) => r.json().attempts_left).sort(), [0, 1, 2, 3, 4], 'each counted guess saw its own count');
  for (const r of gone) assert.equal(r.json().error.code, 'verification_max_attempts_reached');
  for (const r of ok) assert.equal(r.json().valid, false);
  assert.equal(await attemptsColumn(h, v.id), 5, 'the attempts column');
  assertError(await check(h, { id: v.id, code }), 404, 'verification_max_attempts_reached');
});

test('20 concurrent wrong checks by number also stop at 5', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const res = await Promise.all(Array.from({ length: 20 }, () => check(h, { to: US, code: wrongOf(code) })));
  assert.equal(res.filter((r) => r.statusCode === 200).length, 5);
  assert.equal(res.filter((r) => r.statusCode === 404).length, 15);
  assert.equal(await attemptsColumn(h, v.id), 5);
});

test('20 concurrent right checks approve once: one 200 approved, nineteen 404 verification_approved', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const res = await Promise.all(Array.from({ length: 20 }, () => check(h, { id: v.id, code })));
  const approved = res.filter((r) => r.statusCode === 200);
  assert.equal(approved.length, 1, res.map((r) => r.statusCode).join(','));
  assert.equal(approved[0].json().status, 'approved');
  assert.equal(approved[0].json().valid, true);
  const rest = res.filter((r) => r.statusCode === 404);
  assert.equal(rest.length, 19);
  for (const r of rest) assert.equal(r.json().error.code, 'verification_approved');
  assert.equal(await attemptsColumn(h, v.id), 1, 'single use: one counted check');
});

test('GET /v1/verifications/{id}: the stored state, never the code', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h, { app_name: 'Acme', locale: 'fr' });
  const res = await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth() });
  assert.equal(res.statusCode, 200, res.body);
  const got = res.json();
  assert.equal(got.id, v.id);
  assert.equal(got.to, US);
  assert.equal(got.status, 'pending');
  assert.equal(got.locale, 'fr');
  assert.equal(got.app_name, 'Acme');
  assert.equal(got.send_count, 1);
  assert.equal(got.attempts, 0);
  assert.equal(got.expires_at, v.expires_at);
  assert.ok(!('message' in got));
  assert.ok(!res.body.includes(code), 'the code never appears');
  assertError(await h.app.inject({ method: 'GET', url: `/v1/verifications/${'a'.repeat(32)}`, headers: h.auth() }), 404, 'verification_not_found', 'id');
  assertError(await h.app.inject({ method: 'GET', url: '/v1/verifications/NOT-AN-ID', headers: h.auth() }), 400, 'invalid_value', 'id');
});

test('account isolation: another account can neither read, check nor cancel a verification', async (t) => {
  const h = await build(t);
  const { v, code } = await sendAndRead(h);
  const other = await h.newAccount();
  assertError(await h.app.inject({ method: 'GET', url: `/v1/verifications/${v.id}`, headers: h.auth(other.token) }), 404, 'verification_not_found');
  assertError(await check(h, { id: v.id, code }, other.token), 404, 'verification_not_found');
  assertError(await check(h, { to: US, code }, other.token), 404, 'verification_not_found');
  assertError(await h.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/cancel`, headers: h.auth(other.token) }), 404, 'verification_not_found');
  assert.equal(await attemptsColumn(h, v.id), 0, 'nothing counted');
  assert.equal((await check(h, { id: v.id, code })).json().status, 'approved', 'the owner still can');
});
