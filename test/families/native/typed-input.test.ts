/**
 * Codes and numbers as people type and paste them: a code on a Persian (or any script's) keyboard,
 * a number copied from a right-to-left interface with its invisible direction marks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';

const post = (h: Harness, url: string, payload: unknown) => h.app.inject({ method: 'POST', url, headers: h.auth(), payload: payload as object });

async function codeOf(h: Harness, to: string): Promise<string> {
  await h.settle();
  const res = await h.app.inject({ method: 'GET', url: `/inbox/api/messages?to=${encodeURIComponent(to)}` });
  return res.json().data[0].code;
}

test('a code typed in Persian digits is valid, using one attempt; other scripts too; a wrong one in any script is not', async (t) => {
  const h = await build(t);
  const scripts = [0x6f0, 0x660, 0x966, 0x9e6, 0xe50, 0xff10, 0x1d7ce, 0x1040];
  for (const [i, zero] of scripts.entries()) {
    const to = `+1415555${String(100 + i).padStart(4, '0')}`;
    const sent = await post(h, '/v1/verifications', { to, channel: 'sms' });
    assert.equal(sent.statusCode, 201, sent.body);
    const code = await codeOf(h, to);
    const typed = Array.from(code, (d) => String.fromCodePoint(zero + Number(d))).join('');
    const wrongDigit = String((Number(code[0]) + 1) % 10);
    const wrong = await post(h, '/v1/verifications/check', { id: sent.json().id, code: String.fromCodePoint(zero + Number(wrongDigit)) + typed.slice(Array.from(typed)[0].length) });
    assert.deepEqual([wrong.statusCode, wrong.json().valid, wrong.json().attempts_left], [200, false, 4], `U+${zero.toString(16)}`);
    const right = await post(h, '/v1/verifications/check', { id: sent.json().id, code: typed });
    assert.equal(right.statusCode, 200, right.body);
    assert.deepEqual([right.json().valid, right.json().status, right.json().attempts_left], [true, 'approved', 3], `U+${zero.toString(16)} ${typed}`);
  }
  // With invisible marks around it, and by number (check by "to").
  const sent = await post(h, '/v1/verifications', { to: '+14155550190', channel: 'sms' });
  const code = await codeOf(h, '+14155550190');
  const persian = Array.from(code, (d) => String.fromCodePoint(0x6f0 + Number(d))).join('');
  const byTo = await post(h, '/v1/verifications/check', { to: '\u200f+1 415 555 0190', code: `\u2067${persian}\u2069` });
  assert.deepEqual([byTo.statusCode, byTo.json().id, byTo.json().valid], [200, sent.json().id, true], byTo.body);
});

test('caller-supplied codes in any script’s digits are stored and sent as the ASCII code', async (t) => {
  const h = await build(t);
  const sent = await post(h, '/v1/verifications', { to: '+14155550110', channel: 'sms', code: '۸۹۰۹۳۱' });
  assert.equal(sent.statusCode, 201, sent.body);
  assert.equal(await codeOf(h, '+14155550110'), '890931');
  assert.equal((await post(h, '/v1/verifications/check', { id: sent.json().id, code: '890931' })).json().valid, true);
  const mixed = await post(h, '/v1/verifications', { to: '+14155550111', channel: 'sms', code: 'AB٤٥\u200e' });
  assert.equal(mixed.statusCode, 201, mixed.body);
  assert.equal(await codeOf(h, '+14155550111'), 'AB45');
  for (const code of ['۸۹۰', '۱۲۳۴۵۶۷۸۹۰۱', '۱۲-۳۴', '\u200e\u200f']) {
    const bad = await post(h, '/v1/verifications', { to: '+14155550112', channel: 'sms', code });
    assert.equal(bad.statusCode, 400, `${JSON.stringify(code)}: ${bad.body}`);
    assert.equal(bad.json().error.field, 'code');
  }
});

test('a number pasted with invisible format characters is accepted on every input that takes a number', async (t) => {
  const h = await build(t);
  const marks = ['\u200e', '\u200f', '\u061c', '\u202a', '\u202e', '\u2066', '\u2068', '\u2069', '\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad'];
  for (const [i, m] of marks.entries()) {
    const e164 = `+1415555${String(200 + i).padStart(4, '0')}`;
    const res = await post(h, '/v1/verifications', { to: `${m}${e164}`, channel: 'sms' });
    assert.equal(res.statusCode, 201, `${JSON.stringify(m)}: ${res.body}`);
    assert.equal(res.json().to, e164);
  }
  const seed = await post(h, '/v1/verifications', { to: '\u200e+14155550102', channel: 'sms' });
  assert.equal(seed.statusCode, 201, seed.body);
  // GET /v1/messages?to= with the marks, percent-encoded as a browser sends them.
  const list = await h.app.inject({ method: 'GET', url: `/v1/messages?to=${encodeURIComponent('\u200e+1 (415) 555-0102\u200f')}`, headers: h.auth() });
  assert.equal(list.statusCode, 200, list.body);
  assert.equal(list.json().data.length, 1);
  // Marks alone are still no number, with the native error.
  const none = await post(h, '/v1/verifications', { to: '\u200e\u200f', channel: 'sms' });
  assert.deepEqual([none.statusCode, none.json().error.code], [400, 'invalid_phone_number']);
});
