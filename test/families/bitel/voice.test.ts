import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';
import { REDIAL_DELAY_MS } from '../../../src/store/receipts.ts';

const HEX32 = /^[0-9a-f]{32}$/;
const bitel = { region: 'IR', family: 'bitel' as const };
const envelope = (error: string) => ({ result: null, error });
// "کد تأیید شما {digits} است." then "تکرار می‌کنم، کد شما {digits} است." per repeat (src/core/templates.ts).
const FIRST = (d: string) => `کد تأیید شما ${d} است.`;
const AGAIN = (d: string) => `تکرار می‌کنم، کد شما ${d} است.`;

/** The dev inbox as the only carrier, with numbers whose calls go unanswered or meet a busy line. */
const carrier = (o: { unanswered_dials?: number } = {}) => ({
  providers: [
    {
      name: 'devinbox',
      kind: 'devinbox',
      no_answer_numbers: ['+989121110001', '+989121110002', '+989121110003'],
      busy_numbers: ['+989121110004'],
      ...o,
    },
  ],
  routes: [{ providers: [{ name: 'devinbox' }] }],
});

async function post(h: Harness, url: string, payload: unknown, token?: string) {
  return h.app.inject({ method: 'POST', url, headers: h.auth(token), payload: payload as object });
}

async function get(h: Harness, url: string, token?: string) {
  const res = await h.app.inject({ method: 'GET', url, headers: h.auth(token) });
  assert.equal(res.statusCode, 200, `${url} → ${res.body}`);
  assert.equal(res.json().error, null);
  return res.json().result;
}

const calls = (h: Harness, to: string) => h.gw.inbox.list(100, to);

/** Places the call and every re-dial due within `dials` rounds of the re-dial pause. */
async function ringOut(h: Harness, dials: number) {
  await h.settle();
  for (let i = 1; i < dials; i++) {
    h.advance(REDIAL_DELAY_MS);
    await h.settle();
  }
}

test('v1 answers the request id, v2 the call object (WAITING, price 0); PascalCase and string counts bind', async (t) => {
  const h = await build(t, {}, bitel);
  const v1 = await post(h, '/api/v1/voice/otp', { phoneNumber: '09121234567', text: '1234' });
  assert.equal(v1.statusCode, 200, v1.body);
  assert.deepEqual(Object.keys(v1.json()), ['result', 'error']);
  assert.match(v1.json().result, HEX32);
  assert.equal(v1.json().error, null);

  const v2 = await post(h, '/api/v2/voice/otp', { PhoneNumber: '+989121234568', Text: '987654', RepeatCount: '3', RetryCount: '0', VoiceId: 'female-1', ServerId: 7 });
  assert.equal(v2.statusCode, 200, v2.body);
  const { result, error } = v2.json();
  assert.equal(error, null);
  assert.match(result.id, HEX32);
  assert.deepEqual(Object.keys(result), ['id', 'phoneNumber', 'status', 'statusCode', 'billSec', 'requestDate', 'executionDate', 'price']);
  assert.deepEqual({ ...result, id: 'x' }, {
    id: 'x',
    phoneNumber: '09121234568',
    status: 'WAITING',
    statusCode: 0,
    billSec: 0,
    requestDate: Math.floor(h.clock.now / 1000),
    executionDate: 0,
    price: 0,
  });
  // The caller's digits are the code, checkable natively; serverId is recorded with it.
  assert.equal((await h.gw.verify.check(h.account, { to: '+989121234568', code: '987654' })).valid, true);
  const v = await h.gw.store.db.selectFrom('verifications').select('meta').where('to_number', '=', '+989121234568').executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(v.meta!), { api: 'v2', serverId: '7' });
});

test('v2 status and v1 CDR move WAITING → NORMAL with billSec > 0 and a negative price', async (t) => {
  // The dispatcher starts by hand, so the first read surely precedes the call.
  const h = await build(t, { dispatch: { enabled: false } }, bitel);
  const id = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121234567', text: '4821' })).json().result;
  const requestDate = Math.floor(h.clock.now / 1000);

  let status = await get(h, `/api/v2/voice/status/${id}`);
  let cdr = await get(h, `/api/v1/voice/cdr/${id}`);
  assert.deepEqual([status.status, status.statusCode, status.billSec, status.price, status.executionDate], ['WAITING', 0, 0, 0, 0]);
  assert.deepEqual([cdr.status, cdr.billSec], ['WAITING', 0]);

  h.advance(2000);
  await h.gw.dispatcher.start();
  await h.settle();
  status = await get(h, `/api/v2/voice/status/${id}`);
  assert.deepEqual(status, {
    id,
    phoneNumber: '09121234567',
    status: 'NORMAL',
    statusCode: 1,
    billSec: 12,
    requestDate,
    executionDate: requestDate + 2,
    price: -0.05, // the default IR voice price, 50 000 micro-units
  });
  cdr = await get(h, `/api/v1/voice/cdr/${id}`);
  assert.ok(Number.isInteger(cdr.transactionId) && cdr.transactionId > 0, `transactionId ${cdr.transactionId}`);
  assert.deepEqual(cdr, {
    requestId: id,
    targetNumber: '09121234567',
    status: 'NORMAL',
    billSec: 12,
    requestDate,
    executionDate: requestDate + 2,
    transactionId: cdr.transactionId,
    balanceSubtracted: 0.05,
  });
});

