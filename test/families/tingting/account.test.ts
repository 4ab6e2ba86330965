import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';
import { credit, listApiKeys } from '../../../src/store/accounts.ts';
import { dashboard, LIST, NP_TINGTING, send, SMS_PRICE, VOICE_PRICE } from '../../fixtures/tingting/requests.ts';

const NEPAL = 5 * 60 + 45; // UTC+05:45, in minutes

interface Row {
  id: number;
  phone_number: string;
  message: string;
  otp: string;
  otp_options: string;
  sms_send_options: string;
  created_at: string;
}
interface Page {
  count: number;
  total_pages: number;
  next: string | null;
  previous: string | null;
  results: { status: number; success: boolean; errors: unknown[]; data: Row[] };
}

async function list(h: Harness, token: string, query = ''): Promise<Page> {
  const res = await h.app.inject({ method: 'GET', url: `${LIST}${query}`, headers: h.auth(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Page;
}

test('the list pages newest first with count, total_pages, next and previous; times in the account’s +05:45', async (t) => {
  // 23 sends to one 6-digit prefix within a minute.
  const h = await build(t, { abuse: { limits: { per_prefix_1m: { points: 100 } } } }, NP_TINGTING);
  const me = await h.newAccount({ ...NP_TINGTING, utcOffsetMinutes: NEPAL });
  h.clock.now = Date.UTC(2025, 9, 29, 7, 48, 55, 512); // 13:33:55.512 in Kathmandu
  const first = h.clock.now;
  const sent: Array<{ number: string; otp: string; sms_send_options: string; otp_options: string }> = [];
  for (let i = 0; i < 23; i++) {
    const body = i % 5 === 4
      ? { number: `98510000${String(i).padStart(2, '0')}`, message: 'Call {otp}', sms_send_options: 'voice', otp_length: 4 }
      : { number: `98510000${String(i).padStart(2, '0')}`, message: 'Hi, your otp is {otp}', sms_send_options: 'text', otp_options: 'personnel', otp: `${1000 + i}` };
    const res = await send(h, body, { token: me.token });
    assert.equal(res.statusCode, 200, res.body);
    const d = res.json().data.details;
    sent.push({ number: body.number, otp: d.otp, sms_send_options: body.sms_send_options, otp_options: d.otp_options });
    h.advance(1000);
  }
  const newestFirst = sent.slice().reverse();

  const p1 = await list(h, me.token, '?limit=10');
  assert.deepEqual(Object.keys(p1), ['count', 'total_pages', 'next', 'previous', 'results']);
  assert.deepEqual([p1.count, p1.total_pages, p1.previous], [23, 3, null]);
  assert.deepEqual({ ...p1.results, data: [] }, { status: 200, success: true, errors: [], data: [] });
  assert.equal(p1.next, `http://localhost:80${LIST}?limit=10&offset=10`);
  const p2 = await list(h, me.token, p1.next!.slice('http://localhost:80'.length + LIST.length));
  assert.equal(p2.previous, `http://localhost:80${LIST}?limit=10`, 'the first page drops offset');
  assert.equal(p2.next, `http://localhost:80${LIST}?limit=10&offset=20`);
  const p3 = await list(h, me.token, '?limit=10&offset=20');
  assert.deepEqual([p3.next, p3.previous, p3.results.data.length], [null, `http://localhost:80${LIST}?limit=10&offset=10`, 3]);

  const rows = [...p1.results.data, ...p2.results.data, ...p3.results.data];
  // Integer ids as TingTing's, numbered oldest = 1: typed clients read them as int.
  assert.deepEqual(rows.map((r) => r.id), Array.from({ length: 23 }, (_, i) => 23 - i), 'no row twice, newest highest');
  rows.forEach((r, i) => {
    const s = newestFirst[i];
    assert.deepEqual(Object.keys(r), ['id', 'phone_number', 'message', 'otp', 'otp_options', 'sms_send_options', 'created_at']);
    assert.equal(r.phone_number, s.number);
    assert.equal(r.otp, s.otp);
    assert.equal(r.otp_options, s.otp_options);
    assert.equal(r.sms_send_options, s.sms_send_options);
    assert.equal(r.message, s.sms_send_options === 'text' ? `Hi, your otp is ${s.otp}` : `Call ${Array.from(s.otp).join(' ')}`);
  });
  // Django's format: microseconds and the offset; the same instant as the send.
  assert.equal(rows[22].created_at, '2025-10-29T13:33:55.512000+05:45');
  assert.equal(Date.parse(rows[0].created_at), first + 22_000);

  // A later send takes the next number; the earlier ones keep theirs.
  assert.equal((await send(h, { number: '9851000099', message: 'Hi {otp}', sms_send_options: 'text' }, { token: me.token })).statusCode, 200);
  const later = await list(h, me.token, '?limit=2&offset=1');
  assert.deepEqual(later.results.data.map((r) => [r.id, r.phone_number]), [[23, newestFirst[0].number], [22, newestFirst[1].number]]);
  assert.equal((await list(h, me.token, '?limit=1')).results.data[0].id, 24);

  // Odd page parameters fall back like DRF's paginator instead of failing.
  for (const [q, count, limit] of [['?limit=0', 24, 10], ['?limit=abc&offset=-3', 24, 10], ['?limit=1000', 24, 24], ['?offset=30', 24, 0], ['?limit=5&offset=21', 24, 3]] as const) {
    const p = await list(h, me.token, q);
    assert.deepEqual([p.count, p.results.data.length], [count, limit], q);
  }
  const tail = await list(h, me.token, '?limit=5&offset=3');
  assert.equal(tail.previous, `http://localhost:80${LIST}?limit=5`);
  assert.equal(tail.total_pages, 5);
});

test('the list never shows another account’s rows, nor sends made through other API families', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const other = await h.newAccount(NP_TINGTING);
  const both = await h.newAccount({ region: 'NP', family: '*' });
  const text = (number: string, otp: string) => ({ number, message: 'Code {otp}', sms_send_options: 'text', otp_options: 'personnel', otp });
  for (let i = 0; i < 3; i++) assert.equal((await send(h, text(`985100000${i}`, '1111'))).statusCode, 200);
  for (let i = 0; i < 2; i++) assert.equal((await send(h, text(`985100000${i}`, '2222'), { token: other.token })).statusCode, 200);
  // Same number, same code, another account: a separate verification, never listed across accounts.
  assert.equal((await send(h, text('9851000000', '1111'), { token: both.token })).statusCode, 200);
  const native = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(both.token), payload: { to: '+9779851000009', channel: 'sms' } });
  assert.equal(native.statusCode, 201, native.body);

  const mine = await list(h, h.token);
  assert.deepEqual([mine.count, mine.results.data.map((r) => r.otp)], [3, ['1111', '1111', '1111']]);
  const theirs = await list(h, other.token, '?limit=1');
  assert.deepEqual([theirs.count, theirs.total_pages, theirs.results.data[0].otp], [2, 2, '2222']);
  const page2 = await list(h, other.token, '?limit=1&offset=1');
  assert.deepEqual([page2.results.data[0].otp, page2.next], ['2222', null]);
  const bothRows = await list(h, both.token);
  assert.deepEqual([bothRows.count, bothRows.results.data.map((r) => r.phone_number)], [1, ['9851000000']], 'the native send is not a TingTing row');
  const none = await list(h, (await h.newAccount(NP_TINGTING)).token);
  assert.deepEqual([none.count, none.total_pages, none.next, none.previous, none.results.data], [0, 0, null, null, []]);
});

