// Several instances on one database: leases of cluster slots, the event bus, Idempotency-Key
// races. On SQLite the instances share a file (as processes would); on PostgreSQL a database.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { buildApp } from '../../src/http/app.ts';
import { createAccount, createApiKey } from '../../src/store/accounts.ts';
import { openDatabase, type OpenDb } from '../../src/store/dialect.ts';
import type { StoreEvent } from '../../src/store/events.ts';
import { acquireLease, leasesLike, releaseLeases, renewLease, SlotPool } from '../../src/store/leases.ts';
import { migrate } from '../../src/store/migrations.ts';
import { testDatabase } from '../helpers/db.ts';

async function shared(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-cluster-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, database: await testDatabase({ dir }) };
}

async function store(t: TestContext) {
  const { database } = await shared(t);
  const s = await openDatabase(database.url);
  t.after(() => s.close());
  await migrate(s.db, s.dialect);
  return s;
}

test('a lease: one holder at a time, renewed only by its holder, free again after it lapses or is released', async (t) => {
  const { db } = await store(t);
  assert.equal(await acquireLease(db, 'slot:1', 'a', 1000, 0), true);
  assert.equal(await acquireLease(db, 'slot:1', 'b', 1000, 500), false, 'held by a');
  assert.equal(await renewLease(db, 'slot:1', 'b', 1000, 500), false, 'only its holder renews');
  assert.equal(await renewLease(db, 'slot:1', 'a', 1000, 900), true);
  assert.equal(await acquireLease(db, 'slot:1', 'b', 1000, 1800), false, 'renewed until 1900');
  assert.equal(await acquireLease(db, 'slot:1', 'b', 1000, 1900), true, 'lapsed: b takes it over');
  assert.equal(await renewLease(db, 'slot:1', 'a', 1000, 1950), false, 'a learns it lost it');
  await releaseLeases(db, ['slot:1'], 'a');
  assert.deepEqual((await leasesLike(db, 'slot:')).map((l) => l.holder), ['b'], 'a cannot release what b holds');
  await releaseLeases(db, ['slot:1'], 'b');
  assert.equal(await acquireLease(db, 'slot:1', 'a', 1000, 2000), true, 'released: free at once');
});

/**
 * Slot pools of 2 slots on `db`, as instances would run them: `holding` is what each holder uses
 * (onAcquire/onLose), and a slot acquired while another holder still uses it fails the test.
 */
function slotPools(db: OpenDb['db']) {
  const holding = new Map<string, Set<number>>();
  const errors: unknown[] = [];
  let peak = 0;
  const total = () => [...holding.values()].reduce((n, s) => n + s.size, 0);
  const pool = (holder: string) => {
    holding.set(holder, new Set());
    return new SlotPool({
      db,
      prefix: 'smpp:acme@sim:',
      total: 2,
      holder,
      ttlMs: 900,
      now: Date.now,
      onAcquire: (i) => {
        for (const [h, s] of holding) assert.ok(h === holder || !s.has(i), `slot ${i} held twice (by ${h})`);
        holding.get(holder)!.add(i);
        peak = Math.max(peak, total());
      },
      onLose: (i) => holding.get(holder)!.delete(i),
      onError: (err) => errors.push(err),
    });
  };
  const shown = () => JSON.stringify([...holding].map(([h, s]) => [h, [...s]]));
  return { holding, errors, pool, total, shown, peak: () => peak };
}