test('the call script is Persian, the digits spaced, spoken repeatCount times (default 2)', async (t) => {
  const h = await build(t, {}, bitel);
  await post(h, '/api/v1/voice/otp', { phoneNumber: '09121234561', text: '4821' });
  await post(h, '/api/v2/voice/otp', { phoneNumber: '09121234562', text: '907', repeatCount: 3 });
  await post(h, '/api/v2/voice/otp', { phoneNumber: '09121234563', text: '5', repeatCount: 1 });
  await h.settle();

  const cases: Array<[string, string, number]> = [['+989121234561', '4 8 2 1', 2], ['+989121234562', '9 0 7', 3], ['+989121234563', '5', 1]];
  for (const [to, digits, repeat] of cases) {
    const entries = await calls(h, to);
    assert.equal(entries.length, 1, to);
    const [call] = entries;
    assert.deepEqual([call.channel, call.locale], ['voice', 'fa']);
    assert.equal(call.text, [FIRST(digits), ...Array(repeat - 1).fill(AGAIN(digits))].join(' '), to);
    assert.equal(call.text.split(digits).length - 1, repeat, `${to}: the digits spoken ${repeat} times`);
    // Nothing but Persian letters, the spaced digits and punctuation: no unspaced code, no Latin words.
    assert.match(call.text.replaceAll(digits, ''), /^[\u0600-\u06ff\u200c .]+$/);
  }
});

test('no answer → re-dialed per retryCount until it ends NO_ANSWER; a busy line → USER_BUSY; each call is in the dev inbox', async (t) => {
  const h = await build(t, carrier(), bitel);
  const twice = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121110001', text: '1357', retryCount: 2 })).json().result;
  const once = (await post(h, '/api/v2/voice/otp', { phoneNumber: '09121110002', text: '2468' })).json().result.id; // default retryCount 1
  const never = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121110003', text: '1122', retryCount: '0' })).json().result;
  const busy = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121110004', text: '9999' })).json().result;

  // After the first call nobody answered: the calls with re-dials left are waiting again.
  await h.settle();
  const statuses = async () =>
    Object.fromEntries(await Promise.all(Object.entries({ twice, once, never, busy }).map(async ([k, id]) => [k, (await get(h, `/api/v2/voice/status/${id}`)).status])));
  assert.deepEqual(await statuses(), { twice: 'WAITING', once: 'WAITING', never: 'NO_ANSWER', busy: 'WAITING' });
  // No re-dial before its pause.
  h.advance(REDIAL_DELAY_MS - 1000);
  await h.settle();
  assert.equal((await calls(h, '+989121110001')).length, 1);

  h.advance(1000);
  await h.settle();
  assert.deepEqual(await statuses(), { twice: 'WAITING', once: 'NO_ANSWER', never: 'NO_ANSWER', busy: 'USER_BUSY' });
  await ringOut(h, 2);
  assert.deepEqual(await statuses(), { twice: 'NO_ANSWER', once: 'NO_ANSWER', never: 'NO_ANSWER', busy: 'USER_BUSY' });

  const dialed = async (to: string) => (await calls(h, to)).length;
  assert.deepEqual(
    [await dialed('+989121110001'), await dialed('+989121110002'), await dialed('+989121110003'), await dialed('+989121110004')],
    [3, 2, 1, 2],
    'calls placed: 1 + retryCount each',
  );
  // Every re-dial speaks the same script.
  assert.equal(new Set((await calls(h, '+989121110001')).map((c) => c.text)).size, 1);

  // Nothing more is dialed once the re-dials are spent.
  await ringOut(h, 3);
  assert.equal(await dialed('+989121110001'), 3);

  const status = await get(h, `/api/v2/voice/status/${twice}`);
  assert.deepEqual([status.statusCode, status.billSec, status.price], [2, 0, -0.05]);
  assert.deepEqual([(await get(h, `/api/v2/voice/status/${busy}`)).statusCode], [3]);
  const cdr = await get(h, `/api/v1/voice/cdr/${twice}`);
  assert.deepEqual([cdr.status, cdr.billSec, cdr.balanceSubtracted], ['NO_ANSWER', 0, 0.05]);
  assert.equal((await get(h, `/api/v1/voice/cdr/${busy}`)).status, 'USER_BUSY');
});

