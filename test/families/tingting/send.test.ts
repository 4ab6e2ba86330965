import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../helpers/gateway.ts';
import seed from '../../fixtures/tingting/send-otp-seed.json' with { type: 'json' };
import { inbox, NP_TINGTING, send, SEND_URLS, SMS_PRICE, spaced, V1, VOICE_PRICE } from '../../fixtures/tingting/requests.ts';

const HOUR = 3_600_000; // past the default 600 s expiry: the next send to the same number starts afresh
const BALANCE = 1_000_000_000; // the harness's default

test('the seed’s two sample inputs, verbatim, on both paths with and without the slash → the seed’s envelope; the dev inbox holds the text', async (t) => {
  // Eight sends to the seed's one number.
  const h = await build(t, { abuse: { limits: { per_number_10m: { points: 100 }, per_number_24h: { points: 100 } } } }, NP_TINGTING);
  let spent = 0;
  for (const url of SEND_URLS) {
    // Customized (personnel) → text.
    const text = await send(h, seed.customized, { url });
    assert.equal(text.statusCode, 200, `${url} ${text.body}`);
    assert.match(String(text.headers['content-type']), /^application\/json/);
    const body = text.json();
    assert.deepEqual(Object.keys(body), Object.keys(seed.output), url);
    assert.deepEqual(Object.keys(body.data.details).slice(0, 5), Object.keys(seed.output.data.details), url);
    spent += SMS_PRICE;
    assert.deepEqual(body, {
      ...seed.output,
      data: {
        details: {
          ...seed.output.data.details,
          number: seed.customized.number, // the request's value; the seed's sample shows another number
          credits_used: 1,
          remaining_sms_credits: (BALANCE - spent) / SMS_PRICE,
          remaining_phone_credits: Math.floor((BALANCE - spent) / VOICE_PRICE),
        },
      },
    }, url);
    await h.settle();
    const [sms] = await inbox(h, '+9779851023212');
    assert.deepEqual([sms.channel, sms.text, sms.encoding, sms.segments], ['sms', 'Hi your OTP is 12345', 'gsm7', 1], url);
    h.advance(HOUR);

    // Auto-generated, otp_length "4" → voice.
    const voice = await send(h, seed.generated, { url });
    assert.equal(voice.statusCode, 200, `${url} ${voice.body}`);
    assert.match(voice.body, /"length_factor":1\.0}/, 'a float, as TingTing prints it');
    const v = voice.json();
    const otp: string = v.data.details.otp;
    assert.match(otp, /^[0-9]{4}$/);
    spent += VOICE_PRICE;
    assert.deepEqual(v, {
      status: 200,
      success: true,
      message: 'OTP Call Initiated Successfully.',
      errors: [],
      data: {
        details: {
          number: '9851023212',
          otp_options: 'generated',
          message: `Hi your OTP is ${spaced(otp)}`,
          otp,
          sms_send_options: 'voice',
          credits_used: 1,
          remaining_sms_credits: Math.floor((BALANCE - spent) / SMS_PRICE),
          remaining_phone_credits: Math.floor((BALANCE - spent) / VOICE_PRICE),
          voice_input: 'np_rija',
          length_factor: 1,
        },
      },
    }, url);
    await h.settle();
    const [call] = await inbox(h, '+9779851023212');
    // The call reads the caller's text in a Nepali voice, digit by digit.
    assert.deepEqual([call.channel, call.locale, call.text, call.code], ['voice', 'ne', `Hi your OTP is ${spaced(otp)}`, otp], url);
    h.advance(HOUR);
  }
  assert.equal((await inbox(h)).length, SEND_URLS.length * 2);
});

