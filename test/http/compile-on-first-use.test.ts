/**
 * The app's own routes (native, webhook settings, admin, dev inbox, console) compile their
 * validators on first use, as the families do (src/families/index.ts, issue 13: idle RSS): an
 * app that has answered nothing has compiled no validator, and each first request is still
 * validated, a bad input answering 400 naming its field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { build } from '../helpers/gateway.ts';

const ADMIN = 'admin-token-for-compile-0123456789';

/** Schemas Ajv compiled, counted on the very Ajv that Fastify's own validator compiler uses. */
function countAjvCompiles(): { count: number } {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const fromCompiler = createRequire(fromFastify.resolve('@fastify/ajv-compiler'));
  const ajv = fromCompiler('ajv') as { default: { prototype: { compile(...args: unknown[]): unknown } } };
  const proto = ajv.default.prototype;
  const compile = proto.compile;
  const seen = { count: 0 };
  proto.compile = function (...args: unknown[]) {
    seen.count++;
    return compile.apply(this, args);
  };
  return seen;
}

test('an app that has answered nothing has compiled no validator; first requests are validated', async (t) => {
  const compiled = countAjvCompiles();
  const h = await build(t, { admin_token: ADMIN, dev_inbox: { enabled: true } });
  assert.equal(compiled.count, 0, 'no route compiled its validator at start');

  const first = async (method: 'POST' | 'PUT' | 'GET', url: string, headers: Record<string, string>, payload?: object) => {
    const res = await h.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, field: res.json().error?.field as string | undefined };
  };
  assert.deepEqual(await first('POST', '/v1/verifications', h.auth(), { to: '+14155550170', channel: 'pigeon' }), { status: 400, field: 'channel' });
  assert.deepEqual(await first('PUT', '/v1/webhook', h.auth(), { url: 42 }), { status: 400, field: 'url' });
  const admin = { authorization: `Bearer ${ADMIN}` };
  assert.deepEqual(await first('POST', `/admin/accounts/${h.account.id}/credit`, admin, { amount: 'ten', reason: 'r' }), { status: 400, field: 'amount' });
  assert.deepEqual(await first('GET', '/inbox/api/messages?limit=0', {}), { status: 400, field: 'limit' });
  assert.ok(compiled.count > 0, 'the first requests compiled their routes’ validators');
});
