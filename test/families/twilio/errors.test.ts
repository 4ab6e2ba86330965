/**
 * Bad input to the Twilio family, through app.inject: every refusal is a 4xx in Twilio's shape
 * {code, message, more_info, status} with Twilio's number, a message naming the parameter, and the
 * stable snake_case code in X-Otpgate-Error-Code; never a 5xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../../helpers/gateway.ts';
import { createTwilioCredentials } from '../../../src/store/vendors.ts';

interface Ctx {
  h: Harness;
  auth: string;
  service: string;
}

async function setup(t: Parameters<typeof build>[0], overrides: Record<string, unknown> = {}): Promise<Ctx> {
  const h = await build(t, overrides);
  const c = await createTwilioCredentials(h.gw.store.db, h.account.id, h.clock.now);
  const auth = `Basic ${Buffer.from(`${c.accountSid}:${c.authToken}`).toString('base64')}`;
  const res = await h.app.inject({ method: 'POST', url: '/v2/Services', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'FriendlyName=Errors' });
  assert.equal(res.statusCode, 201, res.body);
  return { h, auth, service: res.json().sid };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function call(c: Ctx, method: 'GET' | 'POST' | 'DELETE', url: string, body?: string, headers: Record<string, string> = {}) {
  const res = await c.h.app.inject({
    method,
    url,
    headers: { authorization: c.auth, ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
    payload: body,
  });
  return { status: res.statusCode, body: res.json(), code: res.headers['x-otpgate-error-code'] };
}

/** Asserts Twilio's error shape with `twilioCode` and `status`, and that the message names `mentions`. */
function assertTwilioError(r: { status: number; body: any; code: unknown }, status: number, twilioCode: number, mentions?: RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['code', 'message', 'more_info', 'status']);
  assert.equal(r.body.code, twilioCode, JSON.stringify(r.body));
  assert.equal(r.body.status, status);
  assert.equal(r.body.more_info, `https://www.twilio.com/docs/errors/${twilioCode}`);
  assert.match(String(r.code), /^[a-z_]+$/, 'a stable snake_case code in the header');
  if (mentions) assert.match(r.body.message, mentions);
}

test('authentication: missing, wrong, Bearer or revoked credentials are 20003', async (t) => {
  const c = await setup(t);
  const list = (authorization?: string) => c.h.app.inject({ method: 'GET', url: '/v2/Services', headers: authorization ? { authorization } : {} });
  for (const header of [
    undefined,
    `Basic ${Buffer.from('ACdeadbeef:nope').toString('base64')}`,
    `Bearer ${c.h.token}`,
    'Basic !!!',
    `Basic ${Buffer.from('no-colon').toString('base64')}`,
  ]) {
    const res = await list(header);
    assertTwilioError({ status: res.statusCode, body: res.json(), code: res.headers['x-otpgate-error-code'] }, 401, 20003);
  }
});

test('Services: bad parameters are 60200 naming the parameter', async (t) => {
  const c = await setup(t);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /FriendlyName/],
    [{ FriendlyName: '' }, /FriendlyName/],
    [{ FriendlyName: 'x'.repeat(31) }, /FriendlyName/],
    [{ FriendlyName: 'A', CodeLength: '3' }, /CodeLength/],
    [{ FriendlyName: 'A', CodeLength: '11' }, /CodeLength/],
    [{ FriendlyName: 'A', CodeLength: 'six' }, /CodeLength/],
    [{ FriendlyName: 'A', CustomCodeEnabled: 'yes' }, /CustomCodeEnabled/],
    [{ FriendlyName: 'A', DoNotShareWarningEnabled: '1' }, /DoNotShareWarningEnabled/],
    [{ FriendlyName: 'A', LookupEnabled: 'maybe' }, /LookupEnabled/],
  ];
  for (const [fields, mentions] of cases) assertTwilioError(await call(c, 'POST', '/v2/Services', form(fields)), 400, 60200, mentions);
  assertTwilioError(await call(c, 'POST', `/v2/Services/${c.service}`, form({ CodeLength: '12' })), 400, 60200, /CodeLength/);
});

