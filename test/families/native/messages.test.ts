/**
 * GET /v1/messages/{id} and /v1/messages (filters, cursor pagination, isolation), /v1/balance,
 * API keys, /healthz, /readyz, /docs, and the dispatcher's retry, deadline and receipt paths
 * as a client sees them through the API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { revokeApiKey } from '../../../src/store/accounts.ts';
import { type OutboundMessage, type Provider, ProviderError, type SendResult } from '../../../src/providers/types.ts';
import { build, type Harness } from '../../helpers/gateway.ts';

const US = '+14155552671';

async function send(h: Harness, to: string, extra: Record<string, unknown> = {}, token?: string) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { to, channel: 'sms', ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

function get(h: Harness, url: string, token?: string) {
  return h.app.inject({ method: 'GET', url, headers: h.auth(token) });
}

async function message(h: Harness, id: string) {
  const res = await get(h, `/v1/messages/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

const statuses = (m: { events: Array<{ status: string }> }) => m.events.map((e) => e.status);

function assertError(res: { statusCode: number; json(): any; body: string }, status: number, code: string, field?: string) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.json().error.code, code, res.body);
  if (field !== undefined) assert.equal(res.json().error.field, field, res.body);
}

test('GET /v1/messages/{id}: delivery status with its timestamped event history, the code hidden', async (t) => {
  const h = await build(t);
  const v = await send(h, US, { app_name: 'Acme' });
  await h.settle();
  const m = await message(h, v.message.id);
  assert.equal(m.id, v.message.id);
  assert.equal(m.verification_id, v.id);
  assert.equal(m.to, US);
  assert.equal(m.channel, 'sms');
  assert.equal(m.status, 'delivered');
  assert.equal(m.provider, 'devinbox');
  assert.equal(m.attempts, 1);
  assert.equal(m.error_code, null);
  assert.equal(m.encoding, 'gsm7');
  assert.equal(m.price, v.message.price);
  assert.deepEqual(statuses(m), ['queued', 'sending', 'sent', 'delivered']);
  for (const e of m.events) assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(m.events.find((e: { status: string }) => e.status === 'sent').provider, 'devinbox');
  assert.equal(m.body, 'Your Acme verification code is ******. It expires in 10 minutes.');
  const code = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data[0].code;
  assert.ok(!JSON.stringify(m).includes(code), 'the code is not in the API');

  assertError(await get(h, `/v1/messages/${'0'.repeat(32)}`), 404, 'message_not_found', 'id');
  assertError(await get(h, `/v1/messages/${v.id}`), 404, 'message_not_found', 'id');
  assertError(await get(h, '/v1/messages/xyz'), 400, 'invalid_value', 'id');
});

test('an undelivered receipt (dev inbox undelivered_numbers) ends as undelivered with its carrier code', async (t) => {
  const h = await build(t, { dev_inbox: { undelivered_numbers: ['+14155550199'] } });
  const v = await send(h, '+14155550199');
  await h.settle();
  const m = await message(h, v.message.id);
  assert.equal(m.status, 'undelivered');
  assert.equal(m.error_code, 'UNDELIV');
  assert.deepEqual(statuses(m), ['queued', 'sending', 'sent', 'undelivered']);
  assert.equal(m.events.at(-1).detail, 'receipt UNDELIV');
});

test('GET /v1/messages: 7 messages paged by 3, newest first, no duplicate and no gap', async (t) => {
  const h = await build(t);
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    ids.push((await send(h, `+1415555020${i}`)).message.id);
    h.advance(1_000);
  }
  await h.settle();
  const seen: string[] = [];
  let cursor: string | null = null;
  const pages: number[] = [];
  do {
    const res = await get(h, `/v1/messages?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.statusCode, 200, res.body);
    const page = res.json();
    pages.push(page.data.length);
    seen.push(...page.data.map((m: { id: string }) => m.id));
    for (const m of page.data) assert.ok(!('events' in m), 'lists carry no event history');
    cursor = page.next_cursor;
  } while (cursor && pages.length < 10);
  assert.deepEqual(pages, [3, 3, 1]);
  assert.deepEqual(seen, [...ids].reverse(), 'all 7, newest first, each once');

  const all = (await get(h, '/v1/messages')).json();
  assert.equal(all.data.length, 7, 'default limit covers them');
  assert.equal(all.next_cursor, null);
  assertError(await get(h, '/v1/messages?limit=0'), 400, 'invalid_value', 'limit');
  assertError(await get(h, '/v1/messages?limit=201'), 400, 'invalid_value', 'limit');
  assertError(await get(h, '/v1/messages?cursor=abc'), 400, 'invalid_value', 'cursor');
});

test('GET /v1/messages filters: to (any format), status, since', async (t) => {
  const h = await build(t, { dev_inbox: { undelivered_numbers: ['+14155550299'] } });
  const t0 = h.clock.now;
  const a = await send(h, US);
  const b = await send(h, '+14155550299');
  h.advance(60_000);
  const since = new Date(h.clock.now).toISOString();
  h.advance(31_000);
  const c = await send(h, US); // a resend: a second message to US
  await h.settle();

  const byTo = (await get(h, `/v1/messages?to=${encodeURIComponent('(415) 555-2671')}`)).json();
  assert.deepEqual(byTo.data.map((m: { id: string }) => m.id), [c.message.id, a.message.id]);
  const undelivered = (await get(h, '/v1/messages?status=undelivered')).json();
  assert.deepEqual(undelivered.data.map((m: { id: string }) => m.id), [b.message.id]);
  const delivered = (await get(h, '/v1/messages?status=delivered')).json();
  assert.equal(delivered.data.length, 2);
  assert.equal((await get(h, '/v1/messages?status=queued')).json().data.length, 0);
  const recent = (await get(h, `/v1/messages?since=${encodeURIComponent(since)}`)).json();
  assert.deepEqual(recent.data.map((m: { id: string }) => m.id), [c.message.id]);
  const everything = (await get(h, `/v1/messages?since=${encodeURIComponent(new Date(t0).toISOString())}`)).json();
  assert.equal(everything.data.length, 3);
  const combined = (await get(h, `/v1/messages?to=${encodeURIComponent(US)}&status=delivered&limit=1`)).json();
  assert.deepEqual(combined.data.map((m: { id: string }) => m.id), [c.message.id]);
  assert.equal(combined.next_cursor, c.message.id);

  assertError(await get(h, '/v1/messages?status=lost'), 400, 'invalid_value', 'status');
  assert.match((await get(h, '/v1/messages?status=lost')).json().error.message, /"delivered"/, 'names the allowed values');
  assertError(await get(h, '/v1/messages?since=yesterday'), 400, 'invalid_value', 'since');
  assertError(await get(h, '/v1/messages?to=hello'), 400, 'invalid_phone_number', 'to');
});

test('account isolation: messages of another account are neither listed nor readable', async (t) => {
  const h = await build(t);
  const mine = await send(h, US);
  const other = await h.newAccount();
  const theirs = await send(h, US, {}, other.token);
  await h.settle();
  assertError(await get(h, `/v1/messages/${mine.message.id}`, other.token), 404, 'message_not_found');
  assertError(await get(h, `/v1/messages/${theirs.message.id}`), 404, 'message_not_found');
  const list = (await get(h, '/v1/messages', other.token)).json();
  assert.deepEqual(list.data.map((m: { id: string }) => m.id), [theirs.message.id]);
  const cursorAcross = (await get(h, `/v1/messages?cursor=${'f'.repeat(32)}`, other.token)).json();
  assert.deepEqual(cursorAcross.data.map((m: { id: string }) => m.id), [theirs.message.id]);
});

test('GET /v1/balance: micro-units, formatted, and it decreases by exactly the charged prices', async (t) => {
  const h = await build(t, {}, { balance: 5_000_000 });
  const b0 = (await get(h, '/v1/balance')).json();
  assert.deepEqual(b0, { balance: 5_000_000, currency: 'USD', formatted: '5.00 USD' });
  const sms = await send(h, US);
  const voice = await send(h, '+9779841234567', { channel: 'voice' });
  const np = await send(h, '+9779841234568', { locale: 'ne' });
  const b1 = (await get(h, '/v1/balance')).json();
  assert.equal(b1.balance, 5_000_000 - sms.message.price - voice.message.price - np.message.price);
  assert.equal(sms.message.price + voice.message.price, 50_000 + 100_000);
  assert.equal(np.message.price, 20_000 * np.message.segments);
  assert.equal(b1.formatted, `${(b1.balance / 1e6).toFixed(2)} USD`);
  const other = await h.newAccount({ balance: 123 });
  assert.equal((await get(h, '/v1/balance', other.token)).json().balance, 123, 'per account');
});

test('401 without a key, with a bad, revoked or other-family key, on every native route', async (t) => {
  const h = await build(t);
  const v = await send(h, US);
  const routes: Array<[string, string, object?]> = [
    ['POST', '/v1/verifications', { to: US, channel: 'sms' }],
    ['POST', '/v1/verifications/check', { id: v.id, code: '123456' }],
    ['POST', `/v1/verifications/${v.id}/cancel`],
    ['GET', `/v1/verifications/${v.id}`],
    ['GET', `/v1/messages/${v.message.id}`],
    ['GET', '/v1/messages'],
    ['GET', '/v1/balance'],
  ];
  const tingting = await h.newAccount({ family: 'tingting' });
  const revoked = await h.newAccount();
  const keyId = (await h.gw.store.db.selectFrom('api_keys').select('id').where('account_id', '=', revoked.account.id).executeTakeFirstOrThrow()).id;
  assert.equal(await revokeApiKey(h.gw.store.db, keyId, h.clock.now), true);
  h.advance(10_000); // past the key cache
  const headers: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer otpg_wrong' },
    { authorization: `Basic ${Buffer.from(`user:${h.token}`).toString('base64')}` },
    { authorization: h.token },
    { authorization: `Bearer ${h.token}x` },
    { authorization: `Bearer ${tingting.token}` },
    { authorization: `Bearer ${revoked.token}` },
  ];
  let n = 0;
  for (const [method, url, payload] of routes)
    for (const hd of headers) {
      const res = await h.app.inject({ method: method as 'GET' | 'POST', url, headers: hd, ...(payload ? { payload } : {}) });
      assertError(res, 401, 'unauthorized', 'Authorization');
      n++;
    }
  assert.equal(n, 49);
  assert.equal((await h.gw.store.db.selectFrom('verifications').select('id').execute()).length, 1, 'nothing created');
  // The scheme is case-insensitive and the right key works.
  assert.equal((await h.app.inject({ method: 'GET', url: '/v1/balance', headers: { authorization: `bearer ${h.token}` } })).statusCode, 200);
});

test('/healthz, /readyz (503 when the dispatcher stops), unknown routes 404', async (t) => {
  const h = await build(t);
  const hz = await h.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(hz.statusCode, 200);
  assert.deepEqual(hz.json(), { status: 'ok' });
  const rz = await h.app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(rz.statusCode, 200);
  assert.deepEqual(rz.json(), { status: 'ready', database: 'ok', dispatcher: 'running' });
  await h.gw.dispatcher.stop();
  const down = await h.app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(down.statusCode, 503);
  assert.deepEqual(down.json(), { status: 'not_ready', database: 'ok', dispatcher: 'stopped' });
  assertError(await h.app.inject({ method: 'GET', url: '/v2/verifications' }), 404, 'not_found');
  assert.equal((await h.app.inject({ method: 'DELETE', url: '/v1/balance', headers: h.auth() })).statusCode, 404);
});

test('/docs serves swagger-ui and /docs/json an OpenAPI 3 document of every native route', async (t) => {
  const h = await build(t);
  const ui = await h.app.inject({ method: 'GET', url: '/docs' });
  assert.equal(ui.statusCode, 200);
  assert.match(ui.headers['content-type'] as string, /text\/html/);
  assert.match(ui.body, /swagger-ui/i);
  const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
  assert.match(doc.openapi, /^3\./);
  const expected: Array<[string, string]> = [
    ['/v1/verifications', 'post'],
    ['/v1/verifications/check', 'post'],
    ['/v1/verifications/{id}/cancel', 'post'],
    ['/v1/verifications/{id}', 'get'],
    ['/v1/messages/{id}', 'get'],
    ['/v1/messages', 'get'],
    ['/v1/balance', 'get'],
    ['/healthz', 'get'],
    ['/readyz', 'get'],
  ];
  for (const [path, method] of expected) assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
  const send = doc.paths['/v1/verifications'].post;
  // The body is a named component schema (test/http/openapi.test.ts), referenced from the route.
  const ref: string = send.requestBody.content['application/json'].schema.$ref;
  const body = doc.components.schemas[ref.replace('#/components/schemas/', '')];
  assert.deepEqual(body.required.sort(), ['channel', 'to']);
  assert.ok(body.properties.code_length && body.properties.ttl_seconds && body.properties.template_id);
  assert.ok(send.responses['201'] && send.responses['402'] && send.responses['422'] && send.responses['429']);
  assert.ok(send.parameters.some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key'));
  assert.deepEqual(send.security, [{ bearer: [] }]);
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  const list = doc.paths['/v1/messages'].get.parameters.map((p: { name: string }) => p.name).sort();
  assert.deepEqual(list, ['cursor', 'limit', 'since', 'status', 'to']);
});

/** A carrier that fails transiently (a test double for a carrier's fault), then hands over to the real dev inbox. */
class FlakyCarrier implements Provider {
  readonly kind = 'test';
  readonly channels = ['sms', 'voice'] as const;
  calls: number[] = [];
  constructor(
    readonly name: string,
    private readonly real: Provider,
    private failures: number,
    private readonly retryable = true,
  ) {}
  async send(msg: OutboundMessage): Promise<SendResult> {
    this.calls.push(msg.attempt);
    if (this.failures-- > 0) throw new ProviderError('carrier_unavailable', 'the carrier answered 503', this.retryable, 'http:503');
    return this.real.send(msg);
  }
}