test('generate-api-keys revokes the previous TingTing key; get-api-keys shows the new one masked but for its last 4', async (t) => {
  const h = await build(t, {}, NP_TINGTING);
  const before = await h.app.inject({ method: 'GET', url: '/api/v1/auths/get-api-keys/', headers: h.auth() });
  assert.equal(before.statusCode, 200, before.body);
  assert.equal(before.json().token, `${'*'.repeat(41)}${h.token.slice(-4)}`);

  h.advance(60_000);
  const gen = await h.app.inject({ method: 'POST', url: '/api/v1/auths/generate-api-keys', headers: h.auth() });
  assert.equal(gen.statusCode, 200, gen.body);
  assert.deepEqual(Object.keys(gen.json()), ['token', 'message']);
  const { token, message } = gen.json() as { token: string; message: string };
  assert.equal(message, 'New API token generated successfully');
  assert.notEqual(token, h.token);

  const old = await h.app.inject({ method: 'GET', url: '/api/v1/auths/get-api-keys/', headers: h.auth() });
  assert.deepEqual([old.statusCode, old.json()], [401, { detail: 'Invalid token.' }]);
  assert.equal((await send(h, { number: '9851023212', message: 'm', sms_send_options: 'text' })).statusCode, 401);

  const now = await h.app.inject({ method: 'GET', url: '/api/v1/auths/get-api-keys/', headers: h.auth(token) });
  assert.equal(now.statusCode, 200, now.body);
  const shown = now.json() as { token: string; last_used: string | null; created_at: string };
  assert.deepEqual(Object.keys(shown), ['token', 'last_used', 'created_at']);
  assert.equal(shown.token.length, token.length);
  assert.equal(shown.token, `${'*'.repeat(token.length - 4)}${token.slice(-4)}`);
  assert.equal(shown.created_at, new Date(h.clock.now).toISOString());
  assert.ok(!now.body.includes(token.slice(0, -4)), 'nothing but the last 4 leaks');
  assert.equal((await send(h, { number: '9851023212', message: 'm', sms_send_options: 'text' }, { token })).statusCode, 200);

  // One live TingTing key per account; keys of other families (here an all-families key) stay.
  const keys = await listApiKeys(h.gw.store.db, h.account.id);
  assert.deepEqual(keys.map((k) => [k.family, k.revoked_at === null]), [['tingting', false], ['tingting', true]]);
  const both = await h.newAccount({ region: 'NP', family: '*' });
  const viaBoth = await h.app.inject({ method: 'POST', url: '/api/v1/auths/generate-api-keys/', headers: h.auth(both.token) });
  assert.equal(viaBoth.statusCode, 200);
  const again = await h.app.inject({ method: 'POST', url: '/api/v1/auths/generate-api-keys/', headers: h.auth(both.token) });
  assert.equal(again.statusCode, 200, 'the all-families key was not revoked');
  const first = await h.app.inject({ method: 'GET', url: '/api/v1/dashboard/', headers: h.auth(viaBoth.json().token) });
  assert.equal(first.statusCode, 401, 'but the TingTing key it made before was');
  const second = await h.app.inject({ method: 'GET', url: '/api/v1/auths/get-api-keys/', headers: h.auth(both.token) });
  assert.equal(second.json().token.slice(-4), again.json().token.slice(-4));
  assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auths/get-api-keys/', headers: h.auth(token) })).json().token.slice(-4), token.slice(-4), 'other accounts untouched');
});

