import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../helpers/gateway.ts';
import { createApiKey } from '../../../src/store/accounts.ts';
import { inbox, LEGACY, NP_TINGTING, send, SEND_URLS, SMS_PRICE, V1 } from '../../fixtures/tingting/requests.ts';

const ok = { number: '9851023212', message: 'Hi your OTP is {otp}', sms_send_options: 'text' };
const personnel = { ...ok, otp_options: 'personnel', otp: '12345' };
const voice = { ...ok, sms_send_options: 'voice' };

/** The error envelope: status equal to the HTTP status, errors a non-empty list of {field: [sentences]}. */
function assertEnvelope(res: { statusCode: number; body: string }, what: string): { message: string; fields: string[] } {
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body), ['status', 'success', 'message', 'errors', 'data'], what);
  assert.equal(body.status, res.statusCode, what);
  assert.equal(body.success, false, what);
  assert.equal(body.data, null, what);
  assert.equal(typeof body.message, 'string', what);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${what}: errors name something`);
  for (const e of body.errors) {
    assert.equal(Object.keys(e).length, 1, what);
    const [msgs] = Object.values(e) as unknown[];
    assert.ok(Array.isArray(msgs) && msgs.length > 0 && msgs.every((m) => typeof m === 'string' && m.length > 0), what);
  }
  return { message: body.message, fields: body.errors.map((e: object) => Object.keys(e)[0]) };
}

test('each missing field, wrong type, bad number, otp missing with personnel, otp_length out of 4–10, unknown option → 400 naming the fields', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const without = (k: string, b: Record<string, unknown> = ok) => Object.fromEntries(Object.entries(b).filter(([key]) => key !== k));
  // [body, the fields the 400 names, in the serializer's order]
  const cases: Array<[unknown, string[]]> = [
    [without('number'), ['number']],
    [without('message'), ['message']],
    [without('sms_send_options'), ['sms_send_options']],
    [{}, ['number', 'message', 'sms_send_options']],
    [{ number: null, message: null, sms_send_options: null }, ['number', 'message', 'sms_send_options']],
    [{ ...ok, number: '' }, ['number']],
    [{ ...ok, number: '   ' }, ['number']],
    [{ ...ok, message: '' }, ['message']],
    // wrong types
    [{ ...ok, number: true }, ['number']],
    [{ ...ok, number: ['9851023212'] }, ['number']],
    [{ ...ok, number: { n: '9851023212' } }, ['number']],
    [{ ...ok, number: 9.851e9 + 0.5 }, ['number']],
    [{ ...ok, message: ['Hi {otp}'] }, ['message']],
    [{ ...ok, message: { text: 'Hi' } }, ['message']],
    [{ ...ok, message: false }, ['message']],
    [{ ...ok, sms_send_options: 1 }, ['sms_send_options']],
    [{ ...ok, sms_send_options: ['text'] }, ['sms_send_options']],
    [{ ...ok, sms_send_options: true }, ['sms_send_options']],
    [{ ...ok, otp_options: 0 }, ['otp_options']],
    [{ ...ok, otp_options: ['generated'] }, ['otp_options']],
    [{ ...personnel, otp: true }, ['otp']],
    [{ ...personnel, otp: ['12345'] }, ['otp']],
    [{ ...personnel, otp: { v: 1 } }, ['otp']],
    [{ ...ok, otp_length: true }, ['otp_length']],
    [{ ...ok, otp_length: 'six' }, ['otp_length']],
    [{ ...ok, otp_length: 4.5 }, ['otp_length']],
    [{ ...ok, otp_length: '4.5' }, ['otp_length']],
    [{ ...ok, otp_length: [4] }, ['otp_length']],
    [{ ...ok, otp_length: '' }, ['otp_length']],
    [{ ...ok, company_name: { a: 1 } }, ['company_name']],
    [{ ...ok, company_name: 'x'.repeat(256) }, ['company_name']],
    [{ ...voice, voice_input: 7 }, ['voice_input']],
    // bad numbers
    [{ ...ok, number: '12345' }, ['number']],
    [{ ...ok, number: '98510232' }, ['number']],
    [{ ...ok, number: '98510232121234' }, ['number']],
    [{ ...ok, number: '98510abc12' }, ['number']],
    [{ ...ok, number: '+14155552671' }, ['number']],
    [{ ...ok, number: '+989121234567' }, ['number']],
    [{ ...ok, number: '+'.repeat(40) }, ['number']],
    [{ ...ok, number: '٩٨٥١٠٢٣٢١٢\u0000' }, ['number']],
    [{ ...voice, number: '12' }, ['number']],
    // otp with personnel
    [without('otp', personnel), ['otp']],
    [{ ...personnel, otp: null }, ['otp']],
    [{ ...personnel, otp: '' }, ['otp']],
    [{ ...personnel, otp: '123' }, ['otp']],
    [{ ...personnel, otp: '12345678901' }, ['otp']],
    [{ ...personnel, otp: '12-45' }, ['otp']],
    [{ ...personnel, otp: '١٢٣' }, ['otp']], // folded to "123": too short
    // otp_length out of 4–10
    ...[0, 3, 11, -4, '3', '11', 1e6, '99999999999999999'].map((n): [unknown, string[]] => [{ ...ok, otp_length: n }, ['otp_length']]),
    [{ ...ok, otp_options: 'generated', otp_length: '0' }, ['otp_length']],
    // unknown options
    [{ ...ok, sms_send_options: 'sms' }, ['sms_send_options']],
    [{ ...ok, sms_send_options: 'TEXT' }, ['sms_send_options']],
    [{ ...ok, sms_send_options: 'email' }, ['sms_send_options']],
    [{ ...ok, otp_options: 'custom' }, ['otp_options']],
    [{ ...voice, voice_input: 'en_us' }, ['voice_input']],
    // text no carrier can take
    [{ ...ok, message: 'x'.repeat(1001) }, ['message']],
    [{ ...ok, message: 'Hi\u0000 {otp}' }, ['message']],
    [{ ...ok, message: 'Hi \ud800 {otp}' }, ['message']],
    [{ ...ok, company_name: 'A\u0000B' }, ['company_name']],
    // every field wrong at once: all of them named
    [{ number: 'x', message: [], sms_send_options: 'fax', otp_options: 'personnel', otp: '1', company_name: [], voice_input: 'x' }, ['number', 'message', 'sms_send_options', 'otp', 'company_name']],
    [{ number: 'x', message: 'm', sms_send_options: 'voice', otp_length: 2, voice_input: 'x' }, ['number', 'otp_length', 'voice_input']],
  ];
  let n = 0;
  for (const [body, fields] of cases) {
    const url = SEND_URLS[n++ % SEND_URLS.length];
    const res = await send(h, body, { url });
    const what = `${url} ${JSON.stringify(body).slice(0, 120)}`;
    assert.equal(res.statusCode, 400, `${what} → ${res.statusCode} ${res.body}`);
    const env = assertEnvelope(res, what);
    assert.deepEqual(env.fields, fields, what);
    for (const f of fields) assert.match(env.message, new RegExp(`\\b${f}\\b`), `${what}: the message names ${f}`);
  }
  // A few sentences, word for word as Django REST Framework writes them.
  const sentences = async (body: unknown) => (await send(h, body)).json().errors;
  assert.deepEqual(await sentences({}), [
    { number: ['This field is required.'] },
    { message: ['This field is required.'] },
    { sms_send_options: ['This field is required.'] },
  ]);
  assert.deepEqual(await sentences({ ...ok, number: null }), [{ number: ['This field may not be null.'] }]);
  assert.deepEqual(await sentences({ ...ok, otp_length: 11 }), [{ otp_length: ['Ensure this value is less than or equal to 10.'] }]);
  assert.deepEqual(await sentences({ ...ok, otp_length: 'x' }), [{ otp_length: ['A valid integer is required.'] }]);
  assert.deepEqual(await sentences(without('otp', personnel)), [{ otp: ['This field is required when otp_options is "personnel".'] }]);
  assert.match((await sentences({ ...ok, sms_send_options: 'sms' }))[0].sms_send_options[0], /^"sms" is not a valid choice\. Use one of: text, voice\.$/);

  assert.equal((await inbox(h)).length, 0, 'nothing was sent');
  assert.equal((await h.gw.store.db.selectFrom('messages').select('id').execute()).length, 0, 'nothing was queued');
});

test('bad JSON, non-object bodies, other content types, a 2 MB body → the error envelope with a 4xx; zero 5xx', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const json = { ...h.auth(), 'content-type': 'application/json' };
  const raw: Array<[Record<string, string>, string, number]> = [
    [json, '{"number": "9851', 400],
    [json, '{bad json}', 400],
    [json, "{'number': '9851023212'}", 400],
    [json, '{"number":"9851023212",}', 400],
    [json, 'null', 400],
    [json, '[]', 400],
    [json, '[{"number":"9851023212"}]', 400],
    [json, '"9851023212"', 400],
    [json, '42', 400],
    [json, 'true', 400],
    [json, '', 400], // no body: required fields missing
    [json, '{"__proto__": {"number": "9851023212"}}', 400],
    [json, '{"constructor": {"prototype": {"x": 1}}, "number": 1}', 400],
    [json, `{"number":"9851023212","message":"${'x'.repeat(2 * 1024 * 1024)}","sms_send_options":"text"}`, 413],
    [{ ...h.auth(), 'content-type': 'text/plain' }, JSON.stringify(ok), 415],
    [{ ...h.auth(), 'content-type': 'application/xml' }, '<otp/>', 415],
    [{ ...h.auth(), 'content-type': 'multipart/form-data; boundary=x' }, '--x--', 415],
    [{ ...h.auth(), 'content-type': 'application/x-www-form-urlencoded' }, 'number=9851023212&message=Hi', 400],
    [h.auth(), '', 400],
  ];
  for (const url of SEND_URLS)
    for (const [headers, payload, status] of raw) {
      const res = await h.app.inject({ method: 'POST', url, headers, payload });
      const what = `${url} ${headers['content-type']} ${payload.slice(0, 50)}`;
      assert.equal(res.statusCode, status, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`);
      assertEnvelope(res, what);
    }
  // Proof the form path is a real parser, not a blanket refusal: a complete form post sends.
  const form = await h.app.inject({
    method: 'POST',
    url: LEGACY,
    headers: { ...h.auth(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'number=9851023212&message=Hi+%7Botp%7D&sms_send_options=text&otp_length=4',
  });
  assert.equal(form.statusCode, 200, form.body);
  assert.match(form.json().data.details.message, /^Hi \d \d \d \d$/);
});