test('Services: unknown or malformed sids and other accounts\' services are 20404', async (t) => {
  const c = await setup(t);
  const other = `VA${'1'.repeat(32)}`;
  assertTwilioError(await call(c, 'GET', `/v2/Services/${other}`), 404, 20404);
  assertTwilioError(await call(c, 'GET', '/v2/Services/VA123'), 404, 20404);
  assertTwilioError(await call(c, 'GET', '/v2/Services/not-a-sid'), 404, 20404);
  assertTwilioError(await call(c, 'DELETE', `/v2/Services/${other}`), 404, 20404);
  assertTwilioError(await call(c, 'POST', `/v2/Services/${other}`, form({ FriendlyName: 'X' })), 404, 20404);
  const stranger = await c.h.newAccount();
  const creds = await createTwilioCredentials(c.h.gw.store.db, stranger.account.id, c.h.clock.now);
  const r = await call(c, 'GET', `/v2/Services/${c.service}`, undefined, { authorization: `Basic ${Buffer.from(`${creds.apiKeySid}:${creds.apiKeySecret}`).toString('base64')}` });
  assertTwilioError(r, 404, 20404);
});

test('Verifications: bad parameters are 60200 (60204 for a custom code the Service does not allow)', async (t) => {
  const c = await setup(t);
  const url = `/v2/Services/${c.service}/Verifications`;
  const ok = { To: '+14155550100', Channel: 'sms' };
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ Channel: 'sms' }, /To/],
    [{ To: '+14155550100' }, /Channel/],
    [{ ...ok, Channel: 'email' }, /Channel/],
    [{ ...ok, Channel: 'whatsapp' }, /Channel/],
    [{ ...ok, Channel: 'SMS' }, /Channel/],
    [{ ...ok, To: 'not a number' }, /To/],
    [{ ...ok, To: '+1' }, /To/],
    [{ ...ok, To: '' }, /To/],
    [{ ...ok, Locale: 'english' }, /Locale/],
    [{ ...ok, Locale: 'xx' }, /Locale/],
    [{ ...ok, CustomCode: '12' }, /CustomCode/],
    [{ ...ok, CustomCode: '12 34' }, /CustomCode/],
    [{ ...ok, CustomCode: '12345678901' }, /CustomCode/],
    [{ ...ok, AppHash: 'short' }, /AppHash/],
    [{ ...ok, DeviceIp: 'not-an-ip' }, /DeviceIp/],
    [{ ...ok, RateLimits: 'not json' }, /RateLimits/],
    [{ ...ok, RateLimits: '[1,2]' }, /RateLimits/],
    [{ ...ok, RateLimits: '{"key":{"nested":true}}' }, /RateLimits/],
    [{ ...ok, CustomFriendlyName: 'x'.repeat(31) }, /CustomFriendlyName/],
  ];
  for (const [fields, mentions] of cases) assertTwilioError(await call(c, 'POST', url, form(fields)), 400, 60200, mentions);
  assertTwilioError(await call(c, 'POST', url, form({ ...ok, CustomCode: '123456' })), 400, 60204, /CustomCode/);
  assertTwilioError(await call(c, 'POST', `/v2/Services/VA${'2'.repeat(32)}/Verifications`, form(ok)), 404, 20404);
});

test('bodies that are not forms: wrong JSON types are 60200, text 400, other media types 415, huge bodies 413', async (t) => {
  const c = await setup(t);
  const url = `/v2/Services/${c.service}/Verifications`;
  assertTwilioError(await call(c, 'POST', url, JSON.stringify({ To: 14155550100, Channel: 'sms' }), { 'content-type': 'application/json' }), 400, 60200, /To/);
  assertTwilioError(await call(c, 'POST', url, '{"To":', { 'content-type': 'application/json' }), 400, 60200);
  assertTwilioError(await call(c, 'POST', url, 'To=1', { 'content-type': 'text/plain' }), 400, 60200, /form-urlencoded/);
  assertTwilioError(await call(c, 'POST', url, 'To=1', { 'content-type': 'application/xml' }), 415, 60200, /form-urlencoded/);
  assertTwilioError(await call(c, 'POST', url, `To=${'1'.repeat(70_000)}`), 413, 60200);
  assertTwilioError(await call(c, 'POST', url), 400, 60200);
});

