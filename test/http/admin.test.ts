// GET /admin/providers: guarded by config admin_token (404 naming the key when unset, 401 on a
// wrong token), and showing the real state of the links: two SMPP binds to the SMSC simulator
// over TCP (state, window, submits/s, receipts/s, errors), a circuit opened by a failing HTTP
// carrier, and the binds going down when the SMSC goes away.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startSmsc } from '../../tools/smsc/server.ts';
import { startFake } from '../fakes/server.ts';
import { build, type Harness } from '../helpers/gateway.ts';

const TOKEN = 'admin-token-0123456789abcdef';

function admin(h: Harness, authorization?: string) {
  return h.app.inject({ method: 'GET', url: '/admin/providers', headers: authorization ? { authorization } : {} });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('without admin_token /admin is 404 naming the key; with it, 401 unless the Bearer token matches', async (t) => {
  const off = await build(t);
  const res = await admin(off, `Bearer ${TOKEN}`);
  assert.equal(res.statusCode, 404);
  assert.deepEqual([res.json().error.code, res.json().error.field], ['admin_disabled', 'admin_token']);
  assert.match(res.json().error.message, /admin_token/);

  const h = await build(t, { admin_token: TOKEN });
  for (const bad of [undefined, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, `Bearer ${h.token}`]) {
    const r = await admin(h, bad);
    assert.equal(r.statusCode, 401, `${bad}: ${r.body}`);
    assert.deepEqual([r.json().error.code, r.json().error.field], ['unauthorized', 'Authorization']);
  }
  const ok = await admin(h, `bearer ${TOKEN}`);
  assert.equal(ok.statusCode, 200, ok.body);
  const body = ok.json();
  assert.deepEqual(body.providers, [
    { name: 'devinbox', kind: 'devinbox', channels: ['sms', 'voice'], state: 'up', circuit: { state: 'closed', calls: 0, faults: 0, opened: 0 }, status: body.providers[0].status },
  ]);
  assert.equal(body.dispatcher.running, true);
  await assert.rejects(build(t, { admin_token: 'short' }), /admin_token/, 'a guessable token stops the start, naming the key');
});

test('SMPP binds, rates and errors against the simulator; a circuit opened by a failing carrier; binds down when the SMSC goes', async (t: TestContext) => {
  const smsc = await startSmsc({ invalid_prefixes: ['1415555999'] });
  let smscUp = true;
  t.after(() => (smscUp ? smsc.close() : undefined));
  const down = await startFake(() => ({ status: 503, body: { error: 'down' } }));
  t.after(() => down.close());
  const h = await build(t, {
    admin_token: TOKEN,
    providers: [
      { name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: smsc.port, binds: 2, system_id: 'otpgate', password: 'secret', source_addr: 'OTPGate', reconnect_min_ms: 20, reconnect_max_ms: 200, response_timeout_ms: 2000 },
      { name: 'flaky', kind: 'http', url: `${down.url}/sms` },
      { name: 'devinbox', kind: 'devinbox' },
    ],
    routes: [
      { providers: [{ name: 'carrier' }, { name: 'devinbox' }] },
      { prefix: '44', providers: [{ name: 'flaky' }, { name: 'devinbox' }] },
    ],
    dispatch: { poll_ms: 20, breaker: { window: 10, min_calls: 3, threshold: 0.5, open_seconds: 60 } },
  });
  const view = async () => {
    const res = await admin(h, `Bearer ${TOKEN}`);
    assert.equal(res.statusCode, 200, res.body);
    return Object.fromEntries((res.json().providers as Array<{ name: string }>).map((p) => [p.name, p])) as Record<string, any>;
  };
  await until('both binds up', async () => ((await view()).carrier.state === 'up' ? true : undefined));

  const to = ['+14155552101', '+14155552102', '+14155552103', '+14155552104', '+14155552105', '+14155552106', '+14155559991', '+447400123451', '+447400123452', '+447400123453'];
  const ids: string[] = [];
  for (const n of to) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: n, channel: 'sms' } });
    assert.equal(res.statusCode, 201, res.body);
    ids.push(res.json().message.id);
  }
  const rows = await until('every message delivered', async () => {
    await h.settle();
    const r = await h.gw.store.db.selectFrom('messages').select(['to_number', 'status', 'provider']).where('id', 'in', ids).execute();
    return r.every((m) => m.status === 'delivered') ? r : undefined;
  });
  const via = (n: string) => rows.find((r) => r.to_number === n)!.provider;
  assert.equal(via('+14155552101'), 'carrier');
  assert.equal(via('+14155559991'), 'devinbox', 'refused by the SMSC (invalid destination), delivered by the next provider');
  assert.equal(via('+447400123453'), 'devinbox');

  const v = await until('a second of rates measured', async () => {
    const p = await view();
    const sum = (k: string) => Math.round(p.carrier.status.binds.reduce((s: number, b: any) => s + b[k], 0) * 10);
    return sum('submits_per_s') === 6 && sum('receipts_per_s') === 6 ? p : undefined;
  });
  const carrier = v.carrier;
  assert.deepEqual([carrier.kind, carrier.state, carrier.circuit.state], ['smpp', 'up', 'closed']);
  assert.equal(carrier.status.binds.length, 2);
  for (const b of carrier.status.binds) {
    assert.deepEqual([b.role, b.state, b.window_in_use, b.window], ['transceiver', 'bound', 0, 10]);
    assert.ok(b.submits_per_s >= 0 && b.receipts_per_s >= 0);
  }
  assert.equal(carrier.status.binds.reduce((s: number, b: any) => s + b.errors, 0), 1, 'the one refused submit');
  assert.match(carrier.status.binds.map((b: any) => b.last_error ?? '').join(''), /invalid destination/);
  assert.deepEqual([v.flaky.kind, v.flaky.state, v.flaky.circuit.state, v.flaky.circuit.opened], ['http', 'circuit_open', 'open', 1]);
  assert.equal(v.flaky.circuit.open_until, h.clock.now + 60_000);
  assert.equal(v.devinbox.state, 'up');

  await smsc.close();
  smscUp = false;
  const gone = await until('the binds down', async () => {
    const p = await view();
    return p.carrier.state === 'down' ? p : undefined;
  });
  assert.ok(gone.carrier.status.binds.every((b: any) => b.state !== 'bound'));
});
