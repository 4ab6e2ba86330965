/**
 * Bad input to the Vonage family, through app.inject: every refusal is a 4xx RFC 7807 problem as
 * Vonage answers them ({type, title, detail, instance}, 422 with invalid_parameters naming the
 * parameter), with the stable snake_case code in X-Otpgate-Error-Code; never a 5xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { build, type Harness } from '../../helpers/gateway.ts';
import { createVonageCredentials, type VonageCredentials } from '../../../src/store/vendors.ts';

interface Ctx {
  h: Harness;
  creds: VonageCredentials;
  auth: string;
}

async function jwt(privateKey: string, claims: Record<string, unknown>, exp: number | string = '15m', iat?: number): Promise<string> {
  const key = await importPKCS8(privateKey, 'RS256');
  const b = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setJti(crypto.randomUUID()).setExpirationTime(exp);
  return (iat === undefined ? b.setIssuedAt() : b.setIssuedAt(iat)).sign(key);
}

async function setup(t: Parameters<typeof build>[0]): Promise<Ctx> {
  const h = await build(t);
  const creds = await createVonageCredentials(h.gw.store.db, h.account.id, h.clock.now);
  return { h, creds, auth: `Bearer ${await jwt(creds.privateKey!, { application_id: creds.applicationId })}` };
}

async function call(c: Ctx, method: 'POST' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await c.h.app.inject({
    method,
    url,
    headers: { authorization: c.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, body: res.json(), code: res.headers['x-otpgate-error-code'], type: res.headers['content-type'] };
}

function assertProblem(r: Awaited<ReturnType<typeof call>>, status: number, title: string, param?: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.title, title, JSON.stringify(r.body));
  assert.match(r.body.type, /^https:\/\//);
  assert.equal(typeof r.body.detail, 'string');
  assert.match(r.body.instance, /^[0-9a-f-]{36}$/);
  assert.match(String(r.type), /^application\/problem\+json/);
  assert.match(String(r.code), /^[a-z_]+$/, 'a stable snake_case code in the header');
  if (param !== undefined) {
    assert.equal(r.body.invalid_parameters?.[0]?.name, param, JSON.stringify(r.body));
    assert.ok(r.body.invalid_parameters[0].reason.length > 10, 'the reason says why');
  }
}

const ok = { brand: 'Acme', workflow: [{ channel: 'sms', to: '14155550300' }] };

test('authentication: no, wrong, forged, expired or unknown-application credentials are 401', async (t) => {
  const c = await setup(t);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = Math.floor(c.h.clock.now / 1000);
  const headers = [
    {},
    { authorization: 'Bearer not.a.jwt' },
    { authorization: `Bearer ${await jwt(other, { application_id: c.creds.applicationId })}` },
    { authorization: `Bearer ${await jwt(c.creds.privateKey!, { application_id: crypto.randomUUID() })}` },
    { authorization: `Bearer ${await jwt(c.creds.privateKey!, {})}` },
    { authorization: `Bearer ${await jwt(c.creds.privateKey!, { application_id: c.creds.applicationId }, now - 3600, now - 7200)}` },
    { authorization: `Basic ${Buffer.from(`${c.creds.apiKey}:wrong-secret-000`).toString('base64')}` },
    { authorization: `Basic ${Buffer.from(`${c.creds.applicationId}:x`).toString('base64')}` },
    { authorization: `Bearer ${c.h.token}` },
  ];
  for (const h of headers) {
    const res = await c.h.app.inject({ method: 'POST', url: '/v2/verify', headers: { 'content-type': 'application/json', ...h }, payload: JSON.stringify(ok) });
    assertProblem({ status: res.statusCode, body: res.json(), code: res.headers['x-otpgate-error-code'], type: res.headers['content-type'] }, 401, 'Unauthorized');
  }
});

test('new request: bad parameters are 422 Invalid params naming the parameter', async (t) => {
  const c = await setup(t);
  const step = ok.workflow[0];
  const cases: Array<[unknown, string]> = [
    [{ workflow: ok.workflow }, 'brand'],
    [{ ...ok, brand: '' }, 'brand'],
    [{ ...ok, brand: 'x'.repeat(17) }, 'brand'],
    [{ ...ok, brand: 5 }, 'brand'],
    [{ brand: 'Acme' }, 'workflow'],
    [{ ...ok, workflow: [] }, 'workflow'],
    [{ ...ok, workflow: [step, step, step, step] }, 'workflow'],
    [{ ...ok, workflow: 'sms' }, 'workflow'],
    [{ ...ok, workflow: ['sms'] }, 'workflow[0]'],
    [{ ...ok, workflow: [{ to: step.to }] }, 'workflow[0].channel'],
    [{ ...ok, workflow: [{ channel: 'sms' }] }, 'workflow[0].to'],
    [{ ...ok, workflow: [{ channel: 'email', to: 'a@example.com' }] }, 'workflow[0].channel'],
    [{ ...ok, workflow: [{ channel: 'whatsapp', to: step.to }] }, 'workflow[0].channel'],
    [{ ...ok, workflow: [{ channel: 'silent_auth', to: step.to }] }, 'workflow[0].channel'],
    [{ ...ok, workflow: [{ channel: 'sms', to: 'garbage' }] }, 'workflow[0].to'],
    [{ ...ok, workflow: [step, { channel: 'voice', to: '14155550399' }] }, 'workflow[1].to'],
    [{ ...ok, workflow: [step, { channel: 'fax', to: step.to }] }, 'workflow[1].channel'],
    [{ ...ok, workflow: [{ ...step, app_hash: 'short' }] }, 'workflow[0].app_hash'],
    [{ ...ok, workflow: [{ ...step, extra: 1 }] }, 'workflow[0].extra'],
    [{ ...ok, channel_timeout: 10 }, 'channel_timeout'],
    [{ ...ok, channel_timeout: 901 }, 'channel_timeout'],
    [{ ...ok, channel_timeout: '300' }, 'channel_timeout'],
    [{ ...ok, code_length: 3 }, 'code_length'],
    [{ ...ok, code_length: 11 }, 'code_length'],
    [{ ...ok, code: '12' }, 'code'],
    [{ ...ok, code: '12-34' }, 'code'],
    [{ ...ok, locale: 'english' }, 'locale'],
    [{ ...ok, locale: 'xx-yy' }, 'locale'],
    [{ ...ok, client_ref: 'x'.repeat(17) }, 'client_ref'],
    [{ ...ok, fraud_check: 'no' }, 'fraud_check'],
    [{ ...ok, unknown_field: true }, 'unknown_field'],
    [[ok], 'body'],
  ];
  for (const [body, param] of cases) assertProblem(await call(c, 'POST', '/v2/verify', body), 422, 'Invalid params', param);
});

test('bodies that are not JSON: 400 Bad Request; other media types 415', async (t) => {
  const c = await setup(t);
  assertProblem(await call(c, 'POST', '/v2/verify', '{"brand":'), 400, 'Bad Request');
  assertProblem(await call(c, 'POST', '/v2/verify', 'brand=Acme', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'Bad Request');
  assertProblem(await call(c, 'POST', '/v2/verify', ''), 422, 'Invalid params', 'body');
});

test('check, cancel and next_workflow: unknown, malformed or foreign request ids are 404; bad codes 422', async (t) => {
  const c = await setup(t);
  const sent = await call(c, 'POST', '/v2/verify', { ...ok, workflow: [{ channel: 'sms', to: '14155550301' }] });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const id = sent.body.request_id as string;
  const unknown = crypto.randomUUID();
  for (const rid of [unknown, 'not-a-uuid', '1234']) {
    assertProblem(await call(c, 'POST', `/v2/verify/${rid}`, { code: '1234' }), 404, 'Not Found');
    assertProblem(await call(c, 'DELETE', `/v2/verify/${rid}`), 404, 'Not Found');
    assertProblem(await call(c, 'POST', `/v2/verify/${rid}/next_workflow`), 404, 'Not Found');
  }
  assertProblem(await call(c, 'POST', `/v2/verify/${id}`, {}), 422, 'Invalid params', 'code');
  assertProblem(await call(c, 'POST', `/v2/verify/${id}`, { code: '1' }), 422, 'Invalid params', 'code');
  assertProblem(await call(c, 'POST', `/v2/verify/${id}`, { code: 1234 }), 422, 'Invalid params', 'code');
  assertProblem(await call(c, 'POST', `/v2/verify/${id}`, { code: '1234', more: 1 }), 422, 'Invalid params', 'more');
  // One step only: no next workflow.
  assertProblem(await call(c, 'POST', `/v2/verify/${id}/next_workflow`), 409, 'Conflict');

  // Another account's request, and a native verification's id, are not this caller's requests.
  const stranger = await c.h.newAccount();
  const theirs = await createVonageCredentials(c.h.gw.store.db, stranger.account.id, c.h.clock.now);
  const asStranger = { authorization: `Bearer ${await jwt(theirs.privateKey!, { application_id: theirs.applicationId })}` };
  assertProblem(await call(c, 'POST', `/v2/verify/${id}`, { code: '1234' }, asStranger), 404, 'Not Found');
  const native = await c.h.app.inject({ method: 'POST', url: '/v1/verifications', headers: c.h.auth(), payload: { to: '+14155550302', channel: 'sms' } });
  const nid = native.json().id as string;
  assertProblem(await call(c, 'POST', `/v2/verify/${nid}`, { code: '1234' }), 404, 'Not Found');
});

test('abuse and balance refusals of the core map by code: 403, 429 with Retry-After, 402', async () => {
  const { toVonage } = await import('../../../src/families/vonage/errors.ts');
  const { VerifyError } = await import('../../../src/verify/errors.ts');
  const cases: Array<[string, number, string]> = [
    ['suspected_fraud', 403, 'Forbidden'],
    ['geo_permission_denied', 403, 'Forbidden'],
    ['spend_cap_reached', 403, 'Forbidden'],
    ['rate_limited', 429, 'Rate Limit Hit'],
    ['insufficient_balance', 402, 'Low balance'],
  ];
  for (const [code, status, title] of cases) {
    const f = toVonage(new VerifyError(code, 429, `refused: ${code}`, 'to', 7));
    assert.equal(f.status, status, code);
    assert.equal(f.problem.title, title, code);
    assert.equal(f.code, code);
    if (status === 429) assert.equal(f.retryAfter, 7);
  }
});

test('the OpenAPI document lists the Vonage routes under the vonage tag', async (t) => {
  const c = await setup(t);
  const doc = (await c.h.app.inject({ method: 'GET', url: '/docs/json' })).json();
  for (const [path, method] of [
    ['/v2/verify', 'post'],
    ['/v2/verify/{request_id}', 'post'],
    ['/v2/verify/{request_id}', 'delete'],
    ['/v2/verify/{request_id}/next_workflow', 'post'],
  ])
    assert.deepEqual(doc.paths[path]?.[method]?.tags, ['vonage'], `${method} ${path}`);
});