test('auth: missing, malformed, unknown, revoked or other-family tokens → 401 {"detail": …} before the body is read', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const native = await h.newAccount({ region: 'NP', family: 'native' });
  const bitel = await h.newAccount({ region: 'NP', family: 'bitel' });
  const revoked = await createApiKey(h.gw.store.db, h.account.id, 'tingting', h.clock.now);
  // Generating a key revokes the account's other TingTing keys: `revoked` and h.token.
  const gen = await h.app.inject({ method: 'POST', url: '/api/v1/auths/generate-api-keys/', headers: h.auth(revoked.token) });
  assert.equal(gen.statusCode, 200);
  const notProvided = { detail: 'Authentication credentials were not provided.' };
  const invalid = { detail: 'Invalid token.' };
  const cases: Array<[Record<string, string>, object]> = [
    [{}, notProvided],
    [{ authorization: '' }, notProvided],
    [{ authorization: 'Bearer' }, notProvided],
    [{ authorization: h.token }, notProvided],
    [{ authorization: `Basic ${h.token}` }, notProvided],
    [{ authorization: `Token ${gen.json().token}` }, notProvided],
    [{ authorization: 'Bearer nope' }, invalid],
    [{ authorization: `Bearer ${h.token}` }, invalid],
    [{ authorization: `Bearer ${revoked.token}` }, invalid],
    [{ authorization: `Bearer ${native.token}` }, invalid],
    [{ authorization: `Bearer ${bitel.token}` }, invalid],
    [{ authorization: `Bearer ${gen.json().token}x` }, invalid],
  ];
  const routes: Array<[string, string]> = [...SEND_URLS.map((u): [string, string] => ['POST', u]), ['GET', '/api/v1/auths/list/send-otps/'], ['POST', '/api/v1/auths/generate-api-keys/'], ['GET', '/api/v1/auths/get-api-keys/'], ['GET', '/api/v1/dashboard/']];
  for (const [method, url] of routes)
    for (const [headers, detail] of cases) {
      // A broken body too: the token is judged first.
      const res = await h.app.inject({ method: method as 'GET' | 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: method === 'POST' ? '{bad' : undefined });
      const what = `${method} ${url} ${JSON.stringify(headers).slice(0, 60)}`;
      assert.equal(res.statusCode, 401, `${what} → ${res.body}`);
      assert.deepEqual(res.json(), detail, what);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="api"', what);
    }
  // The case of the scheme does not matter, as in DRF.
  const lower = await h.app.inject({ method: 'POST', url: V1, headers: { authorization: `bearer ${gen.json().token}` }, payload: ok });
  assert.equal(lower.statusCode, 200, lower.body);
  await h.settle();
  assert.equal((await inbox(h)).length, 1, 'only the authorized send went out');
});