function flaky(h: Harness, failures: number, retryable = true): FlakyCarrier {
  const real = h.gw.providers.get('devinbox')!;
  const f = new FlakyCarrier('devinbox', real, failures, retryable);
  h.gw.providers.set('devinbox', f);
  return f;
}

test('dispatcher: a transient carrier fault is retried with backoff, then delivered once', async (t) => {
  const h = await build(t, { dispatch: { backoff_base_ms: 1_000, backoff_max_ms: 8_000 } });
  const carrier = flaky(h, 2);
  const v = await send(h, US);
  await h.settle();
  let m = await message(h, v.message.id);
  assert.equal(m.status, 'queued', 'waiting for its retry');
  assert.equal(m.attempts, 1);
  assert.equal(m.error_code, 'carrier_unavailable');
  assert.match(m.events.at(-1).detail, /^retry in \d+ ms: carrier_unavailable$/);
  const delay1 = Number(/retry in (\d+)/.exec(m.events.at(-1).detail)![1]);
  assert.ok(delay1 >= 500 && delay1 <= 1_000, `first backoff in [500, 1000]: ${delay1}`);
  h.advance(delay1 - 1);
  await h.settle();
  assert.deepEqual(carrier.calls, [1], 'not retried before its time');
  h.advance(1);
  await h.settle();
  m = await message(h, v.message.id);
  assert.equal(m.status, 'queued');
  const delay2 = Number(/retry in (\d+)/.exec(m.events.at(-1).detail)![1]);
  assert.ok(delay2 >= 1_000 && delay2 <= 2_000, `second backoff doubles: ${delay2}`);
  h.advance(delay2);
  await h.settle();
  m = await message(h, v.message.id);
  assert.equal(m.status, 'delivered');
  assert.equal(m.attempts, 3);
  assert.equal(m.error_code, null);
  assert.deepEqual(carrier.calls, [1, 2, 3]);
  assert.deepEqual(statuses(m), ['queued', 'sending', 'queued', 'sending', 'queued', 'sending', 'sent', 'delivered']);
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data;
  assert.equal(inbox.length, 1, 'delivered once');
});

