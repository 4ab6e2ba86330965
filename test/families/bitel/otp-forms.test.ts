/**
 * Bitel's OTP endpoints as real clients call them: the documented `{code, phoneNumber, appName}`
 * sent twice in a row (Bitel callers pass their own code on every request), and the public PHP
 * (Guzzle) client's `{message, phoneNumber}` with its own text, on v1 and v2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';

const all = { region: 'IR', family: '*' as const };

function post(h: Harness, url: string, payload: unknown) {
  return h.app.inject({ method: 'POST', url, headers: h.auth(), payload: payload as object });
}
function check(h: Harness, to: string, code: string) {
  return h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { to, code } });
}
async function inbox(h: Harness, to: string) {
  const res = await h.app.inject({ method: 'GET', url: `/inbox/api/messages?to=${encodeURIComponent(to)}` });
  return res.json().data as Array<{ message_id: string; text: string; code: string | null }>;
}

test('the seed sample twice to the same number → 200 both times, on v1 and v2; native check sees the latest code', async (t) => {
  const h = await build(t, {}, all);
  const sample = { code: '1234', phoneNumber: '09120000000', appName: 'bitel' };
  for (const url of ['/api/v1/sms/otp', '/api/v1/sms/otp', '/api/v2/sms/otp', '/api/v1/sms/otp']) {
    const res = await post(h, url, sample);
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    assert.equal(res.json().error, null);
  }
  const other = await post(h, '/api/v2/sms/otp', { ...sample, code: '9876' });
  assert.equal(other.statusCode, 200);
  assert.equal((await check(h, '+989120000000', '1234')).json().valid, false, 'superseded');
  assert.equal((await check(h, '+989120000000', '9876')).json().valid, true);
  // Voice OTP is a send of its code each time too.
  for (let i = 0; i < 3; i++) assert.equal((await post(h, '/api/v2/voice/otp', { phoneNumber: '09120000003', text: '5678' })).statusCode, 200);
  const pending = await h.gw.store.db.selectFrom('verifications').select('id').where('status', '=', 'pending').execute();
  assert.equal(pending.length, 1, 'the SMS one was approved; of the three calls only the last is pending');
});

test('the PHP client’s {message, phoneNumber} on v2 and v1 → the text sent as given; its code recorded for native check', async (t) => {
  const h = await build(t, {}, all);
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  // As the Guzzle client sends it: json option (json_encode escapes non-ASCII), lowercase bearer.
  const phpJson = (v: unknown) => JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json', authorization: `bearer ${h.token}`, 'User-Agent': 'GuzzleHttp/7' };
  const text = 'کد فعال سازی شما:12345';
  const v2 = await fetch(`${base}/api/v2/sms/otp`, { method: 'POST', headers, body: phpJson({ message: text, phoneNumber: '09120000001' }) });
  assert.equal(v2.status, 200, await v2.clone().text());
  const sms = ((await v2.json()) as { result: { id: string; message: string; phoneNumber: string } }).result;
  assert.equal(sms.message, text);
  await h.settle();
  const [got] = await inbox(h, '+989120000001');
  assert.deepEqual([got.message_id, got.text], [sms.id, text]);
  assert.equal((await check(h, '+989120000001', '12345')).json().valid, true);

  const v1 = await fetch(`${base}/api/v1/sms/otp`, { method: 'POST', headers, body: phpJson({ message: 'Your code: 482913. Do not share it.', phoneNumber: '09120000002' }) });
  assert.equal(v1.status, 200);
  const id = ((await v1.json()) as { result: string }).result;
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal((await check(h, '+989120000002', '482913')).json().valid, true);
  // Status endpoints show the text as sent.
  const status = await fetch(`${base}/api/v2/sms/status/${id}`, { headers });
  assert.equal(((await status.json()) as { result: { message: string } }).result.message, 'Your code: 482913. Do not share it.');
});

test('the code in the caller’s text in any script’s digits: sent as written, checked in ASCII, never stored in the clear', async (t) => {
  const h = await build(t, {}, all);
  const cases: Array<[string, string, string]> = [
    ['09120000011', 'کد فعال سازی شما: ۱۲۳۴۵', '12345'],
    ['09120000012', 'رمز یکبار مصرف ٤٤٥٥٦٦ است', '445566'],
    ['09120000013', 'OTP ८८९९', '8899'],
    ['09120000014', '１２３４５６７８ is your code', '12345678'],
    ['09120000015', 'Code 1234567890 — valid 2 minutes', '1234567890'], // "2" is no code: one run of 4–10
    ['09120000016', 'کد ۴۴۴۴ (کد ۴۴۴۴)', '4444'], // the same code twice is one code
  ];
  for (const [to, message, code] of cases) {
    const res = await post(h, '/api/v2/sms/otp', { phoneNumber: to, message });
    assert.equal(res.statusCode, 200, `${message}: ${res.body}`);
    assert.equal(res.json().result.message, message);
    const e164 = `+98${to.slice(1)}`;
    assert.equal((await check(h, e164, code)).json().valid, true, message);
  }
  await h.settle();
  for (const [to, message] of cases) assert.equal((await inbox(h, `+98${to.slice(1)}`))[0].text, message);
  const stored = await h.gw.store.db.selectFrom('messages').select('body').execute();
  for (const { body } of stored) for (const [, , code] of cases) assert.ok(!body.includes(code), `${JSON.stringify(body)} holds ${code}`);
  for (const { body } of stored) assert.ok(!/[۱۲۳۴۵٤٥٦८९１２]{4}/.test(body), `${JSON.stringify(body)} holds a code in another script`);
});

test('a text with no code, or with two different ones, is sent as given without a verification', async (t) => {
  const h = await build(t, {}, all);
  for (const [to, message] of [
    ['09120000021', 'خوش آمدید'],
    ['09120000022', 'codes 1234 and 5678'],
    ['09120000023', 'call 123'],
    ['09120000024', 'number 12345678901'],
  ]) {
    const res = await post(h, '/api/v1/sms/otp', { PhoneNumber: to, Message: message });
    assert.equal(res.statusCode, 200, `${message}: ${res.body}`);
    await h.settle();
    assert.equal((await inbox(h, `+98${to.slice(1)}`))[0].text, message);
  }
  const vs = await h.gw.store.db.selectFrom('verifications').select('id').execute();
  assert.equal(vs.length, 0);
});

test('codes in Persian digits and numbers with invisible marks, in the documented form and voice OTP', async (t) => {
  const h = await build(t, {}, all);
  const res = await post(h, '/api/v1/sms/otp', { phoneNumber: '\u200f۰۹۱۲۰۰۰۰۰۳۱', appName: 'bitel', code: '۱۲۳۴' });
  assert.equal(res.statusCode, 200, res.body);
  await h.settle();
  assert.match((await inbox(h, '+989120000031'))[0].text, /شما: 1234$/);
  assert.equal((await check(h, '+989120000031', '1234')).json().valid, true);
  const call = await post(h, '/api/v2/voice/otp', { phoneNumber: '\u2066+98 912 000 0032\u2069', text: '٥٦٧٨' });
  assert.equal(call.statusCode, 200, call.body);
  assert.equal((await check(h, '+989120000032', '5678')).json().valid, true);
  for (const code of ['۱۲-۴', '۱۲۳۴۵۶۷۸۹۰۱', '\u200e']) {
    const bad = await post(h, '/api/v1/sms/otp', { phoneNumber: '09120000033', appName: 'bitel', code });
    assert.deepEqual([bad.statusCode, bad.json()], [400, { result: null, error: 'InvalidRequest' }], code);
  }
});
