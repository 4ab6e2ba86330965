import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';

const bitel = { region: 'IR', family: 'bitel' as const };
const envelope = (error: string) => ({ result: null, error });

async function post(h: Harness, url: string, payload: unknown, headers: Record<string, string> = h.auth()) {
  return h.app.inject({ method: 'POST', url, headers, payload: payload as object });
}

test('each required field missing or wrong → InvalidRequest 400; a bad number → InvalidPhoneNumber 400', async (t) => {
  const h = await build(t, {}, bitel);
  const otp = { phoneNumber: '09121234567', appName: 'bitel', code: '1234' };
  const cases: Array<[string, unknown, string, string?]> = [
    ['/api/v1/sms/otp', { appName: 'bitel', code: '1234' }, 'InvalidRequest', 'phoneNumber'],
    ['/api/v1/sms/otp', { phoneNumber: '09121234567', code: '1234' }, 'InvalidRequest', 'appName'],
    ['/api/v1/sms/otp', { phoneNumber: '09121234567', appName: 'bitel' }, 'InvalidRequest', 'code'],
    ['/api/v1/sms/otp', { ...otp, code: 1234 }, 'InvalidRequest', 'code'],
    ['/api/v1/sms/otp', { ...otp, code: '12345678901' }, 'InvalidRequest', 'code'],
    ['/api/v1/sms/otp', { ...otp, code: '12-4' }, 'InvalidRequest', 'code'],
    ['/api/v1/sms/otp', { ...otp, code: '' }, 'InvalidRequest', 'code'],
    ['/api/v1/sms/otp', { ...otp, appName: '' }, 'InvalidRequest', 'appName'],
    ['/api/v1/sms/otp', { ...otp, appName: '   ' }, 'InvalidRequest', 'appName'],
    ['/api/v1/sms/otp', { ...otp, phoneNumber: 9121234567 }, 'InvalidRequest', 'phoneNumber'],
    ['/api/v1/sms/otp', { ...otp, phoneNumber: '12345' }, 'InvalidPhoneNumber'],
    ['/api/v2/sms/otp', { ...otp, phoneNumber: '0912abc4567' }, 'InvalidPhoneNumber'],
    // Neither form: the template's fields or the caller's own text.
    ['/api/v2/sms/otp', { phoneNumber: '09121234567' }, 'InvalidRequest', 'code'],
    ['/api/v2/sms/otp', { phoneNumber: '09121234567', message: '' }, 'InvalidRequest', 'message'],
    ['/api/v1/sms/otp', { phoneNumber: '09121234567', message: ' \n ' }, 'InvalidRequest', 'message'],
    ['/api/v1/sms/otp', { phoneNumber: '09121234567', message: 42 }, 'InvalidRequest', 'message'],
    ['/api/v1/sms/otp', { phoneNumber: '09121234567', message: 'x'.repeat(1601) }, 'InvalidRequest', 'message'],
    ['/api/v1/sms/single', { phoneNumber: '09121234567' }, 'InvalidRequest', 'message'],
    ['/api/v2/sms/single', { message: 'hi' }, 'InvalidRequest', 'phoneNumber'],
    ['/api/v2/sms/single', { message: 'hi', phoneNumber: '09121234567', gatewayNumber: 'abc' }, 'InvalidGateway', 'gatewayNumber'],
    ['/api/v1/voice/otp', { phoneNumber: '09121234567' }, 'InvalidRequest', 'text'],
    ['/api/v1/voice/otp', { phoneNumber: '09121234567', text: '12a4' }, 'InvalidRequest', 'text'],
    ['/api/v2/voice/otp', { phoneNumber: '09121234567', text: '1234567' }, 'InvalidRequest', 'text'],
    ['/api/v2/voice/otp', { phoneNumber: '09121234567', text: '1234', repeatCount: '0' }, 'InvalidRequest', 'repeatCount'],
    ['/api/v2/voice/otp', { phoneNumber: '09121234567', text: '1234', retryCount: 9 }, 'InvalidRequest', 'retryCount'],
    ['/api/v1/voice/otp', { phoneNumber: 'x', text: '1234' }, 'InvalidPhoneNumber'],
  ];
  for (const [url, body, code, field] of cases) {
    const res = await post(h, url, body);
    const what = `${url} ${JSON.stringify(body)}`;
    assert.equal(res.statusCode, 400, what);
    assert.deepEqual(res.json(), envelope(code), what);
    if (field) assert.match(String(res.headers['x-otpgate-error']), new RegExp(`^${field}\\b`), what);
  }
  const inbox = await h.app.inject({ method: 'GET', url: '/inbox/api/messages' });
  assert.equal(inbox.json().data.length, 0, 'nothing was sent');
});