test('dispatcher: a permanent carrier fault fails the message without retrying', async (t) => {
  const h = await build(t);
  const carrier = flaky(h, 1, false);
  const v = await send(h, US);
  await h.settle();
  h.advance(600_000);
  await h.settle();
  const m = await message(h, v.message.id);
  assert.equal(m.status, 'failed');
  assert.equal(m.error_code, 'carrier_unavailable:http:503');
  assert.deepEqual(carrier.calls, [1]);
  assert.deepEqual(statuses(m), ['queued', 'sending', 'failed']);
});

test('dispatcher: a message still failing at its deadline expires (with its last error)', async (t) => {
  const h = await build(t, { dispatch: { deadline_seconds: 10, backoff_base_ms: 2_000, backoff_max_ms: 2_000 } });
  const carrier = flaky(h, 1_000);
  const v = await send(h, US);
  await h.settle();
  for (let i = 0; i < 12; i++) {
    h.advance(2_000);
    await h.settle();
  }
  const m = await message(h, v.message.id);
  assert.equal(m.status, 'expired');
  assert.equal(m.error_code, 'carrier_unavailable');
  assert.equal(m.events.at(-1).status, 'expired');
  assert.equal(m.events.at(-1).detail, 'delivery deadline passed');
  assert.ok(carrier.calls.length >= 4 && carrier.calls.length <= 11, `tried until the deadline: ${carrier.calls.length}`);
  assert.equal((await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data.length, 0);
});

test('dispatcher: a queued message not sent before its deadline expires (config only, no double)', async (t) => {
  const h = await build(t, { dispatch: { enabled: false, deadline_seconds: 1 } });
  const v = await send(h, US);
  assert.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready: dispatch is off by config');
  h.advance(1_000);
  await h.gw.dispatcher.start();
  await h.settle();
  const m = await message(h, v.message.id);
  assert.equal(m.status, 'expired');
  assert.equal(m.error_code, 'deadline');
  assert.deepEqual(statuses(m), ['queued', 'sending', 'expired']);
  assert.equal((await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data.length, 0, 'never sent');
});