test('number formats, otp_length as integer or string, {otp} anywhere, repeated or absent, numeric otp, voices', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const base = { message: 'Code {otp}', sms_send_options: 'text' };
  // [body, E.164 the phone is, code rule, details.message for the code, SMS text for the code]
  const cases: Array<[Record<string, unknown>, string, RegExp | string, (c: string) => string, ((c: string) => string)?]> = [
    [{ ...base, number: '9851000001' }, '+9779851000001', /^[0-9]{6}$/, (c) => `Code ${spaced(c)}`, (c) => `Code ${c}`],
    [{ ...base, number: '+9779851000002', otp_length: 4 }, '+9779851000002', /^[0-9]{4}$/, (c) => `Code ${spaced(c)}`],
    [{ ...base, number: '9779851000003', otp_length: '10' }, '+9779851000003', /^[0-9]{10}$/, (c) => `Code ${spaced(c)}`],
    [{ ...base, number: 9851000004, otp_length: ' 7 ' }, '+9779851000004', /^[0-9]{7}$/, (c) => `Code ${spaced(c)}`],
    [{ ...base, number: '985-100-0005', otp_length: '5.0' }, '+9779851000005', /^[0-9]{5}$/, (c) => `Code ${spaced(c)}`],
    [{ ...base, number: '9851000006', message: '{otp} is your code', otp_options: 'personnel', otp: 4321 }, '+9779851000006', '4321', () => '4 3 2 1 is your code', () => '4321 is your code'],
    [{ ...base, number: '9851000007', message: 'A {otp}, again {otp}.', otp_options: 'personnel', otp: 'Ab12' }, '+9779851000007', 'Ab12', () => 'A A b 1 2, again A b 1 2.', () => 'A Ab12, again Ab12.'],
    [{ ...base, number: '9851000008', message: 'Your login code:', otp_options: 'personnel', otp: '2468', otp_length: 99 }, '+9779851000008', '2468', () => 'Your login code: 2 4 6 8', () => 'Your login code: 2468'],
    [{ ...base, number: '9851000009', otp_options: 'generated', otp: 'ignored', company_name: 'Acme Pvt. Ltd.', voice_input: 'nope' }, '+9779851000009', /^[0-9]{6}$/, (c) => `Code ${spaced(c)}`, (c) => `Code ${c}`],
    [{ ...base, number: '9851000010', sms_send_options: 'voice', voice_input: 'np_binod', otp_options: 'personnel', otp: '1357' }, '+9779851000010', '1357', () => 'Code 1 3 5 7', () => 'Code 1 3 5 7'],
    [{ ...base, number: '014411111', sms_send_options: 'voice', otp_length: 4 }, '+977014411111', /^[0-9]{4}$/, (c) => `Code ${spaced(c)}`],
  ];
  for (const [body, e164, rule, detailsText, sentText] of cases) {
    const what = JSON.stringify(body);
    const res = await send(h, body);
    assert.equal(res.statusCode, 200, `${what} → ${res.body}`);
    const d = res.json().data.details;
    if (typeof rule === 'string') assert.equal(d.otp, rule, what);
    else assert.match(d.otp, rule, what);
    assert.equal(d.number, String(body.number), what);
    assert.equal(d.message, detailsText(d.otp), what);
    assert.equal(d.otp_options, body.otp_options ?? 'generated', what);
    if (body.sms_send_options === 'voice') assert.equal(d.voice_input, body.voice_input ?? 'np_rija', what);
    else assert.equal('voice_input' in d, false, what);
    await h.settle();
    const [got] = await inbox(h, e164);
    assert.ok(got, `${what}: nothing reached ${e164}`);
    assert.equal(got.code, d.otp, what);
    if (sentText) assert.equal(got.text, sentText(d.otp), what);
  }
  // company_name is stored with the verification.
  const v = await h.gw.store.db.selectFrom('verifications').select('meta').where('to_number', '=', '+9779851000009').executeTakeFirstOrThrow();
  assert.equal(JSON.parse(v.meta!).company_name, 'Acme Pvt. Ltd.');
});

test('a Nepali (Devanagari) message is UCS-2: 100 characters cost 2 segments where 100 Latin ones cost 1', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const latin = `${'a'.repeat(90)} {otp}`; // 90 + 1 + 4 digits = 95 GSM-7 characters: one segment of 160
  const nepali = `${'क'.repeat(90)} {otp}`; // 95 UCS-2 units: two segments of 67
  const a = (await send(h, { number: '9851000001', message: latin, sms_send_options: 'text', otp_length: 4 })).json().data.details;
  const b = (await send(h, { number: '9851000002', message: nepali, sms_send_options: 'text', otp_length: 4 })).json().data.details;
  assert.equal(a.credits_used, 1);
  assert.equal(b.credits_used, 2);
  assert.equal(a.remaining_sms_credits - b.remaining_sms_credits, 2, 'the second send took two credits');
  assert.equal(b.message, `${'क'.repeat(90)} ${spaced(b.otp)}`);
  await h.settle();
  const [sa] = await inbox(h, '+9779851000001');
  const [sb] = await inbox(h, '+9779851000002');
  assert.deepEqual([sa.encoding, sa.segments], ['gsm7', 1]);
  assert.deepEqual([sb.encoding, sb.segments, sb.text], ['ucs2', 2, `${'क'.repeat(90)} ${b.otp}`]);
  const rows = await h.gw.store.db.selectFrom('messages').select(['to_number', 'price']).orderBy('to_number').execute();
  assert.deepEqual(rows.map((r) => r.price), [SMS_PRICE, 2 * SMS_PRICE]);
});

test('a TingTing send is a native verification: native check approves its code, and its message is delivered', async (t) => {
  // A key for every family, so the same account calls TingTing's send and the native check.
  const h = await build(t, {}, { region: 'NP', family: '*' });
  const sent = await send(h, { number: '9851023212', message: 'OTP {otp}', sms_send_options: 'text', otp_length: '5' });
  assert.equal(sent.statusCode, 200, sent.body);
  const { otp } = sent.json().data.details;
  await h.settle();

  const list = await h.app.inject({ method: 'GET', url: '/v1/messages?to=%2B9779851023212', headers: h.auth() });
  assert.equal(list.json().data.length, 1, list.body);
  const messageId: string = list.json().data[0].id;
  const msg = await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: h.auth() });
  assert.equal(msg.statusCode, 200, msg.body);
  assert.equal(msg.json().status, 'delivered');

  const check = (code: string) =>
    h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { to: '+9779851023212', code } });
  const wrong = await check(otp === '00000' ? '11111' : '00000');
  assert.equal(wrong.statusCode, 200, wrong.body);
  assert.deepEqual([wrong.json().status, wrong.json().valid], ['pending', false]);
  const right = await check(otp);
  assert.deepEqual([right.json().status, right.json().valid], ['approved', true]);
});

