/**
 * Every abuse refusal in every family's own shape, and nothing charged: native
 * {"error":{"code",…,"limit"|"country"|"cap"|"prefix"}}, TingTing's envelope, Bitel's
 * {"result":null,"error":"TooManyRequests"|"InvalidPhoneNumber"}; 429s carry Retry-After.
 * Plus geo permissions: the default (own region + configured list), per-account lists, the
 * high-risk list, and the dev account of the embedded default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { countryOf, destinationPrefix, geoDecision, HIGH_RISK_PREFIXES } from '../../src/core/geo.ts';
import { createGateway } from '../../src/gateway.ts';
import { buildApp } from '../../src/http/app.ts';
import { testDatabase } from '../helpers/db.ts';
import type { Harness } from '../helpers/gateway.ts';
import { abuseBuild, balance, counts, HIGH, send } from './helpers.ts';

type Res = Awaited<ReturnType<Harness['app']['inject']>>;
interface Family {
  name: string;
  send(h: Harness, i: number): Promise<Res>;
  /** Asserts the family's refusal shape for a core code and its extra field. */
  refused(res: Res, status: number, code: string, extra: Record<string, string>): void;
}

const retryAfter = (res: Res) => assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After: ${JSON.stringify(res.headers)}`);

const FAMILIES: Family[] = [
  {
    name: 'native',
    send: (h, i) => send(h, { to: `+97798510000${String(i).padStart(2, '0')}` }),
    refused(res, status, code, extra) {
      assert.equal(res.statusCode, status, res.body);
      const e = res.json().error;
      assert.equal(e.code, code, res.body);
      assert.equal(e.field, 'to');
      for (const [k, v] of Object.entries(extra)) assert.equal(e[k], v, res.body);
      if (status === 429) retryAfter(res);
    },
  },
  {
    name: 'tingting',
    send: (h, i) =>
      h.app.inject({ method: 'POST', url: '/api/v1/auths/send/otp/', headers: h.auth(), payload: { number: `98510000${String(i).padStart(2, '0')}`, message: 'Your code is {otp}', sms_send_options: 'text', otp_options: 'generated' } }),
    refused(res, status, _code, extra) {
      assert.equal(res.statusCode, status, res.body);
      const b = res.json();
      assert.deepEqual(Object.keys(b), ['status', 'success', 'message', 'errors', 'data']);
      assert.equal(b.status, status);
      assert.equal(b.success, false);
      assert.equal(b.data, null);
      assert.ok(Array.isArray(b.errors[0].number) && b.errors[0].number[0].length > 20, res.body);
      for (const v of Object.values(extra)) assert.ok(b.message.includes(v), `${b.message} names ${v}`);
      if (status === 429) retryAfter(res);
    },
  },
  {
    name: 'bitel',
    send: (h, i) => h.app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers: h.auth(), payload: { phoneNumber: `091212345${String(i).padStart(2, '0')}`, appName: 'Shop', code: `${1000 + i}` } }),
    refused(res, status, code, extra) {
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), { result: null, error: code === 'geo_permission_denied' ? 'InvalidPhoneNumber' : 'TooManyRequests' });
      const detail = String(res.headers['x-otpgate-error']);
      for (const v of Object.values(extra)) assert.ok(detail.includes(v), `${detail} names ${v}`);
      if (status === 429) retryAfter(res);
    },
  },
];

/** The scenarios: an abuse section, how many sends pass, and the refusal that follows. */
const SCENARIOS: Array<{ name: string; abuse: Record<string, unknown>; pass: number | ((f: Family) => number); status: number; code: string; extra: (f: Family) => Record<string, string> }> = [
  { name: 'rate_limited', abuse: { limits: { ...HIGH, per_account_24h: { points: 2 } } }, pass: 2, status: 429, code: 'rate_limited', extra: () => ({ limit: 'per_account_24h' }) },
  // NP costs 20,000 a segment, Bitel's IR message 10,000.
  { name: 'spend_cap_reached', abuse: { limits: HIGH, spend: { daily_cap: 20_000 } }, pass: (f) => (f.name === 'bitel' ? 2 : 1), status: 429, code: 'spend_cap_reached', extra: () => ({ cap: 'daily' }) },
  { name: 'suspected_fraud', abuse: { limits: HIGH, pumping: { velocity_max: 3 } }, pass: 2, status: 429, code: 'suspected_fraud', extra: (f) => ({ prefix: f.name === 'bitel' ? '9891212' : '9779851' }) },
  { name: 'geo_permission_denied', abuse: { limits: HIGH, geo: { countries: [] } }, pass: 0, status: 403, code: 'geo_permission_denied', extra: (f) => ({ country: f.name === 'bitel' ? 'IR' : 'NP' }) },
];

for (const s of SCENARIOS)
  for (const f of FAMILIES)
    test(`${f.name}: ${s.name} in the family's shape, nothing written or charged`, async (t) => {
      const h = await abuseBuild(t, 'memory', { geo: { countries: ['*'] }, ...s.abuse }, {}, { region: 'US' });
      const pass = typeof s.pass === 'number' ? s.pass : s.pass(f);
      for (let i = 0; i < pass; i++) assert.ok((await f.send(h, i)).statusCode < 300);
      const before = { balance: await balance(h), rows: await counts(h) };
      const res = await f.send(h, pass);
      f.refused(res, s.status, s.code, s.extra(f));
      assert.deepEqual({ balance: await balance(h), rows: await counts(h) }, before, 'nothing written, nothing charged');
    });

