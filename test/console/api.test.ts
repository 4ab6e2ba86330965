/**
 * The console's server side through app.inject: sign-in sets an HttpOnly SameSite=Strict cookie
 * (the token only in the form body), a wrong token is refused and rate limited, every API call
 * needs the session, every change needs the CSRF token of that session and our own Origin, the
 * admin bridge reaches /admin with the session, and the console is off without admin_token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../helpers/gateway.ts';

const ADMIN = 'console-admin-token-0123456789abcdef';

async function signIn(h: Harness): Promise<{ cookie: string; csrf: string }> {
  const res = await h.app.inject({ method: 'POST', url: '/dashboard/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${encodeURIComponent(ADMIN)}` });
  assert.equal(res.statusCode, 303, res.body);
  assert.equal(res.headers.location, '/dashboard');
  const set = String(res.headers['set-cookie']);
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.match(set, /Path=\/dashboard/);
  assert.ok(!set.includes(ADMIN), 'the cookie is not the token');
  const cookie = set.split(';')[0];
  const s = await h.app.inject({ method: 'GET', url: '/dashboard/api/session', headers: { cookie } });
  assert.equal(s.statusCode, 200, s.body);
  return { cookie, csrf: s.json().csrf_token };
}

test('sign-in, session, CSRF and the admin bridge', async (t) => {
  const h = await build(t, { admin_token: ADMIN, dispatch: { enabled: false } });

  const page = await h.app.inject({ method: 'GET', url: '/dashboard' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<form method="post" action="\/dashboard\/login"/, 'signed out: the sign-in form');
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);

  const wrong = await h.app.inject({ method: 'POST', url: '/dashboard/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'token=nope' });
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.headers['set-cookie'], undefined);
  assert.match(wrong.body, /not the admin token/);

  const { cookie, csrf } = await signIn(h);
  const app = await h.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie } });
  assert.match(app.body, /id="page-overview"/, 'signed in: the console');

  // Reads need the session.
  assert.equal((await h.app.inject({ method: 'GET', url: '/dashboard/api/overview' })).json().error.code, 'console_signed_out');
  assert.equal((await h.app.inject({ method: 'GET', url: '/dashboard/api/overview', headers: { cookie: `${cookie}x` } })).statusCode, 401, 'a tampered cookie');
  const o = await h.app.inject({ method: 'GET', url: '/dashboard/api/overview', headers: { cookie } });
  assert.equal(o.statusCode, 200, o.body);
  assert.equal(o.json().per_minute.t.length, 60);
  assert.equal(o.json().per_hour.t.length, 168);

  // Changes need the CSRF token of this session, and our own origin.
  const url = `/dashboard/api/accounts/${h.account.id}/keys`;
  const noCsrf = await h.app.inject({ method: 'POST', url, headers: { cookie }, payload: {} });
  assert.equal(noCsrf.statusCode, 403);
  assert.equal(noCsrf.json().error.code, 'csrf_token_missing');
  const badCsrf = await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, payload: {} });
  assert.equal(badCsrf.json().error.code, 'csrf_token_invalid');
  const otherSession = await signIn(h);
  const crossed = await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': otherSession.csrf }, payload: {} });
  assert.equal(crossed.json().error.code, 'csrf_token_invalid', "another session's token does not fit");
  const foreign = await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example', host: 'localhost:80' }, payload: {} });
  assert.equal(foreign.json().error.code, 'csrf_origin_mismatch');
  const made = await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf }, payload: { family: 'native' } });
  assert.equal(made.statusCode, 201, made.body);
  assert.match(made.json().token, /^otpg_/);
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(made.json().token), payload: { to: '+14155552671', channel: 'sms' } });
  assert.equal(sent.statusCode, 201, 'the new key works');

  // Revoked from the console: refused at once by this process.
  const revoked = await h.app.inject({ method: 'POST', url: `/dashboard/api/keys/${made.json().id}/revoke`, headers: { cookie, 'x-csrf-token': csrf } });
  assert.equal(revoked.statusCode, 200, revoked.body);
  const after = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(made.json().token), payload: { to: '+14155552672', channel: 'sms' } });
  assert.equal(after.statusCode, 401);

  // The admin API through the session (the browser never holds the token).
  const providers = await h.app.inject({ method: 'GET', url: '/dashboard/api/admin/providers', headers: { cookie } });
  assert.equal(providers.statusCode, 200, providers.body);
  assert.equal(providers.json().providers[0].name, 'devinbox');
  assert.equal((await h.app.inject({ method: 'GET', url: '/dashboard/api/admin/providers' })).statusCode, 401);

  // Messages: search across accounts and one message's history.
  await h.gw.writer.flush();
  const list = await h.app.inject({ method: 'GET', url: '/dashboard/api/messages?q=4155552671', headers: { cookie } });
  assert.equal(list.json().data.length, 1, list.body);
  const m = list.json().data[0];
  assert.equal(m.country, 'US');
  assert.ok(!/\d{6}/.test(m.body), 'the code is masked');
  const one = await h.app.inject({ method: 'GET', url: `/dashboard/api/messages/${m.id}`, headers: { cookie } });
  assert.deepEqual(one.json().events.map((e: { status: string }) => e.status), ['queued']);
  assert.equal((await h.app.inject({ method: 'GET', url: '/dashboard/api/messages?country=XX', headers: { cookie } })).json().error.code, 'invalid_country');
  assert.equal((await h.app.inject({ method: 'GET', url: '/dashboard/api/messages?country=CA', headers: { cookie } })).json().data.length, 0, '+1 but not Canada');

  // Sign-out clears the cookie.
  const out = await h.app.inject({ method: 'POST', url: '/dashboard/logout', headers: { cookie } });
  assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
});

test('wrong tokens are rate limited per address', async (t) => {
  const h = await build(t, { admin_token: ADMIN, dispatch: { enabled: false } });
  const attempt = (token: string) => h.app.inject({ method: 'POST', url: '/dashboard/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}` });
  for (let i = 0; i < 10; i++) assert.equal((await attempt('wrong')).statusCode, 401);
  const limited = await attempt(encodeURIComponent(ADMIN));
  assert.equal(limited.statusCode, 429, 'even the right token waits once the address is limited');
  assert.match(limited.body, /Too many wrong tokens/);
});

test('without admin_token the console is off and says how to turn it on', async (t) => {
  const h = await build(t, { dispatch: { enabled: false } });
  const res = await h.app.inject({ method: 'GET', url: '/dashboard' });
  assert.equal(res.statusCode, 404);
  assert.match(res.body, /admin_token/);
  assert.equal((await h.app.inject({ method: 'POST', url: '/dashboard/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'token=x' })).statusCode, 404);
});