test('legacy and v1 share one number: a send on the other path at once is answered with a fresh code that replaces the first', async (t) => {
  const h = await build(t, {}, { region: 'NP', family: '*' });
  const body = { number: '9851023212', message: 'OTP {otp}', sms_send_options: 'text' };
  const first = await send(h, body, { url: '/api/system/send/otp/' });
  assert.equal(first.statusCode, 200, first.body);
  const again = await send(h, body, { url: V1 });
  assert.equal(again.statusCode, 200, again.body);
  const [a, b] = [first.json().data.details.otp, again.json().data.details.otp];
  assert.match(b, /^[0-9]{6}$/);
  const check = (code: string) =>
    h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { to: '+9779851023212', code } });
  // The newest code is the one checked; the first is canceled with its verification.
  if (a !== b) assert.equal((await check(a)).json().valid, false);
  const ok = await check(b);
  assert.deepEqual([ok.statusCode, ok.json().valid], [200, true]);
});

test('clients written like TingTing’s public PHP (Guzzle) and C# (HttpClient) clients work unchanged over real HTTP', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const api = `${base}/api/v1/`;

  // PHP (TingTing\Laravel\TingTingClient): Guzzle with Accept and Content-Type JSON, Bearer token,
  // bodies from json_encode (slashes and non-ASCII escaped), ints as PHP sends them.
  const php = (token: string) => ({ Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'User-Agent': 'GuzzleHttp/7' });
  const phpJson = (v: unknown) => JSON.stringify(v).replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const sendOtp = await fetch(`${api}auths/send/otp/`, {
    method: 'POST',
    headers: php(h.token),
    body: phpJson({ number: '9851023212', message: 'तपाईंको OTP {otp} हो / Your OTP', sms_send_options: 'text', otp_options: 'generated', otp_length: 6 }),
  });
  assert.equal(sendOtp.status, 200);
  const sent = (await sendOtp.json()) as { success: boolean; data: { details: { otp: string; message: string } } };
  assert.equal(sent.success, true);
  assert.equal(sent.data.details.message, `तपाईंको OTP ${spaced(sent.data.details.otp)} हो / Your OTP`);
  const listed = (await (await fetch(`${api}auths/list/send-otps/?limit=10&offset=0`, { headers: php(h.token) })).json()) as { count: number; results: { data: Array<{ otp: string }> } };
  assert.equal(listed.count, 1);
  assert.equal(listed.results.data[0].otp, sent.data.details.otp);
  // generateApiKeys(): a POST with the JSON content type and no body at all.
  const gen = await fetch(`${api}auths/generate-api-keys/`, { method: 'POST', headers: php(h.token) });
  assert.equal(gen.status, 200);
  const { token, message } = (await gen.json()) as { token: string; message: string };
  assert.equal(message, 'New API token generated successfully');
  const keys = (await (await fetch(`${api}auths/get-api-keys/`, { headers: php(token) })).json()) as { token: string };
  assert.equal(keys.token.slice(-4), token.slice(-4));

  // C# (HttpClient + PostAsJsonAsync): Bearer via AuthenticationHeaderValue, no Accept header,
  // "application/json; charset=utf-8", a chunked body, System.Text.Json escaping (non-ASCII and '+').
  const csharpJson = (v: unknown) => JSON.stringify(v).replace(/[\u0080-\uffff+]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  const payload = { number: '+9779851023213'.replace('+', ''), message: 'हजुरको प्रमाणिकरण कोड {otp} हो।', sms_send_options: 'text', otp_options: 'personnel', otp: '482913', company_name: 'Nepal Government' };
  const chunks = csharpJson(payload).match(/.{1,40}/g)!.map((s) => new TextEncoder().encode(s));
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  const cs = await fetch(`${api}auths/send/otp/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json; charset=utf-8' },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  assert.equal(cs.status, 200, await cs.clone().text());
  const d = ((await cs.json()) as { data: { details: Record<string, unknown> } }).data.details;
  assert.deepEqual([d.number, d.otp, d.message], ['9779851023213', '482913', 'हजुरको प्रमाणिकरण कोड 4 8 2 9 1 3 हो।']);
  await h.settle();
  const [got] = await inbox(h, '+9779851023213');
  assert.deepEqual([got.text, got.encoding], ['हजुरको प्रमाणिकरण कोड 482913 हो।', 'ucs2']);

  // The revoked token no longer works for either client.
  const old = await fetch(`${api}auths/send/otp/`, { method: 'POST', headers: php(h.token), body: phpJson(payload) });
  assert.equal(old.status, 401);
  assert.deepEqual(await old.json(), { detail: 'Invalid token.' });
});