test('3 instances, 2 slots: never more than 2 held; a dead one’s slots are taken over after its lease, a share each', async (t) => {
  const { db } = await store(t);
  const { holding, errors, pool, total, shown, peak } = slotPools(db);
  const pools = ['a', 'b', 'c'].map(pool);
  for (const p of pools) p.start();
  // Started together, one pool may take both before it sees the others' member rows; it hands
  // the excess over (its lease lapses first), so wait for a share each.
  const spread = () => total() === 2 && [...holding.values()].every((s) => s.size <= 1);
  for (let i = 0; i < 300 && !spread(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(spread(), `2 slots, one each: ${shown()}`);
  // Let a few renewals go by (the pools tick every ttl/3, 300 ms): still 2 in all, one each.
  await new Promise((r) => setTimeout(r, 1_000));
  assert.ok(spread(), 'still 2 in all, one each');

  // "kill -9" one holder: its timers stop, its rows stay until they lapse.
  const [victim] = [...holding].find(([, s]) => s.size >= 1)!;
  const dead = pools[['a', 'b', 'c'].indexOf(victim)];
  (dead as unknown as { stopped: boolean }).stopped = true;
  clearTimeout((dead as unknown as { timer: NodeJS.Timeout }).timer);
  const lost = [...holding.get(victim)!];
  holding.get(victim)!.clear();
  // Its lease and its member row lapse after 900 ms; the survivors renew theirs meanwhile.
  for (let i = 0; i < 200 && total() < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(total(), 2, `slots ${lost} taken over by the survivors`);
  assert.ok([...holding.values()].every((s) => s.size <= 1), `two live instances, a share of 1 each: ${shown()}`);
  assert.ok(peak() <= 2, `never more than 2 at once (peak ${peak()})`);
  await Promise.all(pools.map((p) => p.stop()));
  assert.deepEqual(await leasesLike(db, 'smpp:'), [], 'a clean stop gives its slots back');
  assert.deepEqual(errors, []);
});

test('2 slots: the instance that started alone and took both hands one over when peers join, so none idles while another holds 2', async (t) => {
  const { db } = await store(t);
  const { holding, errors, pool, total, shown } = slotPools(db);
  const sizes = () => [...holding.values()].map((s) => s.size);
  const wait = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(ok(), `${what}: ${shown()}`);
  };
  const a = pool('a');
  a.start();
  t.after(() => a.stop());
  await wait('alone, a takes both slots', () => holding.get('a')!.size === 2);
  const peers = [pool('b'), pool('c')];
  for (const p of peers) {
    p.start();
    t.after(() => p.stop());
  }
  await wait('a share of 1: a keeps one, a peer binds the other', () => holding.get('a')!.size === 1 && total() === 2);
  assert.ok(sizes().every((n) => n <= 1), 'nobody holds 2');
  // Stable: a few lease periods later nothing moved (no flapping between the three).
  const before = shown();
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(shown(), before);
  await Promise.all([a, ...peers].map((p) => p.stop()));
  assert.deepEqual(await leasesLike(db, 'smpp:'), [], 'a clean stop gives its slots back');
  assert.deepEqual(errors, []);
});

async function instance(t: TestContext, url: string, dir: string): Promise<Gateway> {
  const config = loadConfig(
    { database_url: url, data_dir: dir, secret: 'cluster-secret-cluster-secret-cluster-01', log_level: 'silent', bootstrap_dev_account: false },
    { NODE_ENV: 'test' },
  );
  const gw = await createGateway(config, { log: pino({ level: 'silent' }) });
  t.after(() => gw.close());
  return gw;
}

test('events of one instance reach the others (PostgreSQL NOTIFY); alone on SQLite the bus stays idle', async (t) => {
  const { dir, database } = await shared(t);
  const a = await instance(t, database.url, dir);
  const b = await instance(t, database.url, dir);
  const seen: StoreEvent[] = [];
  b.hub.on((e) => seen.push(e));
  const account = await createAccount(a.store.db, { name: 't', defaultRegion: 'US', balance: 1_000_000_000, now: Date.now() });
  const sent = await a.verify.send({ account, family: 'native', to: '+14155552671', channel: 'sms' });
  if (database.dialect === 'postgres') {
    for (let i = 0; i < 200 && !seen.some((e) => e.type === 'message.created'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(
      seen.some((e) => e.type === 'message.created' && e.messageId === sent.message.id),
      'b heard of the message a accepted',
    );
    assert.ok(a.bus.stats.sent > 0 && b.bus.stats.received > 0);
  } else {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.filter((e) => e.type === 'message.created').length, 0, 'SQLite: one process per file, no fan-out');
    assert.equal(a.bus.stats.sent, 0);
  }
});

test('the same Idempotency-Key at the same moment on two instances: one verification, charged once, both answered 201 with it', async (t) => {
  const { dir, database } = await shared(t);
  const gws = [await instance(t, database.url, dir), await instance(t, database.url, dir)];
  const apps = await Promise.all(gws.map((gw) => buildApp(gw, { logger: false })));
  t.after(() => Promise.all(apps.map((app) => app.close())));
  const account = await createAccount(gws[0].store.db, { name: 't', defaultRegion: 'US', balance: 1_000_000_000, now: Date.now() });
  const { token } = await createApiKey(gws[0].store.db, account.id, '*', Date.now());
  for (let round = 0; round < 5; round++) {
    const key = `race-${round}`;
    const payload = { to: `+1415555${2700 + round}`, channel: 'sms' };
    const res = await Promise.all(
      [0, 1, 0, 1].map((i) =>
        apps[i].inject({ method: 'POST', url: '/v1/verifications', headers: { authorization: `Bearer ${token}`, 'idempotency-key': key }, payload }),
      ),
    );
    assert.deepEqual(res.map((r) => r.statusCode), [201, 201, 201, 201], res.map((r) => r.body).join('\n'));
    assert.equal(new Set(res.map((r) => r.json().id)).size, 1, 'one verification');
  }
  const rows = await gws[0].store.db.selectFrom('verifications').select('id').execute();
  assert.equal(rows.length, 5);
  const charges = await gws[0].store.db.selectFrom('ledger').select('id').execute();
  assert.equal(charges.length, 5, 'charged once per key');
});
