import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';
import { getMessage } from '../../../src/store/messages.ts';

const HEX32 = /^[0-9a-f]{32}$/;
// Bitel's template, spelled by code point so it cannot drift with the source it tests:
// "به {appName} خوش آمدید\n کد یکبار مصرف  شما: {code}" (leading space, double space before شما).
const template = (app: string, code: string) =>
  `\u0628\u0647 ${app} \u062e\u0648\u0634 \u0622\u0645\u062f\u06cc\u062f\n` +
  ` \u06a9\u062f \u06cc\u06a9\u0628\u0627\u0631 \u0645\u0635\u0631\u0641  \u0634\u0645\u0627: ${code}`;

const bitel = { region: 'IR', family: 'bitel' as const };
const devInbox = (o: { delivery_delay_ms?: number; send_delay_ms?: number; undelivered_numbers?: string[] }) => ({
  dev_inbox: { enabled: true, delivery_delay_ms: 0, send_delay_ms: 0, undelivered_numbers: [], ...o },
});

async function inbox(h: Harness, to: string) {
  const res = await h.app.inject({ method: 'GET', url: `/inbox/api/messages?to=${encodeURIComponent(to)}` });
  return res.json().data as Array<{ message_id: string; text: string; encoding: string; segments: number; channel: string }>;
}

test('the seed sample, camelCase and PascalCase → {result: id, error: null}; the inbox shows the exact UCS-2 template', async (t) => {
  const h = await build(t, {}, bitel);
  const camel = await h.app.inject({
    method: 'POST',
    url: '/api/v1/sms/otp',
    headers: h.auth(),
    payload: { code: '1234', phoneNumber: '09121234567', appName: 'bitel' },
  });
  assert.equal(camel.statusCode, 200, camel.body);
  assert.deepEqual(Object.keys(camel.json()), ['result', 'error']);
  assert.match(camel.json().result, HEX32);
  assert.equal(camel.json().error, null);

  const pascal = await h.app.inject({
    method: 'POST',
    url: '/api/v1/sms/otp',
    headers: h.auth(),
    payload: { PhoneNumber: '+989121234500', AppName: 'Bitel', Code: '1234Ma' },
  });
  assert.equal(pascal.statusCode, 200, pascal.body);
  assert.match(pascal.json().result, HEX32);

  // 31 characters of app name fill one UCS-2 segment (70 units) exactly; 32 need two.
  const one = await h.app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers: h.auth(), payload: { phoneNumber: '9121234501', appName: 'a'.repeat(31), code: '1234' } });
  const two = await h.app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers: h.auth(), payload: { phoneNumber: '989121234502', appName: 'a'.repeat(32), code: '1234' } });
  await h.settle();

  const [a] = await inbox(h, '+989121234567');
  assert.equal(a.message_id, camel.json().result);
  assert.equal(a.text, template('bitel', '1234'));
  assert.equal(a.encoding, 'ucs2');
  assert.equal(a.segments, 1);
  const [b] = await inbox(h, '+989121234500');
  assert.equal(b.text, template('Bitel', '1234Ma'));
  assert.equal((await inbox(h, '+989121234501'))[0].message_id, one.json().result);
  assert.equal((await inbox(h, '+989121234501'))[0].segments, 1);
  assert.equal((await inbox(h, '+989121234502'))[0].message_id, two.json().result);
  assert.equal((await inbox(h, '+989121234502'))[0].segments, 2);
});

test('v2 OTP answers the SMS object, and the caller’s code is a verification the native core checks', async (t) => {
  const h = await build(t, {}, bitel);
  const res = await h.app.inject({ method: 'POST', url: '/api/v2/sms/otp', headers: h.auth(), payload: { phoneNumber: '09121234567', appName: 'Shop', code: 'Ab12' } });
  assert.equal(res.statusCode, 200, res.body);
  const { result, error } = res.json();
  assert.equal(error, null);
  assert.match(result.id, HEX32);
  assert.deepEqual({ ...result, id: 'x', requestDate: 0 }, {
    id: 'x',
    gatewayNumber: '',
    phoneNumber: '09121234567',
    message: template('Shop', 'Ab12'),
    requestDate: 0,
    status: 0,
    statusText: 'Waiting',
    partCount: 1,
    price: 0,
  });
  assert.ok(Math.abs(result.requestDate - h.clock.now / 1000) < 2);
  const wrong = await h.gw.verify.check(h.account, { to: '09121234567', defaultRegion: 'IR', code: 'Ab13' });
  assert.equal(wrong.valid, false);
  const right = await h.gw.verify.check(h.account, { to: '+989121234567', code: 'Ab12' });
  assert.equal(right.valid, true);
});