test('geo: the default is the account region plus abuse.geo.countries; per-account lists per channel; 403 names the country and the fix', async (t) => {
  const ADMIN = 'admin-token-admin-token-admin-token';
  const h = await abuseBuild(t, 'memory', { limits: HIGH, geo: { countries: ['CA'] } }, { admin_token: ADMIN }, { region: 'NP' });
  assert.equal((await send(h, { to: '9851000001' })).statusCode, 201, 'own region');
  assert.equal((await send(h, { to: '+16135550123' })).statusCode, 201, 'configured list: CA');
  const gb = await send(h, { to: '+447911123456' });
  assert.equal(gb.statusCode, 403, gb.body);
  assert.deepEqual(Object.keys(gb.json().error).sort(), ['code', 'country', 'field', 'message']);
  assert.equal(gb.json().error.country, 'GG');
  assert.match(gb.json().error.message, /"geo":\{"sms":\[…, "GG"\]\}.*abuse\.geo\.countries/);
  const fr = await send(h, { to: '+33612345678' });
  assert.equal(fr.json().error.country, 'FR');

  const put = await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/abuse`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { geo: { sms: ['FR'] } } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal((await send(h, { to: '+33612345678' })).statusCode, 201, 'FR allowed for sms');
  assert.equal((await send(h, { to: '9851000002' })).statusCode, 403, 'the account list replaces the default: NP no longer');
  assert.equal((await send(h, { to: '+33612345679', channel: 'voice' })).statusCode, 403, 'voice keeps the default');
  const bad = await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/abuse`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { geo: { sms: ['France'] } } });
  assert.equal(bad.statusCode, 400, bad.body);
});

test('geo: the high-risk list stays off under "*" until the account allows the prefix', async (t) => {
  const ADMIN = 'admin-token-admin-token-admin-token';
  const h = await abuseBuild(t, 'memory', { limits: HIGH }, { admin_token: ADMIN, prices: [{ prefix: '', channel: 'sms', price: 50_000 }] });
  const before = await balance(h);
  for (const [n, prefix] of [['+6745551234', '674'], ['+881612345678', '881']]) {
    const res = await send(h, { to: n });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error.code, 'geo_permission_denied');
    assert.equal(res.json().error.prefix, prefix);
    assert.match(res.json().error.message, new RegExp(`"high_risk_allowed":\\["${prefix}"\\]`));
  }
  assert.equal(await balance(h), before);
  await h.app.inject({ method: 'PUT', url: `/admin/accounts/${h.account.id}/abuse`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { high_risk_allowed: ['674'] } });
  assert.equal((await send(h, { to: '+6745551234' })).statusCode, 201, 'allowed explicitly');
  assert.equal((await send(h, { to: '+881612345678' })).statusCode, 403, 'the other stays off');
});

test('geo: the dev account of the embedded default sends to NP and IR (the vendor families) but not the high-risk list', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'i11-dev-'));
  const database = await testDatabase();
  const config = loadConfig({ database_url: database.url, data_dir: dir, secret: 'test-secret-test-secret-test-secret-0123', log_level: 'silent', dispatch: { enabled: false } }, { NODE_ENV: 'development' });
  assert.deepEqual(config.abuse.geo.countries, [], 'the embedded default opens no country to every account');
  const gw = await createGateway(config, { log: pino({ level: 'silent' }) });
  const app = await buildApp(gw, { logger: false });
  t.after(async () => {
    await app.close();
    await gw.close();
    await database.drop();
  });
  const auth = { authorization: `Bearer ${gw.bootstrap!.token}` };
  const tt = await app.inject({ method: 'POST', url: '/api/v1/auths/send/otp/', headers: auth, payload: { number: '9851000001', message: 'Code {otp}', sms_send_options: 'text', otp_options: 'generated' } });
  assert.equal(tt.statusCode, 200, tt.body);
  const bi = await app.inject({ method: 'POST', url: '/api/v1/sms/otp', headers: auth, payload: { phoneNumber: '09121234567', appName: 'Shop', code: '1234' } });
  assert.equal(bi.statusCode, 200, bi.body);
  const gb = await app.inject({ method: 'POST', url: '/v1/verifications', headers: auth, payload: { to: '+447911123456', channel: 'sms' } });
  assert.equal(gb.statusCode, 201, gb.body);
  const risky = await app.inject({ method: 'POST', url: '/v1/verifications', headers: auth, payload: { to: '+6745551234', channel: 'sms' } });
  assert.equal(risky.statusCode, 403, risky.body);
});

test('core/geo: countries, prefixes, and the decision order (high risk beats "*", an allowance beats the list)', () => {
  assert.equal(countryOf('+9779851000001'), 'NP');
  assert.equal(countryOf('+989121234567'), 'IR');
  assert.equal(countryOf('+881612345678'), '001');
  assert.equal(destinationPrefix('+9779851000001', 6), '977985');
  assert.ok(!HIGH_RISK_PREFIXES.some((p) => '977'.startsWith(p) || '98'.startsWith(p)), 'NP and IR are not on the list');
  const policy = { countries: ['*'], highRisk: HIGH_RISK_PREFIXES, highRiskAllowed: [] as string[] };
  assert.deepEqual(geoDecision('+9779851000001', policy), { ok: true, country: undefined }, "'*' needs no country");
  assert.deepEqual(geoDecision('+9779851000001', { ...policy, countries: ['NP'] }), { ok: true, country: 'NP' });
  assert.deepEqual(geoDecision('+6745551234', policy), { ok: false, country: 'NR', reason: 'high_risk', prefix: '674' });
  assert.deepEqual(geoDecision('+6745551234', { ...policy, highRiskAllowed: ['67455'] }).ok, true);
  assert.deepEqual(geoDecision('+6746551234', { ...policy, highRiskAllowed: ['67455'] }).ok, false, 'an allowance covers only numbers under it');
  assert.deepEqual(geoDecision('+33612345678', { ...policy, countries: ['NP'] }), { ok: false, country: 'FR', reason: 'country' });
});
