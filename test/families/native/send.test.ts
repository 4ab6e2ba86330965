/**
 * POST /v1/verifications through app.inject: the 201 shape, numbers, locales and encodings,
 * prices, codes, templates, ttl, balance refusals, idempotency, and resends with their limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText } from '../../../src/core/encoding.ts';
import { spaceDigits } from '../../../src/core/templates.ts';
import { build, type Harness } from '../../helpers/gateway.ts';

const US = '+14155552671';
const SMS_PRICE = 50_000; // default price table: any prefix, per SMS segment
const VOICE_PRICE = 200_000; // per call

interface InboxItem {
  message_id: string;
  to: string;
  channel: string;
  text: string;
  code: string | null;
  locale: string;
  direction: string;
  encoding: string;
  segments: number;
}

function send(h: Harness, payload: unknown, headers: Record<string, string> = {}, token?: string) {
  return h.app.inject({ method: 'POST', url: '/v1/verifications', headers: { ...h.auth(token), ...headers }, payload: payload as object });
}

async function inbox(h: Harness): Promise<InboxItem[]> {
  await h.settle();
  const res = await h.app.inject({ method: 'GET', url: '/inbox/api/messages?limit=1000' });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().data;
}

async function inboxFor(h: Harness, messageId: string): Promise<InboxItem> {
  const item = (await inbox(h)).find((i) => i.message_id === messageId);
  assert.ok(item, `message ${messageId} reached the dev inbox`);
  return item;
}

async function balance(h: Harness, token?: string): Promise<number> {
  const res = await h.app.inject({ method: 'GET', url: '/v1/balance', headers: h.auth(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().balance;
}

function assertError(res: { statusCode: number; json(): any; body: string }, status: number, code: string, field?: string) {
  assert.equal(res.statusCode, status, res.body);
  const e = res.json().error;
  assert.equal(e.code, code, res.body);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 10, 'the message says what to fix');
  if (field !== undefined) assert.equal(e.field, field, res.body);
}

test('201: the full response shape, E.164, GSM-7 price for one segment, charged once', async (t) => {
  const h = await build(t);
  const before = await balance(h);
  const t0 = h.clock.now;
  const res = await send(h, { to: '+1 (415) 555-2671', channel: 'sms' });
  assert.equal(res.statusCode, 201, res.body);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  const v = res.json();
  assert.deepEqual(Object.keys(v).sort(), [
    'app_name', 'attempts', 'channel', 'created_at', 'expires_at', 'id', 'locale', 'max_attempts', 'message', 'send_count', 'status', 'to', 'updated_at',
  ]);
  assert.match(v.id, /^[0-9a-f]{32}$/);
  assert.equal(v.to, US);
  assert.equal(v.channel, 'sms');
  assert.equal(v.status, 'pending');
  assert.equal(v.locale, 'en');
  assert.equal(v.app_name, null);
  assert.equal(v.send_count, 1);
  assert.equal(v.attempts, 0);
  assert.equal(v.max_attempts, 5);
  assert.equal(v.created_at, new Date(t0).toISOString());
  assert.equal(v.expires_at, new Date(t0 + 600_000).toISOString(), 'default ttl is 600 s');
  const m = v.message;
  assert.match(m.id, /^[0-9a-f]{32}$/);
  assert.notEqual(m.id, v.id);
  assert.equal(m.verification_id, v.id);
  assert.equal(m.status, 'queued');
  assert.equal(m.encoding, 'gsm7');
  assert.equal(m.segments, 1);
  assert.equal(m.price, SMS_PRICE);
  assert.equal(m.currency, 'USD');
  assert.equal(m.to, US);
  assert.ok(!('body' in m), 'the create response does not echo the text');
  assert.ok(!JSON.stringify(v).includes('code_hash') && !JSON.stringify(v).includes('code_sealed'), 'no code material in the response');

  const item = await inboxFor(h, m.id);
  assert.match(item.code!, /^[0-9]{6}$/, 'default code: 6 digits');
  assert.equal(item.text, `Your verification code is ${item.code}. It expires in 10 minutes.`);
  assert.equal(await balance(h), before - SMS_PRICE);
  const ledger = await h.gw.store.db.selectFrom('ledger').selectAll().where('account_id', '=', h.account.id).execute();
  assert.deepEqual(ledger.map((l) => [l.amount, l.reason, l.message_id]), [[-SMS_PRICE, 'message', m.id]]);
});

test('every shipped locale renders in its own script; encoding and segments match the text sent', async (t) => {
  const h = await build(t);
  const locales = ['en', 'fa', 'ne', 'ar', 'hi', 'es', 'fr', 'de', 'ru', 'tr'];
  const expectEncoding: Record<string, string> = { en: 'gsm7', es: 'gsm7', fr: 'gsm7', de: 'gsm7', fa: 'ucs2', ne: 'ucs2', ar: 'ucs2', hi: 'ucs2', ru: 'ucs2', tr: 'ucs2' };
  const script: Record<string, RegExp> = { fa: /[\u0600-\u06ff]/, ar: /[\u0600-\u06ff]/, ne: /[\u0900-\u097f]/, hi: /[\u0900-\u097f]/, ru: /[\u0400-\u04ff]/ };
  const sent = [];
  for (const [i, locale] of locales.entries()) {
    const res = await send(h, { to: `+1415555010${i}`, channel: 'sms', locale });
    assert.equal(res.statusCode, 201, `${locale}: ${res.body}`);
    assert.equal(res.json().locale, locale);
    sent.push({ locale, m: res.json().message });
  }
  const items = await inbox(h);
  const texts = new Set<string>();
  for (const { locale, m } of sent) {
    const item = items.find((x) => x.message_id === m.id)!;
    assert.ok(item, locale);
    assert.equal(m.encoding, expectEncoding[locale], `${locale} encoding`);
    const info = analyzeText(item.text);
    assert.equal(m.encoding, info.encoding, `${locale}: the charged encoding is that of the text sent`);
    assert.equal(m.segments, info.segments, `${locale} segments`);
    assert.equal(m.price, SMS_PRICE * info.segments, `${locale} price`);
    assert.equal(item.encoding, m.encoding);
    assert.ok(item.text.includes(item.code!), `${locale}: the code is in the text`);
    if (script[locale]) assert.match(item.text, script[locale], `${locale} is written in its script`);
    assert.equal(item.direction, locale === 'fa' || locale === 'ar' ? 'rtl' : 'ltr');
    texts.add(item.text.replace(item.code!, ''));
  }
  assert.equal(texts.size, locales.length, 'each locale has its own wording');
});

test('fa and ne are UCS-2; region-tagged locales use their language; unknown locale → 400', async (t) => {
  const h = await build(t);
  const fa = await send(h, { to: '+989121234567', channel: 'sms', locale: 'fa-IR' });
  assert.equal(fa.statusCode, 201, fa.body);
  assert.equal(fa.json().locale, 'fa');
  assert.equal(fa.json().message.encoding, 'ucs2');
  assert.equal(fa.json().message.price, 10_000 * fa.json().message.segments, 'the 98 prefix has its own price');
  const ne = await send(h, { to: '+9779841234567', channel: 'sms', locale: 'ne_NP' });
  assert.equal(ne.statusCode, 201, ne.body);
  assert.equal(ne.json().locale, 'ne');
  assert.equal(ne.json().message.encoding, 'ucs2');
  assert.equal(ne.json().message.price, 20_000 * ne.json().message.segments, 'the 977 prefix has its own price');
  const items = await inbox(h);
  const faItem = items.find((i) => i.message_id === fa.json().message.id)!;
  assert.match(faItem.text, /کد تأیید/);
  assert.equal(faItem.direction, 'rtl');
  const neItem = items.find((i) => i.message_id === ne.json().message.id)!;
  assert.match(neItem.text, /प्रमाणीकरण/);
  assert.equal(neItem.direction, 'ltr');

  assertError(await send(h, { to: US, channel: 'sms', locale: 'pt' }), 400, 'invalid_locale', 'locale');
  assertError(await send(h, { to: US, channel: 'sms', locale: 'x' }), 400, 'invalid_value', 'locale');
});

test('segments and price follow the text: € counts twice in GSM-7, an emoji app name forces UCS-2', async (t) => {
  const h = await build(t);
  const euro = await send(h, { to: '+14155550111', channel: 'sms', app_name: '€'.repeat(60) });
  assert.equal(euro.statusCode, 201, euro.body);
  const emoji = await send(h, { to: '+14155550112', channel: 'sms', app_name: '🔐'.repeat(20) });
  assert.equal(emoji.statusCode, 201, emoji.body);
  const items = await inbox(h);
  const eItem = items.find((i) => i.message_id === euro.json().message.id)!;
  // 60 € are 120 septets: with the template's 60 characters this is more than 160.
  assert.ok(eItem.text.length < 160, 'fewer than 160 characters…');
  assert.equal(euro.json().message.encoding, 'gsm7');
  assert.equal(euro.json().message.segments, 2, '…but more than 160 septets: 2 segments');
  assert.equal(euro.json().message.price, 2 * SMS_PRICE);
  const mItem = items.find((i) => i.message_id === emoji.json().message.id)!;
  assert.equal(emoji.json().message.encoding, 'ucs2');
  assert.equal(emoji.json().message.segments, analyzeText(mItem.text).segments);
  assert.ok(emoji.json().message.segments >= 2, `${mItem.text.length} UTF-16 units need more than one UCS-2 segment`);
  assert.equal(emoji.json().message.price, SMS_PRICE * emoji.json().message.segments);
  assert.ok(mItem.text.includes('🔐'.repeat(20)), 'emoji arrive whole');
  assert.equal(emoji.json().app_name, '🔐'.repeat(20));
});

test('voice: a script with the code spaced and said twice, one call price, fixed lines allowed', async (t) => {
  const h = await build(t);
  const before = await balance(h);
  const res = await send(h, { to: '+442071234567', channel: 'voice', app_name: 'Acme' });
  assert.equal(res.statusCode, 201, res.body);
  const v = res.json();
  assert.equal(v.channel, 'voice');
  assert.equal(v.message.channel, 'voice');
  assert.equal(v.message.segments, 1);
  assert.equal(v.message.price, VOICE_PRICE);
  const item = await inboxFor(h, v.message.id);
  assert.equal(item.channel, 'voice');
  const spaced = spaceDigits(item.code!);
  assert.equal(item.text.split(spaced).length - 1, 2, `the code is said twice: ${item.text}`);
  assert.ok(!item.text.includes(item.code!), 'digits are spaced for text-to-speech');
  assert.match(item.text, /Acme/);
  assert.equal(await balance(h), before - VOICE_PRICE);

  const fa = await send(h, { to: '+989121234567', channel: 'voice', locale: 'fa' });
  assert.equal(fa.statusCode, 201, fa.body);
  const faItem = await inboxFor(h, fa.json().message.id);
  assert.match(faItem.text, /[\u0600-\u06ff]/, 'the script is in the locale language');
  assert.equal(faItem.text.split(spaceDigits(faItem.code!)).length - 1, 2);

  // The same fixed line cannot take an SMS.
  assertError(await send(h, { to: '+442071234568', channel: 'sms' }), 400, 'invalid_phone_number', 'to');
});

test('code_length 4..10 and caller-supplied codes', async (t) => {
  const h = await build(t);
  for (const [i, len] of [4, 7, 10].entries()) {
    const res = await send(h, { to: `+1415555012${i}`, channel: 'sms', code_length: len });
    assert.equal(res.statusCode, 201, res.body);
    const item = await inboxFor(h, res.json().message.id);
    assert.match(item.code!, new RegExp(`^[0-9]{${len}}$`));
  }
  assertError(await send(h, { to: US, channel: 'sms', code_length: 3 }), 400, 'invalid_value', 'code_length');
  assertError(await send(h, { to: US, channel: 'sms', code_length: 11 }), 400, 'invalid_value', 'code_length');
  assertError(await send(h, { to: US, channel: 'sms', code_length: 6.5 }), 400, 'invalid_type', 'code_length');
  assertError(await send(h, { to: US, channel: 'sms', code_length: '6' }), 400, 'invalid_type', 'code_length');

  const own = await send(h, { to: '+14155550130', channel: 'sms', code: 'Ab12Cd' });
  assert.equal(own.statusCode, 201, own.body);
  const item = await inboxFor(h, own.json().message.id);
  assert.equal(item.code, 'Ab12Cd');
  assert.match(item.text, /Ab12Cd/);
  const check = (code: string) => h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: own.json().id, code } });
  assert.equal((await check('ab12cd')).json().valid, false, 'codes compare exactly (case included)');
  assert.deepEqual((await check('Ab12Cd')).json(), { id: own.json().id, status: 'approved', valid: true, attempts_left: 3 });

  for (const bad of ['abc', 'ABCDEFGHIJK', '12 34', '12-34', '١٢٣', '']) assertError(await send(h, { to: US, channel: 'sms', code: bad }), 400, 'invalid_value', 'code');
});

test('a different caller code replaces the pending verification; the same one is a resend', async (t) => {
  const h = await build(t);
  const a = await send(h, { to: US, channel: 'sms', code: 'AAAA11' });
  assert.equal(a.statusCode, 201, a.body);
  h.advance(31_000);
  const same = await send(h, { to: US, channel: 'sms', code: 'AAAA11' });
  assert.equal(same.statusCode, 201, same.body);
  assert.equal(same.json().id, a.json().id);
  assert.equal(same.json().send_count, 2);
  const b = await send(h, { to: US, channel: 'sms', code: 'BBBB22' });
  assert.equal(b.statusCode, 201, b.body);
  assert.notEqual(b.json().id, a.json().id);
  const old = await h.app.inject({ method: 'GET', url: `/v1/verifications/${a.json().id}`, headers: h.auth() });
  assert.equal(old.json().status, 'canceled');
});

test('template_id: a configured template per locale; unknown → 400 naming template_id', async (t) => {
  const h = await build(t, { templates: { login: { en: 'Login to {app_name} with {code} ({minutes} min)', fa: 'ورود به {app_name}: {code}' } } });
  const en = await send(h, { to: '+14155550140', channel: 'sms', template_id: 'login', app_name: 'Acme' });
  assert.equal(en.statusCode, 201, en.body);
  const enItem = await inboxFor(h, en.json().message.id);
  assert.equal(enItem.text, `Login to Acme with ${enItem.code} (10 min)`);
  const fa = await send(h, { to: '+14155550141', channel: 'sms', template_id: 'login', app_name: 'Acme', locale: 'fa' });
  assert.equal(fa.statusCode, 201, fa.body);
  const faItem = await inboxFor(h, fa.json().message.id);
  assert.equal(faItem.text, `ورود به Acme: ${faItem.code}`);
  assert.equal(fa.json().message.encoding, 'ucs2');
  const de = await send(h, { to: '+14155550142', channel: 'sms', template_id: 'login', app_name: 'Acme', locale: 'de' });
  assert.equal(de.statusCode, 201, de.body);
  const deItem = await inboxFor(h, de.json().message.id);
  assert.equal(deItem.text, `Login to Acme with ${deItem.code} (10 min)`, 'a locale without its own text falls back to en');

  const before = await balance(h);
  assertError(await send(h, { to: '+14155550143', channel: 'sms', template_id: 'signup' }), 400, 'template_not_found', 'template_id');
  assert.equal(await balance(h), before, 'a refused send is not charged');
});

test('ttl_seconds: bounds 60..3600 and the expiry and minutes follow it', async (t) => {
  const h = await build(t);
  const t0 = h.clock.now;
  const min = await send(h, { to: '+14155550150', channel: 'sms', ttl_seconds: 60 });
  assert.equal(min.statusCode, 201, min.body);
  assert.equal(min.json().expires_at, new Date(t0 + 60_000).toISOString());
  const max = await send(h, { to: '+14155550151', channel: 'sms', ttl_seconds: 3600 });
  assert.equal(max.statusCode, 201, max.body);
  assert.equal(max.json().expires_at, new Date(t0 + 3_600_000).toISOString());
  const items = await inbox(h);
  assert.match(items.find((i) => i.message_id === min.json().message.id)!.text, /expires in 1 minute\.$/);
  assert.match(items.find((i) => i.message_id === max.json().message.id)!.text, /expires in 60 minutes\.$/);
  for (const bad of [59, 3601, 0, -60]) assertError(await send(h, { to: US, channel: 'sms', ttl_seconds: bad }), 400, 'invalid_value', 'ttl_seconds');
  assertError(await send(h, { to: US, channel: 'sms', ttl_seconds: 600.5 }), 400, 'invalid_type', 'ttl_seconds');
});

test('national-format numbers are read in the account region', async (t) => {
  const h = await build(t);
  const cases: Array<[string, string, string, number]> = [
    ['NP', '9841234567', '+9779841234567', 20_000],
    ['IR', '09121234567', '+989121234567', 10_000],
    ['IR', '۰۹۱۲۱۲۳۴۵۶۸', '+989121234568', 10_000], // Persian digits, as a Persian keyboard types them
    ['US', '(415) 555-2671', US, SMS_PRICE],
  ];
  for (const [region, input, e164, price] of cases) {
    const acct = await h.newAccount({ region });
    const res = await send(h, { to: input, channel: 'sms' }, {}, acct.token);
    assert.equal(res.statusCode, 201, `${region} ${input}: ${res.body}`);
    assert.equal(res.json().to, e164);
    assert.equal(res.json().message.to, e164);
    assert.equal(res.json().message.price, price * res.json().message.segments);
  }
  // The same national digits mean nothing valid in another region.
  assertError(await send(h, { to: '9841234567', channel: 'sms' }), 400, 'invalid_phone_number', 'to');
});

test('invalid and non-mobile numbers → 400 invalid_phone_number naming "to" and quoting the input', async (t) => {
  const h = await build(t);
  for (const bad of ['abc', '+1234', '+99912345678', '12', '+1 415 555 26711234', '+442071234567', '+800 1234 5678', '++14155552671', '+1415555267a']) {
    const res = await send(h, { to: bad, channel: 'sms' });
    assertError(res, 400, 'invalid_phone_number', 'to');
    assert.match(res.json().error.message, /E\.164|mobile/, `${bad}: the message says what to send`);
  }
  const count = await h.gw.store.db.selectFrom('verifications').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(count.n), 0);
});

test('402 insufficient_balance records nothing: no verification, no message, no ledger row, balance unchanged', async (t) => {
  const h = await build(t);
  const poor = await h.newAccount({ balance: SMS_PRICE - 1 });
  const res = await send(h, { to: US, channel: 'sms' }, {}, poor.token);
  assertError(res, 402, 'insufficient_balance');
  const voice = await send(h, { to: US, channel: 'voice' }, {}, poor.token);
  assertError(voice, 402, 'insufficient_balance');
  const db = h.gw.store.db;
  assert.equal((await db.selectFrom('verifications').select('id').where('account_id', '=', poor.account.id).execute()).length, 0);
  assert.equal((await db.selectFrom('messages').select('id').where('account_id', '=', poor.account.id).execute()).length, 0);
  assert.equal((await db.selectFrom('ledger').select('id').where('account_id', '=', poor.account.id).execute()).length, 0);
  assert.equal(await balance(h, poor.token), SMS_PRICE - 1);
  assert.equal((await inbox(h)).length, 0, 'nothing reached the carrier');
});

test('402 on a replacing send leaves the pending verification alone (it stays checkable)', async (t) => {
  const h = await build(t);
  const acct = await h.newAccount({ balance: SMS_PRICE + 10 });
  const first = await send(h, { to: US, channel: 'sms', code: 'AAAA11' }, {}, acct.token);
  assert.equal(first.statusCode, 201, first.body);
  assertError(await send(h, { to: US, channel: 'sms', code: 'BBBB22' }, {}, acct.token), 402, 'insufficient_balance');
  const v = await h.app.inject({ method: 'GET', url: `/v1/verifications/${first.json().id}`, headers: h.auth(acct.token) });
  assert.equal(v.json().status, 'pending', 'a refused send does not cancel what it would have replaced');
  assert.equal(await balance(h, acct.token), 10);
  const ok = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(acct.token), payload: { id: first.json().id, code: 'AAAA11' } });
  assert.equal(ok.json().status, 'approved', ok.body);
});

test('Idempotency-Key: same key + same body → the same response byte for byte, charged once', async (t) => {
  const h = await build(t);
  const before = await balance(h);
  const body = { to: US, channel: 'sms', app_name: 'Acme', locale: 'de' };
  const a = await send(h, body, { 'idempotency-key': 'order-42' });
  assert.equal(a.statusCode, 201, a.body);
  h.advance(5_000);
  const b = await send(h, body, { 'idempotency-key': 'order-42' });
  assert.equal(b.statusCode, 201, b.body);
  assert.equal(b.body, a.body, 'byte for byte');
  // The same JSON object with its fields in another order is the same request.
  const reordered = await h.app.inject({
    method: 'POST',
    url: '/v1/verifications',
    headers: { ...h.auth(), 'content-type': 'application/json', 'idempotency-key': 'order-42' },
    payload: JSON.stringify({ locale: 'de', app_name: 'Acme', channel: 'sms', to: US }),
  });
  assert.equal(reordered.statusCode, 201, reordered.body);
  assert.equal(reordered.body, a.body);
  assert.equal(await balance(h), before - SMS_PRICE, 'charged once');
  const db = h.gw.store.db;
  assert.equal((await db.selectFrom('verifications').select('id').execute()).length, 1);
  assert.equal((await db.selectFrom('messages').select('id').execute()).length, 1);
  assert.equal((await inbox(h)).length, 1, 'sent once');

  const other = await send(h, { ...body, app_name: 'Other' }, { 'idempotency-key': 'order-42' });
  assertError(other, 422, 'idempotency_key_reused', 'Idempotency-Key');
  assert.equal(await balance(h), before - SMS_PRICE);

  // Keys belong to an account: another account's key of the same name is a new request.
  const acct = await h.newAccount();
  const mine = await send(h, { to: '+14155550160', channel: 'sms' }, { 'idempotency-key': 'order-42' }, acct.token);
  assert.equal(mine.statusCode, 201, mine.body);
  assert.notEqual(mine.json().id, a.json().id);
  assertError(await send(h, body, { 'idempotency-key': 'x'.repeat(256) }), 400, 'invalid_value', 'idempotency-key');
});

test('Idempotency-Key: concurrent duplicates of one request create one verification', async (t) => {
  const h = await build(t);
  const res = await Promise.all(Array.from({ length: 10 }, () => send(h, { to: US, channel: 'sms' }, { 'idempotency-key': 'dup' })));
  assert.deepEqual(res.map((r) => r.statusCode), Array(10).fill(201));
  assert.equal(new Set(res.map((r) => r.body)).size, 1);
  assert.equal((await h.gw.store.db.selectFrom('messages').select('id').execute()).length, 1);
});

test('resend: same verification and code, cooldown 429 + Retry-After, at most 5 sends', async (t) => {
  // Six sends to one number: per_number_10m (5) raised so the verification's own max_sends answers.
  const h = await build(t, { abuse: { limits: { per_number_10m: { points: 10 } } } });
  const before = await balance(h);
  const first = await send(h, { to: US, channel: 'sms' });
  assert.equal(first.statusCode, 201, first.body);
  const id = first.json().id;

  h.advance(10_000);
  const early = await send(h, { to: US, channel: 'sms' });
  assertError(early, 429, 'resend_cooldown', 'to');
  assert.equal(early.headers['retry-after'], '20');

  h.advance(20_000);
  const second = await send(h, { to: '4155552671', channel: 'sms' });
  assert.equal(second.statusCode, 201, second.body);
  assert.equal(second.json().id, id, 'the same verification');
  assert.equal(second.json().send_count, 2);
  assert.notEqual(second.json().message.id, first.json().message.id, 'a new message');
  assert.equal(second.json().expires_at, first.json().expires_at, 'a resend does not extend the expiry');

  const items = await inbox(h);
  assert.equal(items.length, 2);
  assert.equal(items[0].code, items[1].code, 'the same code in both messages');
  assert.equal(items[0].text, items[1].text);

  for (let n = 3; n <= 5; n++) {
    h.advance(30_000);
    const r = await send(h, { to: US, channel: 'sms' });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().send_count, n);
  }
  h.advance(30_000);
  const capped = await send(h, { to: US, channel: 'sms' });
  assertError(capped, 429, 'max_sends_reached', 'to');
  const retryAfter = Number(capped.headers['retry-after']);
  assert.equal(retryAfter, (600_000 - 5 * 30_000) / 1000, 'Retry-After points at the expiry');
  assert.equal(await balance(h), before - 5 * SMS_PRICE, 'each send is charged, the refused ones are not');
  const v = await h.app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: h.auth() });
  assert.equal(v.json().send_count, 5);
  assert.equal((await inbox(h)).length, 5);

  // Once it expires, the number can get a new verification.
  h.advance(retryAfter * 1000);
  const fresh = await send(h, { to: US, channel: 'sms' });
  assert.equal(fresh.statusCode, 201, fresh.body);
  assert.notEqual(fresh.json().id, id);
  assert.equal(fresh.json().send_count, 1);
});

test('resend cooldown is per number and per account', async (t) => {
  const h = await build(t);
  assert.equal((await send(h, { to: US, channel: 'sms' })).statusCode, 201);
  assert.equal((await send(h, { to: '+14155550170', channel: 'sms' })).statusCode, 201, 'another number is not cooled down');
  const other = await h.newAccount();
  const res = await send(h, { to: US, channel: 'sms' }, {}, other.token);
  assert.equal(res.statusCode, 201, 'another account is not cooled down');
  assert.equal(res.json().send_count, 1);
});