test('v1 detail and v2 status move WAITING → CHECK_OK (v2; v1 stays 0) → DELIVERED', async (t) => {
  const h = await build(t, devInbox({ send_delay_ms: 150, delivery_delay_ms: 600_000 }), bitel);
  const id = (await h.app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers: h.auth(), payload: { phoneNumber: '09121234567', appName: 'bitel', code: '4321' } })).json().result;
  const read = async () => {
    const v1 = await h.app.inject({ method: 'GET', url: `/api/v1/sms/detail/single/${id}`, headers: h.auth() });
    const v2 = await h.app.inject({ method: 'GET', url: `/api/v2/sms/status/${id}`, headers: h.auth() });
    assert.equal(v1.statusCode, 200, v1.body);
    assert.equal(v2.statusCode, 200, v2.body);
    return { v1: v1.json().result, v2: v2.json().result };
  };

  let s = await read();
  assert.deepEqual([s.v1.deliveryStatus, s.v1.deliveryStatusCode, s.v2.status, s.v2.statusCode], ['WAITING', 0, 'WAITING', 0]);
  assert.equal(s.v2.price, 0);
  assert.deepEqual({ ...s.v1, requestDate: 0 }, {
    id,
    message: template('bitel', '4321'),
    phoneNumber: '09121234567',
    requestDate: 0,
    result: 'ok',
    smsCount: 1,
    balanceSubtracted: 0.01, // the default IR price, 10 000 micro-units → 0.01 Toman
    deliveryStatus: 'WAITING',
    deliveryStatusCode: 0,
  });

  // Handed to the carrier (the dev inbox), its receipt not yet in.
  let m = (await getMessage(h.gw.store.db, h.account.id, id))!;
  for (let i = 0; i < 200 && m.status !== 'sent'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    m = (await getMessage(h.gw.store.db, h.account.id, id))!;
  }
  s = await read();
  assert.deepEqual([s.v1.deliveryStatus, s.v1.deliveryStatusCode, s.v2.status, s.v2.statusCode], ['WAITING', 0, 'CHECK_OK', 2]);

  await h.gw.dispatcher.recordReceipts([{ provider: m.provider!, providerMessageId: m.provider_message_id!, outcome: 'delivered', at: new Date() }]);
  await h.gw.writer.flush();
  s = await read();
  assert.deepEqual([s.v1.deliveryStatus, s.v1.deliveryStatusCode, s.v2.status, s.v2.statusCode], ['DELIVERED', 1, 'DELIVERED', 1]);
  assert.equal(s.v2.price, -0.01);
  assert.equal(s.v1.balanceSubtracted, 0.01);
});

test('an undelivered receipt reads DELIVERY_FAILED (4) in v1 and v2', async (t) => {
  const h = await build(t, devInbox({ undelivered_numbers: ['+989121234560'] }), bitel);
  const id = (await h.app.inject({ method: 'POST', url: '/api/v2/sms/otp', headers: h.auth(), payload: { phoneNumber: '09121234560', appName: 'bitel', code: '1111' } })).json().result.id;
  await h.settle();
  const v1 = (await h.app.inject({ method: 'GET', url: `/api/v1/sms/detail/single/${id}`, headers: h.auth() })).json().result;
  const v2 = (await h.app.inject({ method: 'GET', url: `/api/v2/sms/status/${id}`, headers: h.auth() })).json().result;
  assert.deepEqual([v1.deliveryStatus, v1.deliveryStatusCode], ['DELIVERY_FAILED', 4]);
  assert.deepEqual([v2.status, v2.statusCode, v2.price], ['DELIVERY_FAILED', 4, -0.01]);
});

test('sms/single: v1 → {requestId}, v2 → the SMS object with its gateway number; the text arrives as sent', async (t) => {
  const h = await build(t, {}, bitel);
  const v1 = await h.app.inject({ method: 'POST', url: '/api/v1/sms/single', headers: h.auth(), payload: { message: 'Hi there', phoneNumber: '09121234567' } });
  assert.equal(v1.statusCode, 200, v1.body);
  assert.deepEqual(Object.keys(v1.json().result), ['requestId']);
  assert.match(v1.json().result.requestId, HEX32);
  const v2 = await h.app.inject({ method: 'POST', url: '/api/v2/sms/single', headers: h.auth(), payload: { Message: 'سلام', PhoneNumber: '09121234568', GatewayNumber: '10007200' } });
  assert.equal(v2.statusCode, 200, v2.body);
  const o = v2.json().result;
  assert.deepEqual([o.gatewayNumber, o.phoneNumber, o.message, o.status, o.statusText, o.partCount, o.price], ['10007200', '09121234568', 'سلام', 0, 'Waiting', 1, 0]);
  await h.settle();
  const [a] = await inbox(h, '+989121234567');
  assert.deepEqual([a.message_id, a.text, a.encoding], [v1.json().result.requestId, 'Hi there', 'gsm7']);
  const detail = (await h.app.inject({ method: 'GET', url: `/api/v1/sms/detail/single/${o.id}`, headers: h.auth() })).json().result;
  assert.deepEqual([detail.message, detail.deliveryStatus], ['سلام', 'DELIVERED']);
});
