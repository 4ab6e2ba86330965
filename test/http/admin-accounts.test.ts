// The 402 says "top up the account": the admin API credits and debits with a reason recorded in
// the ledger, and accounts in different currencies are charged in their own currency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../helpers/gateway.ts';
import { createAccount, createApiKey } from '../../src/store/accounts.ts';
import { priceFor } from '../../src/core/pricing.ts';

const ADMIN = 'admin-token-for-accounts-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };

const call = (h: Harness, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  h.app.inject({ method, url, headers: admin, ...(payload !== undefined ? { payload: payload as object } : {}) });

test('credit tops up a broke account (its 402 goes away), debit takes back, both in the ledger with their reasons', async (t) => {
  const h = await build(t, { admin_token: ADMIN }, { balance: 0 });
  const id = h.account.id;
  const send = () => h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155550150', channel: 'sms' } });
  assert.equal((await send()).statusCode, 402);

  const credited = await call(h, 'POST', `/admin/accounts/${id}/credit`, { amount: 2_000_000, reason: 'invoice 2024-11 paid by bank transfer' });
  assert.equal(credited.statusCode, 200, credited.body);
  assert.equal(credited.json().account.balance, 2_000_000);
  assert.equal(credited.json().account.formatted, '2.00 USD');
  assert.deepEqual([credited.json().entry.kind, credited.json().entry.amount, credited.json().entry.reason], ['credit', 2_000_000, 'invoice 2024-11 paid by bank transfer']);
  assert.equal((await send()).statusCode, 201);

  const debited = await call(h, 'POST', `/admin/accounts/${id}/debit`, { amount: 500_000, reason: 'goodwill credit reversed' });
  assert.equal(debited.statusCode, 200, debited.body);
  assert.equal(debited.json().account.balance, 2_000_000 - 50_000 - 500_000);
  const over = await call(h, 'POST', `/admin/accounts/${id}/debit`, { amount: 10_000_000, reason: 'too much' });
  assert.deepEqual([over.statusCode, over.json().error.code, over.json().error.field], [409, 'insufficient_balance', 'amount']);

  const ledger = await call(h, 'GET', `/admin/accounts/${id}/ledger`);
  assert.equal(ledger.statusCode, 200, ledger.body);
  assert.deepEqual(ledger.json().data.map((e: { kind: string; amount: number; reason: string | null }) => [e.kind, e.amount, e.reason]), [
    ['debit', -500_000, 'goodwill credit reversed'],
    ['message', -50_000, null],
    ['credit', 2_000_000, 'invoice 2024-11 paid by bank transfer'],
  ]);
  const page = await call(h, 'GET', `/admin/accounts/${id}/ledger?limit=2`);
  assert.equal(page.json().data.length, 2);
  const rest = await call(h, 'GET', `/admin/accounts/${id}/ledger?limit=2&cursor=${page.json().next_cursor}`);
  assert.deepEqual(rest.json().data.map((e: { kind: string }) => e.kind), ['credit']);
  assert.equal((await h.app.inject({ method: 'GET', url: '/v1/balance', headers: h.auth() })).json().balance, 1_450_000);

  const list = await call(h, 'GET', '/admin/accounts');
  assert.deepEqual(list.json().data.map((a: { id: string; balance: number }) => [a.id, a.balance]), [[id, 1_450_000]]);
});

test('bad credit and debit requests → 4xx naming the field; the admin token is required; nothing changes', async (t) => {
  const h = await build(t, { admin_token: ADMIN }, { balance: 1_000 });
  const id = h.account.id;
  const cases: Array<[string, unknown, number, string, string?]> = [
    [`/admin/accounts/${id}/credit`, { amount: 0, reason: 'x' }, 400, 'invalid_value', 'amount'],
    [`/admin/accounts/${id}/credit`, { amount: -5, reason: 'x' }, 400, 'invalid_value', 'amount'],
    [`/admin/accounts/${id}/credit`, { amount: 1.5, reason: 'x' }, 400, 'invalid_type', 'amount'],
    [`/admin/accounts/${id}/credit`, { amount: '100', reason: 'x' }, 400, 'invalid_type', 'amount'],
    [`/admin/accounts/${id}/credit`, { amount: 2 ** 60, reason: 'x' }, 400, 'invalid_value', 'amount'],
    [`/admin/accounts/${id}/credit`, { amount: 100 }, 400, 'missing_field', 'reason'],
    [`/admin/accounts/${id}/credit`, { amount: 100, reason: '' }, 400, 'invalid_value', 'reason'],
    [`/admin/accounts/${id}/credit`, { amount: 100, reason: '   ' }, 400, 'invalid_value', 'reason'],
    [`/admin/accounts/${id}/credit`, { amount: 100, reason: 'x'.repeat(501) }, 400, 'invalid_value', 'reason'],
    [`/admin/accounts/${id}/debit`, { amount: 100, reason: 'x', extra: 1 }, 400, 'unknown_field', 'extra'],
    [`/admin/accounts/${'f'.repeat(32)}/credit`, { amount: 100, reason: 'x' }, 404, 'account_not_found', 'id'],
    [`/admin/accounts/nope/credit`, { amount: 100, reason: 'x' }, 400, 'invalid_value', 'id'],
  ];
  for (const [url, body, status, code, field] of cases) {
    const res = await call(h, 'POST', url, body);
    assert.deepEqual([res.statusCode, res.json().error?.code, res.json().error?.field], [status, code, field], `${url} ${JSON.stringify(body)}: ${res.body}`);
  }
  for (const url of [`/admin/accounts/${'f'.repeat(32)}/ledger`, `/admin/accounts/${id}/ledger?limit=0`, `/admin/accounts/${id}/ledger?cursor=x`]) {
    const res = await call(h, 'GET', url);
    assert.ok([400, 404].includes(res.statusCode), `${url}: ${res.body}`);
  }
  const noToken = await h.app.inject({ method: 'POST', url: `/admin/accounts/${id}/credit`, headers: h.auth(), payload: { amount: 100, reason: 'x' } });
  assert.equal(noToken.statusCode, 401);
  assert.equal((await h.app.inject({ method: 'GET', url: '/v1/balance', headers: h.auth() })).json().balance, 1_000);
});

test('prices per currency: an NPR and a USD account are charged in their own currency (own table, else a rate, else refused naming the fix)', async (t) => {
  const h = await build(t, {
    admin_token: ADMIN,
    pricing_currency: 'USD',
    currency_rates: { EUR: 0.9 },
    prices: [
      { prefix: '', channel: 'sms', price: 50_000 },
      { prefix: '977', channel: 'sms', price: 20_000 },
      { prefix: '977', channel: 'sms', price: 2_660_000, currency: 'NPR' },
      { prefix: '977', channel: 'voice', price: 13_300_000, currency: 'NPR' },
    ],
  });
  const make = async (currency: string) => {
    const account = await createAccount(h.gw.store.db, { name: currency, defaultRegion: 'NP', balance: 1_000_000_000, currency, now: h.clock.now });
    const { token } = await createApiKey(h.gw.store.db, account.id, '*', h.clock.now);
    return token;
  };
  const send = async (token: string, to: string, channel = 'sms') => h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { to, channel } });
  const usd = await make('USD');
  const npr = await make('NPR');
  const eur = await make('EUR');
  const irr = await make('IRR');

  const a = await send(usd, '+9779851000001');
  assert.deepEqual([a.statusCode, a.json().message.price, a.json().message.currency], [201, 20_000, 'USD']);
  const b = await send(npr, '+9779851000002');
  assert.deepEqual([b.statusCode, b.json().message.price, b.json().message.currency], [201, 2_660_000, 'NPR']);
  const call = await send(npr, '+9779851000003', 'voice');
  assert.equal(call.json().message.price, 13_300_000);
  // EUR has no table: the USD rule at the rate (0.9 EUR per USD).
  const c = await send(eur, '+9779851000004');
  assert.deepEqual([c.statusCode, c.json().message.price], [201, 18_000]);
  const d = await send(eur, '+14155550160');
  assert.equal(d.json().message.price, 45_000);
  // NPR has a table but no rule for the US and no rate: refused, naming both fixes; IRR has nothing.
  for (const [token, to, currency] of [[npr, '+14155550161', 'NPR'], [irr, '+9779851000005', 'IRR']] as const) {
    const res = await send(token, to);
    assert.deepEqual([res.statusCode, res.json().error.code], [400, 'unsupported_destination'], res.body);
    assert.match(res.json().error.message, new RegExp(`in ${currency}.*"currency": "${currency}".*currency_rates\\.${currency}`));
  }
  // The base currency's rules never leak into a currency that has its own rule.
  assert.equal(priceFor([{ prefix: '', channel: 'sms', price: 1 }, { prefix: '', channel: 'sms', price: 7, currency: 'NPR' }], '+1', 'sms', 3, { currency: 'NPR', base: 'USD', rates: { NPR: 100 } }), 21);
  assert.equal(priceFor([{ prefix: '', channel: 'sms', price: 7, currency: 'NPR' }], '+1', 'sms', 1), undefined, 'without a currency, only base rules');
  assert.equal(priceFor([{ prefix: '', channel: 'sms', price: 3 }], '+1', 'sms', 1, { currency: 'XYZ', base: 'USD', rates: { toString: 2 } as unknown as Record<string, number> }), undefined);
});

test('currency config is validated at start, naming the key', async (t) => {
  await assert.rejects(build(t, { prices: [{ prefix: '', channel: 'sms', price: 1, currency: 'usd' }] }), /prices\.0\.currency/);
  await assert.rejects(build(t, { currency_rates: { NPR: 0 } }), /currency_rates\.NPR/);
  await assert.rejects(build(t, { pricing_currency: 'dollars' }), /pricing_currency/);
});