test('dashboard credits change by exactly the credits the sends used; a call costs its price in SMS credits', async (t) => {
  const h = await build(t, {}, { ...NP_TINGTING, balance: 100 * SMS_PRICE });
  const start = await dashboard(h);
  assert.deepEqual(start, { total_credits_purchased: 100, credits_used: 0, remaining_credits: 100 });

  const bodies = [
    { number: '9851000001', message: 'Hi {otp}', sms_send_options: 'text' },
    { number: '9851000002', message: `${'क'.repeat(90)} {otp}`, sms_send_options: 'text' }, // 2 segments
    { number: '9851000003', message: `${'a'.repeat(300)} {otp}`, sms_send_options: 'text' }, // 3 segments of 153
  ];
  let used = 0;
  for (const body of bodies) {
    const d = (await send(h, body)).json().data.details;
    used += d.credits_used;
    const now = await dashboard(h);
    assert.deepEqual(now, { total_credits_purchased: 100, credits_used: used, remaining_credits: 100 - used }, JSON.stringify(body).slice(0, 60));
    assert.equal(d.remaining_sms_credits, now.remaining_credits);
  }
  assert.equal(used, 6);

  const call = (await send(h, { number: '9851000004', message: 'Code {otp}', sms_send_options: 'voice' })).json().data.details;
  assert.equal(call.credits_used, 1, 'one phone credit');
  const perCall = VOICE_PRICE / SMS_PRICE;
  assert.deepEqual(await dashboard(h), { total_credits_purchased: 100, credits_used: used + perCall, remaining_credits: 100 - used - perCall });
  assert.equal(call.remaining_phone_credits, Math.floor(((100 - used - perCall) * SMS_PRICE) / VOICE_PRICE));

  // A top-up adds to purchased and remaining, not to used.
  await credit(h.gw.store.db, h.account.id, 50 * SMS_PRICE, 'topup', h.clock.now);
  assert.deepEqual(await dashboard(h), { total_credits_purchased: 150, credits_used: used + perCall, remaining_credits: 150 - used - perCall });
  // Another account's spending is not ours.
  const other = await h.newAccount(NP_TINGTING);
  await send(h, { number: '9851000005', message: 'Hi {otp}', sms_send_options: 'text' }, { token: other.token });
  assert.equal((await dashboard(h)).credits_used, used + perCall);
  assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/dashboard/?days=30', headers: h.auth() })).statusCode, 200, "TingTing's days query is accepted");
});
