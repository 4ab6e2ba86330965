/**
 * TingTing callers switch by changing the base URL and nothing else: every request is a send of
 * the code it names (or a fresh one of the length asked for), at once, to the same number too.
 * The pending code is superseded so native check sees the latest. Driven as TingTing's public PHP
 * client (Guzzle) sends requests, over real HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';
import seed from '../../fixtures/tingting/send-otp-seed.json' with { type: 'json' };
import { inbox, LEGACY, send, spaced, V1 } from '../../fixtures/tingting/requests.ts';

const all = { region: 'NP', family: '*' as const };

function check(h: Harness, code: string, to = '+9779851023212') {
  return h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { to, code } });
}

test('the seed’s two samples one after the other to 9851023212 (PHP client, real HTTP) → both 200; the second is a call with a new 4-digit code', async (t) => {
  const h = await build(t, {}, all);
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const php = { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${h.token}`, 'User-Agent': 'GuzzleHttp/7' };
  for (const url of [V1, LEGACY]) {
    const first = await fetch(base + url, { method: 'POST', headers: php, body: JSON.stringify(seed.customized) });
    assert.equal(first.status, 200, url);
    const a = (await first.json()) as { data: { details: Record<string, unknown> } };
    assert.deepEqual([a.data.details.otp, a.data.details.message], ['12345', 'Hi your OTP is 1 2 3 4 5']);
    const second = await fetch(base + url, { method: 'POST', headers: php, body: JSON.stringify(seed.generated) });
    assert.equal(second.status, 200, `${url}: ${await second.clone().text()}`);
    const b = (await second.json()) as { status: number; success: boolean; message: string; errors: unknown[]; data: { details: Record<string, unknown> } };
    assert.deepEqual([b.status, b.success, b.message, b.errors], [200, true, 'OTP Call Initiated Successfully.', []]);
    const otp = String(b.data.details.otp);
    assert.match(otp, /^[0-9]{4}$/, 'otp_length "4" asked for four digits');
    assert.equal(b.data.details.message, `Hi your OTP is ${spaced(otp)}`, 'the message spells those digits');
    assert.equal(b.data.details.sms_send_options, 'voice');
    await h.settle();
    const [call, sms] = await inbox(h, '+9779851023212');
    assert.deepEqual([call.channel, call.code, sms.channel, sms.code], ['voice', otp, 'sms', '12345']);
    // Native check sees the latest: the personnel code was superseded.
    if (otp !== '12345') assert.equal((await check(h, '12345')).json().valid, false);
    assert.deepEqual((await check(h, otp)).json().valid, true);
    h.advance(1000);
  }
});

test('after the native cooldown too, "generated" with otp_length 4 sends a new 4-digit code, never the old 5-digit one', async (t) => {
  // Many sends to one number are what this test is about; the per-number limit (5 per 10 min) is the abuse tests' subject.
  const h = await build(t, { abuse: { enabled: false } }, all);
  const first = await send(h, seed.customized);
  assert.equal(first.statusCode, 200);
  h.advance(31_000);
  for (const length of ['4', 7, '10', 6]) {
    const res = await send(h, { ...seed.generated, otp_length: length, sms_send_options: 'text' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().data.details.otp, new RegExp(`^[0-9]{${length}}$`), String(length));
  }
  // No otp_length: TingTing's default of 6.
  const plain = await send(h, { number: '9851023212', message: 'OTP {otp}', sms_send_options: 'text' });
  assert.match(plain.json().data.details.otp, /^[0-9]{6}$/);
});

test('many sends at once to one number: each answered with its own code, one pending verification left (the last)', async (t) => {
  // Many sends to one number are what this test is about; the per-number limit (5 per 10 min) is the abuse tests' subject.
  const h = await build(t, { abuse: { enabled: false } }, all);
  const codes: string[] = [];
  for (let i = 0; i < 8; i++) {
    const personnel = i % 2 === 0;
    const body = personnel
      ? { number: '+9779851023212', message: '{otp}', sms_send_options: 'text', otp_options: 'personnel', otp: `${4000 + i}` }
      : { number: '9779851023212', message: '{otp}', sms_send_options: i % 3 ? 'voice' : 'text', otp_options: 'generated', otp_length: 5 };
    const res = await send(h, body, { url: i % 2 ? LEGACY : V1 });
    assert.equal(res.statusCode, 200, `${i}: ${res.body}`);
    codes.push(res.json().data.details.otp);
  }
  const pending = await h.gw.store.db.selectFrom('verifications').select(['id', 'status']).where('status', '=', 'pending').execute();
  assert.equal(pending.length, 1);
  const canceled = await h.gw.store.db.selectFrom('verifications').select('id').where('status', '=', 'canceled').execute();
  assert.equal(canceled.length, 7);
  assert.equal((await check(h, codes.at(-1)!)).json().valid, true);
  // The same personnel code twice in a row is two sends too (TingTing has no resend).
  const again = { number: '9851023299', message: '{otp}', sms_send_options: 'text', otp_options: 'personnel', otp: '55555' };
  assert.equal((await send(h, again)).statusCode, 200);
  assert.equal((await send(h, again)).statusCode, 200);
  await h.settle();
  assert.equal((await inbox(h, '+9779851023299')).length, 2);
});

test('codes and numbers as people type them: Devanagari or Persian digits in otp, invisible marks in number', async (t) => {
  const h = await build(t, {}, all);
  const dev = await send(h, { number: '९८५१०२३२१२', message: 'कोड {otp}', sms_send_options: 'text', otp_options: 'personnel', otp: '४८२९' });
  assert.equal(dev.statusCode, 200, dev.body);
  assert.equal(dev.json().data.details.otp, '4829');
  assert.equal(dev.json().data.details.message, 'कोड 4 8 2 9');
  assert.equal((await check(h, '४८२९')).json().valid, true, 'checked in Devanagari digits too');
  for (const [i, number] of ['\u200e9851023213', '\u202a+977 985-1023213\u202c', '98510\u200b23213', '\u2067९८५१०२३२१३\u2069', '\ufeff9779851023213'].entries()) {
    const res = await send(h, { number, message: '{otp}', sms_send_options: 'text', otp_options: 'personnel', otp: `${7000 + i}` });
    assert.equal(res.statusCode, 200, `${JSON.stringify(number)}: ${res.body}`);
  }
  await h.settle();
  assert.equal((await inbox(h, '+9779851023213')).length, 5);
  // A code that is not 4–10 digits or letters once folded is still refused, in TingTing's shape.
  for (const otp of ['४८२', '१२३४५६७८९०१', '۱۲-۳۴', '\u200e']) {
    const bad = await send(h, { number: '9851023212', message: '{otp}', sms_send_options: 'text', otp_options: 'personnel', otp });
    assert.equal(bad.statusCode, 400, `${JSON.stringify(otp)}: ${bad.body}`);
    assert.deepEqual(Object.keys(bad.json().errors[0]), ['otp']);
  }
});

test('company_name is optional (older clients) and the answer carries the current docs’ fields', async (t) => {
  const h = await build(t, {}, { region: 'NP', family: 'tingting' });
  for (const extra of [{}, { company_name: 'Nepal Government' }, { company_name: '' }, { company_name: null }]) {
    const res = await send(h, { ...seed.customized, ...extra });
    assert.equal(res.statusCode, 200, `${JSON.stringify(extra)}: ${res.body}`);
    const d = res.json().data.details;
    for (const k of ['credits_used', 'remaining_sms_credits', 'remaining_phone_credits']) assert.equal(typeof d[k], 'number', k);
  }
  const bad = await send(h, { ...seed.customized, company_name: 'x'.repeat(256) });
  assert.deepEqual(Object.keys(bad.json().errors[0]), ['company_name']);
});
