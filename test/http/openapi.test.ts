// The OpenAPI document against the running app: every route in it is driven with good and bad
// requests (no key, bad and empty JSON, oversized and non-JSON bodies, malformed, unknown and
// over-long ids), and each status a route answers must be listed for that route in the document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../helpers/gateway.ts';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown>; summary?: string }>> };
const ADMIN = 'admin-token-for-openapi-0123456789';

test('every status a route answers is listed for it in the OpenAPI document', async (t) => {
  const h = await build(t, { admin_token: ADMIN });
  const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc;
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155550170', channel: 'sms' } });
  await h.settle();
  const real: Record<string, string> = { id: sent.json().id, requestId: sent.json().message.id };
  const unlisted: string[] = [];
  let requests = 0;
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (path.startsWith('/docs') || path.startsWith('/inbox/api/events')) continue;
    for (const [method, op] of Object.entries(methods)) {
      const listed = new Set(Object.keys(op.responses));
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const fills = params.length === 0 ? [path] : ['f'.repeat(32), 'abc', 'x'.repeat(300), '%ZZ', '__real__'].map((v) => path.replace(/\{(\w+)\}/g, (_m, p: string) => (v === '__real__' ? (real[p] ?? 'f'.repeat(32)) : v)));
      const auths = path.startsWith('/admin') ? [{}, { authorization: `Bearer ${ADMIN}` }] : [{}, h.auth()];
      const bodies: Array<{ headers: Record<string, string>; payload?: string }> =
        method === 'get' || method === 'delete'
          ? [{ headers: {} }]
          : [
              { headers: { 'content-type': 'application/json' }, payload: '{}' },
              { headers: { 'content-type': 'application/json' }, payload: '' },
              { headers: { 'content-type': 'application/json' }, payload: '{"a":' },
              { headers: { 'content-type': 'application/json' }, payload: `{"a":"${'x'.repeat(1_100_000)}"}` },
              { headers: { 'content-type': 'text/plain' }, payload: 'hi' },
              { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ to: '+14155550171', channel: 'sms', phoneNumber: '09121234567', code: '1234', appName: 'a', number: '9851023212', message: 'x {otp}', sms_send_options: 'text', url: 'https://example.com/hook', amount: 1, reason: 'r' }) },
            ];
      for (const url of fills)
        for (const auth of auths)
          for (const b of bodies) {
            const res = await h.app.inject({ method: method.toUpperCase() as 'GET', url, headers: { ...auth, ...b.headers }, ...(b.payload !== undefined ? { payload: b.payload } : {}) });
            requests++;
            if (res.statusCode === 404 && res.json().error?.code === 'not_found') continue; // no route matched (a malformed path): not this route's answer
            if (!listed.has(String(res.statusCode))) unlisted.push(`${method.toUpperCase()} ${path} answered ${res.statusCode} (listed: ${[...listed].join(', ')}) for ${url.slice(0, 60)}: ${res.body.slice(0, 120)}`);
          }
    }
  }
  assert.ok(requests > 300, `drove ${requests} requests`);
  assert.deepEqual(unlisted, []);
});

test('the document describes health, readiness (503) and the retry route’s 404', async (t) => {
  const h = await build(t);
  const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc;
  assert.ok(doc.paths['/healthz'].get.responses['200']);
  assert.ok(doc.paths['/readyz'].get.responses['503']);
  assert.match(doc.paths['/readyz'].get.summary ?? '', /503/);
  assert.ok(doc.paths['/v1/webhook/deliveries/{id}/retry'].post.responses['404']);
  assert.ok(doc.paths['/v1/verifications'].post.responses['413']);
  assert.ok(doc.paths['/v1/verifications'].post.responses['429']);
});

test('the document names its shared shapes as component schemas and references them', async (t) => {
  const h = await build(t);
  const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc & { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
  for (const name of ['Error', 'SendVerification', 'CheckVerification', 'Verification', 'Message', 'CheckResult', 'Balance', 'TingTingSendOtp', 'TingTingError', 'BitelOtp', 'BitelSms', 'BitelError'])
    assert.ok(doc.components.schemas[name]?.properties, name);
  const text = JSON.stringify(doc.paths);
  const op = doc.paths['/v1/verifications'].post as unknown as { requestBody: unknown; responses: Record<string, unknown> };
  assert.match(JSON.stringify(op.requestBody), /#\/components\/schemas\/SendVerification/);
  assert.match(JSON.stringify(op.responses['201']), /#\/components\/schemas\/Verification/);
  assert.match(JSON.stringify(op.responses['402']), /#\/components\/schemas\/Error/);
  assert.ok((text.match(/#\/components\/schemas\/Error"/g) ?? []).length > 20, 'the native error shape is referenced, not repeated');
  assert.match(JSON.stringify(doc.paths['/api/v2/sms/otp'].post.responses['200']), /BitelSms/);
});
