/**
 * SMS-pumping detection: the attack scenario with its figures, blocks as events (webhook row,
 * admin list with figures, lift), the global rule, feedback, and the fallback (failure rate,
 * velocity) for accounts that never report approvals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abuseBuild, assertRefusal, balance, BACKENDS, type Backend, HIGH, send } from './helpers.ts';
import type { Harness } from '../helpers/gateway.ts';

const ADMIN = 'admin-token-admin-token-admin-token';
const admin = { authorization: `Bearer ${ADMIN}` };
const ATTACK_PREFIX = '4479111'; // +44 7911 1xx xxx: one 7-digit pumping prefix
const attackNumber = (i: number) => `+${ATTACK_PREFIX}${String(i % 100_000).padStart(5, '0')}`;
const AREAS = ['212', '213', '312', '415', '617', '646', '702', '713', '718', '202', '305', '404', '503', '512', '602', '206', '303', '801', '917', '310'];
/** Normal users: spread over US area codes and exchanges (many 6- and 7-digit prefixes). */
const normalNumber = (i: number) => `+1${AREAS[i % AREAS.length]}${200 + (Math.floor(i / AREAS.length) % 700)}${String(1000 + i).slice(-4)}`;

/** Deterministic pseudo-random (mulberry32): the scenario is the same on every run. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function attack(h: Harness, attackSends: number, normalEvery: number) {
  const random = rng(42);
  const check = (id: string, code: string) => h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id, code } });
  const out = { attackOut: 0, attackRefused: 0, firstRefusal: -1, refusalCodes: new Set<string>(), normalSent: 0, normalRefused: 0, normalApproved: 0 };
  let n = 0;
  for (let i = 0; i < attackSends; i++) {
    h.advance(200);
    const res = await send(h, { to: attackNumber(i) });
    if (res.statusCode === 201) out.attackOut++;
    else {
      assert.equal(res.statusCode, 429, res.body);
      out.refusalCodes.add(res.json().error.code);
      if (out.firstRefusal < 0) out.firstRefusal = i;
      out.attackRefused++;
    }
    if (i % normalEvery === 0) {
      const code = String(100000 + Math.floor(random() * 900000));
      const r = await send(h, { to: normalNumber(n++), code });
      if (r.statusCode !== 201) {
        out.normalRefused++;
        continue;
      }
      out.normalSent++;
      // 80% of real users type their code back.
      if (random() < 0.8) {
        const c = await check(r.json().id, code);
        assert.equal(c.json().valid, true, c.body);
        out.normalApproved++;
      }
    }
  }
  return out;
}

const VOLUME = { per_account_1s: { points: 100_000 }, per_account_24h: { points: 100_000 }, per_key_1m: { points: 100_000 } };

for (const backend of BACKENDS) {
  test(`${backend}: attack — 10,000 sends to one prefix with 0 approvals amid normal traffic converting at 80%`, async (t) => {
    // Defaults, but the account-wide volume limits raised: this account legitimately sends thousands.
    const runs = [['detector alone (per_prefix_1m off)', { ...VOLUME, per_prefix_1m: { points: 0 } }]] as Array<[string, Record<string, unknown>]>;
    // With every default on, the per-prefix limit usually stops the attack first (20 a minute); once is enough (slow).
    if (backend === 'memory') runs.push(['all defaults on', VOLUME]);
    for (const [label, limits] of runs) {
      const h = await abuseBuild(t, backend, { limits }, { dispatch: { enabled: false } });
      const o = await attack(h, 10_000, 5);
      console.log(
        `[${backend}, ${label}] attack sends that went out before the block: ${o.attackOut} of 10000 (refused ${o.attackRefused}: ${[...o.refusalCodes].join(', ')}); ` +
          `normal sends ${o.normalSent}, approved ${o.normalApproved} (${Math.round((o.normalApproved / o.normalSent) * 100)}%), refused ${o.normalRefused}`,
      );
      assert.ok(o.attackOut < 100, `fewer than 100 attack sends went out: ${o.attackOut}`);
      assert.equal(o.normalRefused, 0, 'no normal send was refused');
      assert.ok(o.normalSent >= 2000);
      if (label.startsWith('detector')) {
        assert.deepEqual([...o.refusalCodes], ['suspected_fraud']);
        assert.equal(o.attackOut, 29, 'the send that reaches the floor (30, 0 approvals) is refused and makes the block');
      }
    }
  });
}

async function pumpingBuild(t: any, backend: Backend, pumping: Record<string, unknown> = {}) {
  const h = await abuseBuild(t, backend, { limits: HIGH, pumping: { floor: 5, ...pumping } }, { admin_token: ADMIN, dispatch: { enabled: false }, webhooks: { enabled: false } });
  const put = await h.app.inject({ method: 'PUT', url: '/v1/webhook', headers: h.auth(), payload: { url: 'https://example.com/hook' } });
  assert.equal(put.statusCode, 200, put.body);
  return h;
}

for (const backend of BACKENDS) {
  test(`${backend}: a block is an event — webhook row, admin list with its figures, 429 suspected_fraud, lift`, async (t) => {
    const h = await pumpingBuild(t, backend);
    // The account reports approvals (one elsewhere), so conversion applies.
    const ok = (await send(h, { to: '+12122345678', code: '123456' })).json();
    await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: ok.id, code: '123456' } });
    const before = await balance(h);
    for (let i = 0; i < 4; i++) assert.equal((await send(h, { to: attackNumber(i) })).statusCode, 201);
    const fifth = await send(h, { to: attackNumber(4) });
    assertRefusal(fifth, 429, 'suspected_fraud', { prefix: ATTACK_PREFIX });
    const blockId = fifth.json().error.block_id;
    assert.match(fifth.json().error.message, /otpgate blocks lift/);
    assert.equal(await balance(h), before - 4 * 50_000, 'the refused send was not charged');
    assertRefusal(await send(h, { to: attackNumber(5) }), 429, 'suspected_fraud', { block_id: blockId });

    const list = await h.app.inject({ method: 'GET', url: '/admin/blocks', headers: admin });
    assert.equal(list.statusCode, 200, list.body);
    const [b] = list.json().data;
    assert.equal(b.id, blockId);
    assert.equal(b.account_id, h.account.id);
    assert.equal(b.prefix, `+${ATTACK_PREFIX}`);
    assert.equal(b.reason, 'low_conversion');
    assert.deepEqual({ sent: b.figures.sent, approved: b.figures.approved, conversion: b.figures.conversion }, { sent: 5, approved: 0, conversion: 0 });
    assert.equal(Date.parse(b.expires_at) - Date.parse(b.created_at), 12 * 3_600_000, 'blocked 12 h by default');

    await h.gw.writer.flush();
    const hooks = await h.gw.store.db.selectFrom('webhook_outbox').selectAll().where('event', '=', 'abuse.block').execute();
    assert.equal(hooks.length, 1);
    assert.equal(JSON.parse(hooks[0].payload).data.block.id, blockId);

    const lifted = await h.app.inject({ method: 'POST', url: `/admin/blocks/${blockId}/lift`, headers: admin, payload: { by: 'ops' } });
    assert.equal(lifted.statusCode, 200, lifted.body);
    assert.equal(lifted.json().lifted_by, 'ops');
    assert.equal((await send(h, { to: attackNumber(6) })).statusCode, 201, 'lifted: the prefix is judged afresh');
    assert.equal((await h.app.inject({ method: 'POST', url: `/admin/blocks/${blockId}/lift`, headers: admin })).statusCode, 404);
    assert.equal((await h.app.inject({ method: 'GET', url: '/admin/blocks?all=true', headers: admin })).json().data.length, 1);
  });
}

test('a prefix blocked for 3 accounts is blocked for every account', async (t) => {
  const h = await pumpingBuild(t, 'memory');
  const accounts = [{ token: h.token }, await h.newAccount(), await h.newAccount(), await h.newAccount()];
  for (const [k, a] of accounts.slice(0, 3).entries()) {
    const ok = (await send(h, { to: `+1212234567${k}`, code: '123456' }, a.token)).json();
    await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(a.token), payload: { id: ok.id, code: '123456' } });
    for (let i = 0; i < 4; i++) assert.equal((await send(h, { to: attackNumber(k * 10 + i) }, a.token)).statusCode, 201);
    assertRefusal(await send(h, { to: attackNumber(k * 10 + 5) }, a.token), 429, 'suspected_fraud');
  }
  const fourth = await send(h, { to: attackNumber(99) }, accounts[3].token);
  assertRefusal(fourth, 429, 'suspected_fraud', { prefix: ATTACK_PREFIX });
  const global = (await h.app.inject({ method: 'GET', url: '/admin/blocks', headers: admin })).json().data.find((b: any) => b.account_id === '*');
  assert.equal(global.reason, 'accounts');
  assert.equal(global.figures.accounts, 3);
  assert.equal(fourth.json().error.block_id, global.id);
});

test('feedback: a code checked outside otpgate counts as approved, once; unknown ids are 404', async (t) => {
  const h = await pumpingBuild(t, 'memory');
  const v = (await send(h, { to: attackNumber(1) })).json();
  const fb = () => h.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/feedback`, headers: h.auth(), payload: { status: 'approved' } });
  const r = await fb();
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().status, 'approved');
  assert.equal((await fb()).statusCode, 200, 'twice is fine');
  // 1 approval of 5 sends = 20% conversion > 10%: no block; the reporter flag is set.
  for (let i = 2; i < 6; i++) assert.equal((await send(h, { to: attackNumber(i) })).statusCode, 201);
  const bad = await h.app.inject({ method: 'POST', url: `/v1/verifications/${v.id}/feedback`, headers: h.auth(), payload: { status: 'denied' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.field, 'status');
  assert.equal((await h.app.inject({ method: 'POST', url: `/v1/verifications/${'0'.repeat(32)}/feedback`, headers: h.auth(), payload: { status: 'approved' } })).statusCode, 404);
});

for (const backend of BACKENDS) {
  test(`${backend}: an account that never reports approvals is judged on failures and velocity, not conversion`, async (t) => {
    const failing = Array.from({ length: 6 }, (_, i) => `+${ATTACK_PREFIX}0000${i}`);
    const h = await abuseBuild(
      t,
      backend,
      { limits: HIGH, pumping: { floor: 5, failure_floor: 5, failure_threshold: 0.6, velocity_max: 12 } },
      { dev_inbox: { undelivered_numbers: failing } },
    );
    // 8 sends to a prefix that delivers, no approval ever: low conversion does not block (not told).
    for (let i = 0; i < 8; i++) assert.equal((await send(h, { to: `+1212234${String(5000 + i)}` })).statusCode, 201);
    // Failing numbers: after 5 failed receipts the prefix is blocked on failure rate.
    for (const n of failing.slice(0, 5)) assert.equal((await send(h, { to: n })).statusCode, 201);
    await h.settle();
    await h.gw.abuse.flushReceipts();
    const res = await send(h, { to: failing[5] });
    assertRefusal(res, 429, 'suspected_fraud', { prefix: ATTACK_PREFIX });
    const block = (await h.gw.store.db.selectFrom('abuse_blocks').selectAll().executeTakeFirstOrThrow());
    assert.equal(block.reason, 'delivery_failures');
    assert.equal(JSON.parse(block.figures).failed, 5);
    // Velocity: the 12th send in the window to one prefix (all delivered) is refused.
    const results = [];
    for (let i = 8; i < 12; i++) results.push((await send(h, { to: `+1212234${String(5000 + i)}` })).statusCode);
    assert.deepEqual(results, [201, 201, 201, 429]);
    const v = await h.gw.store.db.selectFrom('abuse_blocks').select('reason').where('prefix', '=', '1212234').executeTakeFirstOrThrow();
    assert.equal(v.reason, 'velocity');
  });
}