test('bad JSON, non-object bodies, other content types, a 5 MB body → the envelope with a 4xx; zero 5xx', async (t) => {
  const h = await build(t, {}, bitel);
  const json = { ...h.auth(), 'content-type': 'application/json' };
  const big = JSON.stringify({ phoneNumber: '09121234567', appName: 'x'.repeat(5 * 1024 * 1024), code: '1234' });
  const tooLarge = await h.app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers: json, payload: big });
  assert.equal(tooLarge.statusCode, 413);
  assert.deepEqual(tooLarge.json(), envelope('InvalidRequest'));

  const raw: Array<[Record<string, string>, string]> = [
    [json, '{"phoneNumber": "0912'],
    [json, '{bad json}'],
    [json, ''],
    [json, 'null'],
    [json, '[]'],
    [json, '"09121234567"'],
    [json, '42'],
    [json, '{"__proto__": {"x": 1}}'],
    [json, '{"phoneNumber": null, "appName": null, "code": null, "text": null, "message": null}'],
    [json, '{"phoneNumber": ["09121234567"], "appName": {}, "code": true, "text": 1.5, "message": 7}'],
    [json, JSON.stringify({ phoneNumber: '٠٩١٢١٢٣٤٥٦٧\u0000', appName: '\ud800', code: '١٢٣٤', text: '١٢٣٤', message: '' })],
    [json, JSON.stringify({ phoneNumber: '+'.repeat(5000), appName: 'a'.repeat(65), code: '1234', text: '1234', message: 'm'.repeat(1601) })],
    [{ ...h.auth(), 'content-type': 'text/plain' }, '{"phoneNumber":"09121234567"}'],
    [{ ...h.auth(), 'content-type': 'application/x-www-form-urlencoded' }, 'phoneNumber=09121234567&appName=a&code=1'],
    [h.auth(), ''],
  ];
  const urls = ['/api/v1/sms/otp', '/api/v2/sms/otp', '/api/v1/sms/single', '/api/v2/sms/single', '/api/v1/voice/otp', '/api/v2/voice/otp'];
  for (const url of urls)
    for (const [headers, payload] of raw) {
      const res = await h.app.inject({ method: 'POST', url, headers, payload });
      const what = `${url} ${headers['content-type']} ${payload.slice(0, 60)}`;
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what} → ${res.statusCode} ${res.body}`);
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['result', 'error'], what);
      assert.equal(body.result, null, what);
      assert.match(body.error, /^(InvalidRequest|InvalidPhoneNumber|InvalidGateway)$/, what);
    }
});

test('auth: missing, wrong or other-family keys → 401 Unauthorized; a client calling the way Bitel’s public clients do works', async (t) => {
  const h = await build(t, {}, bitel);
  const body = { phoneNumber: '09121234567', appName: 'bitel', code: '1234' };
  const native = await h.newAccount({ region: 'IR', family: 'native' });
  for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: h.token }, { authorization: `Basic ${h.token}` }, { authorization: `Bearer ${native.token}` }]) {
    const res = await post(h, '/api/v1/sms/otp', body, headers);
    assert.equal(res.statusCode, 401, JSON.stringify(headers));
    assert.deepEqual(res.json(), envelope('Unauthorized'));
  }
  const get = await h.app.inject({ method: 'GET', url: `/api/v2/sms/status/${'0'.repeat(32)}` });
  assert.deepEqual([get.statusCode, get.json()], [401, envelope('Unauthorized')]);

  // As the public clients write it: lowercase header and scheme, a JSON string, reading result/error.
  const headers = { authorization: `bearer ${h.token}`, 'content-type': 'application/json' };
  const sent = await h.app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers, payload: JSON.stringify(body) });
  const { result, error } = JSON.parse(sent.body) as { result: string; error: string | null };
  assert.equal(sent.statusCode, 200);
  assert.equal(error, null);
  const detail = JSON.parse((await h.app.inject({ method: 'GET', url: `/api/v1/sms/detail/single/${result}`, headers: { authorization: `BEARER ${h.token}` } })).body);
  assert.equal(detail.error, null);
  assert.equal(detail.result.id, result);
});

test('another account’s id, an unknown id, a malformed id or the other channel → 404 NotFound', async (t) => {
  const h = await build(t, {}, bitel);
  const other = await h.newAccount({ region: 'IR', family: 'bitel' });
  const theirs = (await post(h, '/api/v1/sms/otp', { phoneNumber: '09121234567', appName: 'a', code: '1234' }, h.auth(other.token))).json().result;
  const theirCall = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121234566', text: '1234' }, h.auth(other.token))).json().result;
  const mySms = (await post(h, '/api/v1/sms/otp', { phoneNumber: '09121234568', appName: 'a', code: '1234' })).json().result;
  const myCall = (await post(h, '/api/v1/voice/otp', { phoneNumber: '09121234569', text: '1234' })).json().result;
  for (const id of [theirs, theirCall, mySms, myCall]) assert.match(id, /^[0-9a-f]{32}$/);
  const sms = ['/api/v1/sms/detail/single/', '/api/v2/sms/status/'];
  const voice = ['/api/v2/voice/status/', '/api/v1/voice/cdr/'];
  const probes = [
    ...sms.flatMap((p) => [p + theirs, p + myCall, p + 'f'.repeat(32), p + 'not-an-id', p + mySms.slice(1)]),
    ...voice.flatMap((p) => [p + theirCall, p + mySms, p + '0'.repeat(32), p + 'x'.repeat(99)]),
  ];
  for (const url of probes) {
    const res = await h.app.inject({ method: 'GET', url, headers: h.auth() });
    assert.deepEqual([res.statusCode, res.json()], [404, envelope('NotFound')], url);
  }
  const mine = await h.app.inject({ method: 'GET', url: `/api/v1/voice/cdr/${myCall.toUpperCase()}`, headers: h.auth() });
  assert.equal(mine.statusCode, 200, 'ids match case-insensitively');
});

test('a second send to the same number at once is a send (Bitel callers pass their code each time); no balance → 402 InsufficientBalance', async (t) => {
  const h = await build(t, {}, bitel);
  const body = { phoneNumber: '09121234567', appName: 'bitel', code: '1234' };
  assert.equal((await post(h, '/api/v1/sms/otp', body)).statusCode, 200);
  const again = await post(h, '/api/v2/sms/otp', body);
  assert.equal(again.statusCode, 200, again.body);
  assert.equal(again.json().error, null);

  const broke = await h.newAccount({ region: 'IR', family: 'bitel', balance: 0 });
  for (const [url, payload] of [['/api/v1/sms/otp', body], ['/api/v1/sms/single', { phoneNumber: '09121234567', message: 'hi' }], ['/api/v2/voice/otp', { phoneNumber: '09121234567', text: '12' }]] as const) {
    const res = await post(h, url, payload, h.auth(broke.token));
    assert.deepEqual([res.statusCode, res.json()], [402, envelope('InsufficientBalance')], url);
  }
});