test('fetch, update and check: unknown, malformed or foreign sids are 20404; bad Status and Code are 60200', async (t) => {
  const c = await setup(t);
  const base = `/v2/Services/${c.service}`;
  const sent = await call(c, 'POST', `${base}/Verifications`, form({ To: '+14155550111', Channel: 'sms' }));
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const ve = sent.body.sid as string;
  assertTwilioError(await call(c, 'GET', `${base}/Verifications/VE${'3'.repeat(32)}`), 404, 20404);
  assertTwilioError(await call(c, 'GET', `${base}/Verifications/VE12`), 404, 20404);
  // Under another Service of the same account, the verification is not there.
  const other = await call(c, 'POST', '/v2/Services', form({ FriendlyName: 'Other' }));
  assertTwilioError(await call(c, 'GET', `/v2/Services/${other.body.sid}/Verifications/${ve}`), 404, 20404);
  assertTwilioError(await call(c, 'POST', `/v2/Services/${other.body.sid}/VerificationCheck`, form({ To: '+14155550111', Code: '123456' })), 404, 20404);

  assertTwilioError(await call(c, 'POST', `${base}/Verifications/${ve}`, form({ Status: 'done' })), 400, 60200, /Status/);
  assertTwilioError(await call(c, 'POST', `${base}/Verifications/${ve}`, form({})), 400, 60200, /Status/);

  const check = `${base}/VerificationCheck`;
  assertTwilioError(await call(c, 'POST', check, form({ To: '+14155550111' })), 400, 60200, /Code/);
  assertTwilioError(await call(c, 'POST', check, form({ To: '+14155550111', Code: '1' })), 400, 60200, /Code/);
  assertTwilioError(await call(c, 'POST', check, form({ Code: '123456' })), 400, 60200, /To|VerificationSid/);
  assertTwilioError(await call(c, 'POST', check, form({ VerificationSid: 'VE1', Code: '123456' })), 400, 60200, /VerificationSid/);
  assertTwilioError(await call(c, 'POST', check, form({ To: '+14155550999', Code: '123456' })), 404, 20404);
  assertTwilioError(await call(c, 'POST', check, form({ To: 'garbage', Code: '123456' })), 400, 60200, /To/);

  // Closed verifications: a second cancel and a check are 20404.
  assert.equal((await call(c, 'POST', `${base}/Verifications/${ve}`, form({ Status: 'canceled' }))).status, 200);
  assertTwilioError(await call(c, 'POST', `${base}/Verifications/${ve}`, form({ Status: 'canceled' })), 404, 20404);
  assertTwilioError(await call(c, 'POST', check, form({ VerificationSid: ve, Code: '123456' })), 404, 20404);
});

test('max send attempts: the sixth send to a pending number is 60203 (429, Retry-After)', async (t) => {
  // The per-number rate limit (5 per 10 min) would answer first (20429); this is the resend rule.
  const c = await setup(t, { abuse: { limits: { per_number_10m: { points: 100, duration_seconds: 600, block_seconds: 0 } } } });
  const url = `/v2/Services/${c.service}/Verifications`;
  for (let i = 0; i < 5; i++) {
    const r = await call(c, 'POST', url, form({ To: '+14155550120', Channel: 'sms' }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    c.h.advance(31_000);
  }
  const res = await c.h.app.inject({ method: 'POST', url, headers: { authorization: c.auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ To: '+14155550120', Channel: 'sms' }) });
  assertTwilioError({ status: res.statusCode, body: res.json(), code: res.headers['x-otpgate-error-code'] }, 429, 60203);
  assert.ok(Number(res.headers['retry-after']) > 0);
  // Within the resend cooldown: Twilio's "too many concurrent requests for phone number".
  const fresh = await call(c, 'POST', url, form({ To: '+14155550121', Channel: 'sms' }));
  assert.equal(fresh.status, 201);
  assertTwilioError(await call(c, 'POST', url, form({ To: '+14155550121', Channel: 'sms' })), 429, 60212);
});

test('abuse refusals of the core map by code: 60410, 60605, 20429, 20005', async () => {
  const { toTwilio } = await import('../../../src/families/twilio/errors.ts');
  const { VerifyError } = await import('../../../src/verify/errors.ts');
  const cases: Array<[string, number, number]> = [
    ['suspected_fraud', 403, 60410],
    ['geo_permission_denied', 403, 60605],
    ['rate_limited', 429, 20429],
    ['spend_cap_reached', 403, 20005],
  ];
  for (const [code, status, twilioCode] of cases) {
    const f = toTwilio(new VerifyError(code, 429, `refused: ${code}`, 'to', 7));
    assert.equal(f.status, status, code);
    assert.equal(f.body.code, twilioCode, code);
    assert.equal(f.code, code);
  }
});

test('the OpenAPI document lists the Twilio routes under the twilio tag', async (t) => {
  const c = await setup(t);
  const doc = (await c.h.app.inject({ method: 'GET', url: '/docs/json' })).json();
  for (const [path, method] of [
    ['/v2/Services', 'post'],
    ['/v2/Services/{Sid}', 'get'],
    ['/v2/Services/{ServiceSid}/Verifications', 'post'],
    ['/v2/Services/{ServiceSid}/Verifications/{Sid}', 'post'],
    ['/v2/Services/{ServiceSid}/VerificationCheck', 'post'],
  ])
    assert.deepEqual(doc.paths[path]?.[method]?.tags, ['twilio'], `${method} ${path}`);
});