test('a call answered on its re-dial ends NORMAL; retryCount 0 leaves it at NO_ANSWER', async (t) => {
  const h = await build(t, carrier({ unanswered_dials: 1 }), bitel);
  const redialed = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121110001', text: '1357' })).json().result;
  const single = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121110002', text: '2468', retryCount: 0 })).json().result;
  await ringOut(h, 2);

  const status = await get(h, `/api/v2/voice/status/${redialed}`);
  assert.deepEqual([status.status, status.statusCode, status.billSec, status.price], ['NORMAL', 1, 12, -0.05]);
  assert.equal(status.executionDate, Math.floor(h.clock.now / 1000), 'executed when the re-dial was placed');
  assert.equal((await get(h, `/api/v1/voice/cdr/${redialed}`)).status, 'NORMAL');
  assert.equal((await get(h, `/api/v2/voice/status/${single}`)).status, 'NO_ANSWER');
  assert.deepEqual([(await calls(h, '+989121110001')).length, (await calls(h, '+989121110002')).length], [2, 1]);
});

test('another account’s call → 404 NotFound; bad voice inputs → {result: null, error} with a 4xx, zero 5xx', async (t) => {
  const h = await build(t, {}, bitel);
  const other = await h.newAccount({ region: 'IR', family: 'bitel' });
  const theirs = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121234567', text: '1234' }, other.token)).json().result;
  for (const url of [`/api/v2/voice/status/${theirs}`, `/api/v1/voice/cdr/${theirs}`]) {
    const res = await h.app.inject({ method: 'GET', url, headers: h.auth() });
    assert.deepEqual([res.statusCode, res.json()], [404, envelope('NotFound')], url);
    await get(h, url, other.token); // while its own account reads it
  }

  const ok = { phoneNumber: '09121234568', text: '1234' };
  const cases: Array<[unknown, string, string?]> = [
    [{ phoneNumber: '09121234568' }, 'InvalidRequest', 'text'],
    [{ ...ok, text: '' }, 'InvalidRequest', 'text'],
    [{ ...ok, text: 1234 }, 'InvalidRequest', 'text'],
    [{ ...ok, text: '1234567' }, 'InvalidRequest', 'text'],
    [{ ...ok, text: '12 34' }, 'InvalidRequest', 'text'],
    [{ ...ok, text: '۱۲۳۴۵۶۷' }, 'InvalidRequest', 'text'], // Persian digits fold; seven are too many
    [{ ...ok, text: '12a4' }, 'InvalidRequest', 'text'],
    [{ ...ok, repeatCount: 0 }, 'InvalidRequest', 'repeatCount'],
    [{ ...ok, repeatCount: 11 }, 'InvalidRequest', 'repeatCount'],
    [{ ...ok, repeatCount: 1.5 }, 'InvalidRequest', 'repeatCount'],
    [{ ...ok, repeatCount: '2x' }, 'InvalidRequest', 'repeatCount'],
    [{ ...ok, repeatCount: true }, 'InvalidRequest', 'repeatCount'],
    [{ ...ok, retryCount: -1 }, 'InvalidRequest', 'retryCount'],
    [{ ...ok, retryCount: '6' }, 'InvalidRequest', 'retryCount'],
    [{ ...ok, retryCount: null }, 'InvalidRequest', 'retryCount'],
    [{ ...ok, voiceId: '' }, 'InvalidRequest', 'voiceId'],
    [{ ...ok, voiceId: 3 }, 'InvalidRequest', 'voiceId'],
    [{ ...ok, serverId: -1 }, 'InvalidServer', 'serverId'],
    [{ ...ok, serverId: {} }, 'InvalidServer', 'serverId'],
    [{ ...ok, phoneNumber: '' }, 'InvalidRequest', 'phoneNumber'],
    [{ text: '1234' }, 'InvalidRequest', 'phoneNumber'],
    [{ ...ok, phoneNumber: '0912' }, 'InvalidPhoneNumber'],
    [{ ...ok, phoneNumber: '+14155552671x' }, 'InvalidPhoneNumber'],
  ];
  for (const url of ['/api/v1/voice/otp', '/api/v2/voice/otp'])
    for (const [body, code, field] of cases) {
      const res = await post(h, url, body);
      const what = `${url} ${JSON.stringify(body)}`;
      assert.equal(res.statusCode, 400, `${what} → ${res.statusCode} ${res.body}`);
      assert.deepEqual(res.json(), envelope(code), what);
      if (field) assert.match(String(res.headers['x-otpgate-error']), new RegExp(`^${field}\\b`), what);
    }
  await h.settle();
  assert.equal((await calls(h, '+989121234568')).length, 0, 'no bad request placed a call');
});