test('too few credits → 402 envelope naming credits, and nothing is sent or charged', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const broke = await h.newAccount({ region: 'NP', family: 'tingting', balance: 0 });
  // Enough for one GSM-7 segment, not for the two a 100-character Nepali text needs, nor for a call.
  const oneCredit = await h.newAccount({ region: 'NP', family: 'tingting', balance: SMS_PRICE });
  const cases: Array<[string, unknown]> = [
    [broke.token, ok],
    [broke.token, personnel],
    [broke.token, voice],
    [oneCredit.token, { ...ok, number: '9851000001', message: `${'क'.repeat(90)} {otp}` }],
    [oneCredit.token, { ...voice, number: '9851000002' }],
  ];
  for (const [token, body] of cases) {
    const res = await send(h, body, { token });
    const what = JSON.stringify(body).slice(0, 80);
    assert.equal(res.statusCode, 402, `${what} → ${res.body}`);
    const env = assertEnvelope(res, what);
    assert.deepEqual(env.fields, ['credits'], what);
    assert.match(env.message, /^Insufficient credits/, what);
  }
  const balances = await h.gw.store.db.selectFrom('accounts').select(['id', 'balance']).where('id', 'in', [broke.account.id, oneCredit.account.id]).execute();
  assert.deepEqual(new Map(balances.map((b) => [b.id, b.balance])), new Map([[broke.account.id, 0], [oneCredit.account.id, SMS_PRICE]]));
  assert.equal((await h.gw.store.db.selectFrom('messages').select('id').execute()).length, 0);
  // The one credit still buys exactly one plain SMS.
  const res = await send(h, { ...ok, number: '9851000003' }, { token: oneCredit.token });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual([res.json().data.details.credits_used, res.json().data.details.remaining_sms_credits], [1, 0]);
});

test('a burst of mixed good and bad sends never answers 5xx', async (t) => {
  // Dozens of good sends to two prefixes and a few numbers at once.
  const h = await build(t, { abuse: { limits: { per_prefix_1m: { points: 1000 }, per_number_10m: { points: 1000 }, per_number_24h: { points: 1000 } } } }, NP_TINGTING);
  const bodies: unknown[] = [ok, personnel, voice, {}, { ...ok, otp_length: 'x' }, { ...ok, number: '1' }, null, [], 'x', 1];
  const all = await Promise.all(
    Array.from({ length: 60 }, (_, i) => send(h, i % 3 === 0 ? { ...ok, number: `98510000${String(i).padStart(2, '0')}` } : bodies[i % bodies.length], { url: SEND_URLS[i % 4] })),
  );
  for (const res of all) {
    assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`);
    if (res.statusCode !== 200) assertEnvelope(res, res.body);
  }
  assert.equal(all.filter((r) => r.statusCode === 200).length >= 20, true);
});
