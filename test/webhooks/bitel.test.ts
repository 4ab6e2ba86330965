/**
 * Bitel-style webhooks (issue 5): set through the Bitel family's own route by a bitel-scoped key,
 * one POST per outcome in Bitel's SMS and voice shapes, with the native signature header as well.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../helpers/gateway.ts';
import { verifySignature } from '../../src/webhooks/index.ts';
import { pump, startReceiver } from './receiver.ts';

const bitel = { region: 'IR', family: 'bitel' as const };
const devInbox = { dev_inbox: { enabled: true, delivery_delay_ms: 0, send_delay_ms: 0, undelivered_numbers: ['+989120000004'], busy_numbers: ['+989120000003'] } };
const SMS_KEYS = ['balanceSubtracted', 'batchId', 'deliveryStatus', 'requestDate', 'requestId', 'smsCount'];
const VOICE_KEYS = ['balanceSubtracted', 'billSec', 'campaignId', 'cause', 'number', 'requestDate', 'requestId'];

function call(h: Harness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) {
  return h.app.inject({ method, url, headers: { authorization: `bearer ${h.token}` }, payload });
}

async function setup(t: Parameters<typeof build>[0]) {
  const h = await build(t, devInbox, bitel);
  const rc = await startReceiver(t, () => h.clock.now);
  const put = await call(h, 'PUT', '/api/v1/webhook', { Url: rc.url });
  assert.equal(put.statusCode, 200, put.body);
  return { h, rc, secret: put.json().result.secret as string };
}

const signed = (h: Harness, secret: string, r: { headers: Record<string, unknown>; raw: string }) =>
  verifySignature(secret, r.headers['x-otpgate-signature'] as string, r.raw, 300, Math.floor(h.clock.now / 1000));

test('SMS: one POST per outcome, {requestId, batchId, balanceSubtracted, smsCount, requestDate, deliveryStatus}, signed', async (t) => {
  const { h, rc, secret } = await setup(t);
  const sent = await call(h, 'POST', '/api/v1/sms/otp', { phoneNumber: '09121234567', appName: 'Shop', code: '1234' });
  const id = sent.json().result as string;
  const failed = (await call(h, 'POST', '/api/v1/sms/single', { phoneNumber: '09120000004', message: 'hello' })).json().result.requestId as string;
  await pump(h);

  const mine = rc.received.filter((r) => r.json.requestId === id);
  assert.deepEqual(mine.map((r) => r.json.deliveryStatus), [2, 1], 'CHECK_OK when handed to the carrier, then DELIVERED; nothing while WAITING');
  const detail = (await call(h, 'GET', `/api/v1/sms/detail/single/${id}`)).json().result;
  for (const r of mine) {
    assert.deepEqual(Object.keys(r.json).sort(), SMS_KEYS);
    assert.deepEqual(
      { ...r.json, deliveryStatus: 0 },
      { requestId: id, batchId: null, balanceSubtracted: detail.balanceSubtracted, smsCount: detail.smsCount, requestDate: detail.requestDate, deliveryStatus: 0 },
    );
    assert.equal(signed(h, secret, r), true, 'the native signature header is added');
    assert.equal(r.headers['content-type'], 'application/json');
  }
  assert.ok(detail.balanceSubtracted > 0);
  assert.equal(detail.smsCount, 1);
  assert.deepEqual(rc.received.filter((r) => r.json.requestId === failed).map((r) => r.json.deliveryStatus), [2, 4], 'DELIVERY_FAILED on an undelivered receipt');
  const rows = await h.gw.store.db.selectFrom('webhook_outbox').select(['format', 'state']).execute();
  assert.deepEqual(rows, Array(4).fill({ format: 'bitel', state: 'delivered' }), 'no row for queued/sending, none for the verification');
});

test('voice: {requestId, campaignId, balanceSubtracted, cause, billSec, number, requestDate}; NORMAL with its billSec, USER_BUSY', async (t) => {
  const { h, rc, secret } = await setup(t);
  const answered = (await call(h, 'POST', '/api/v1/voice/otp', { phoneNumber: '09121234567', text: '1234' })).json().result as string;
  const busy = (await call(h, 'POST', '/api/v1/voice/otp', { phoneNumber: '+989120000003', text: '5678', retryCount: 0 })).json().result as string;
  await pump(h);

  const [a] = rc.received.filter((r) => r.json.requestId === answered);
  const cdr = (await call(h, 'GET', `/api/v1/voice/cdr/${answered}`)).json().result;
  assert.deepEqual(Object.keys(a.json).sort(), VOICE_KEYS);
  assert.deepEqual(a.json, {
    requestId: answered,
    campaignId: null,
    balanceSubtracted: cdr.balanceSubtracted,
    cause: 1,
    billSec: cdr.billSec,
    number: '09121234567',
    requestDate: cdr.requestDate,
  });
  assert.ok(cdr.billSec > 0 && cdr.balanceSubtracted > 0);
  assert.equal(signed(h, secret, a), true);
  const b = rc.received.filter((r) => r.json.requestId === busy);
  assert.deepEqual(b.map((r) => [r.json.cause, r.json.billSec, r.json.number]), [[3, 0, '09120000003']]);
  assert.equal(rc.received.length, 2, 'a call under way (WAITING) sends nothing');
});

test('the Bitel webhook route: envelope, case-insensitive fields, secret once, InvalidRequest for a bad url, DELETE', async (t) => {
  const h = await build(t, devInbox, bitel);
  assert.equal((await call(h, 'GET', '/v1/webhook')).statusCode, 401, 'a bitel-scoped key cannot use the native route');
  assert.deepEqual((await call(h, 'GET', '/api/v1/webhook')).json(), { result: null, error: 'NotFound' });

  for (const payload of [{ url: 'ftp://example.com/x' }, { URL: 'garbage' }, { url: 'https://example.com', secret: 'short' }, {}, { url: 7 }]) {
    const res = await call(h, 'PUT', '/api/v1/webhook', payload);
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), { result: null, error: 'InvalidRequest' });
    assert.match(res.headers['x-otpgate-error'] as string, /url|secret/);
  }
  assert.match((await call(h, 'PUT', '/api/v1/webhook', { url: 'ftp://example.com/x' })).headers['x-otpgate-error'] as string, /^url must be an absolute http/);
  const noAuth = await h.app.inject({ method: 'PUT', url: '/api/v1/webhook', payload: { url: 'https://example.com' } });
  assert.deepEqual([noAuth.statusCode, noAuth.json()], [401, { result: null, error: 'Unauthorized' }]);

  const put = await call(h, 'PUT', '/api/v1/webhook', { URL: 'https://example.com/bitel' });
  const { secret } = put.json().result;
  assert.deepEqual(put.json(), { result: { url: 'https://example.com/bitel', secretLast4: secret.slice(-4), secret }, error: null });
  assert.deepEqual((await call(h, 'GET', '/api/v1/webhook')).json(), { result: { url: 'https://example.com/bitel', secretLast4: secret.slice(-4) }, error: null });
  const account = await h.gw.store.db.selectFrom('accounts').select('webhook_format').where('id', '=', h.account.id).executeTakeFirstOrThrow();
  assert.equal(account.webhook_format, 'bitel');

  assert.deepEqual((await call(h, 'DELETE', '/api/v1/webhook')).json(), { result: true, error: null });
  assert.deepEqual((await call(h, 'GET', '/api/v1/webhook')).json(), { result: null, error: 'NotFound' });
  await call(h, 'POST', '/api/v1/sms/otp', { phoneNumber: '09121234567', appName: 'Shop', code: '1234' });
  await pump(h);
  assert.equal((await h.gw.store.db.selectFrom('webhook_outbox').select('id').execute()).length, 0);
});
