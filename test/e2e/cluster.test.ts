/**
 * Scale-out, end to end: three real `otpgate start` processes on one PostgreSQL database and
 * one Redis, each on its own port, the SMSC simulator (tools/smsc, real TCP) as the carrier with
 * `binds: 2` for the whole deployment, one bind each on two of the three (none holds 2 while
 * another idles). Sends spread over the three; in the middle the instance holding a bind is
 * killed with kill -9, and later another instance's bind is cut at the SMSC. Every accepted message must end final,
 * duplicates at the SMSC stay within one SMPP window per lost bind, never more than 2 binds are
 * up at once, and 20 concurrent wrong guesses over the three count exactly max_attempts. The
 * takeover of a dead instance's bind slot is test/store/cluster.test.ts's (real leases, real SQL).
 *
 * Scale-out is PostgreSQL's mode, so this file runs in the PostgreSQL pass of `npm test` (and
 * fails there when PostgreSQL or Redis is down). OTPGATE_E2E_N sets the number of sends
 * (default 600; the 20,000 is `OTPGATE_E2E_N=20000 OTPGATE_TEST_DB=postgres node
 * --import tsx --test test/e2e/cluster.test.ts`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFinalMessageStatus } from '../../src/core/status.ts';
import { openDatabase } from '../../src/store/dialect.ts';
import { startSmsc } from '../../tools/smsc/server.ts';
import { databaseForDir, testDialect } from '../helpers/db.ts';
import { api, startServer, stop, tempDir, until, type ServerProcess } from './server-process.ts';

const N = Number(process.env.OTPGATE_E2E_N ?? 600);
const WINDOW = 10;
const MAX_ATTEMPTS = 5;
const REDIS_URL = process.env.OTPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'e2e-cluster-admin-token-0123456789abcdef';

/** The SMPP binds an instance has up now, from its GET /admin/providers; 0 once it is gone. */
async function boundBinds(s: ServerProcess): Promise<number> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return 0;
  const r = await api(s, ADMIN, 'GET', '/admin/providers');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const binds = (r.json.providers[0].status.binds ?? []) as Array<{ state: string }>;
  return binds.filter((b) => b.state === 'bound').length;
}

if (testDialect === 'postgres')
  test(`3 instances, one PostgreSQL database, binds: 2 in all: ${N} sends, a kill -9 and a cut bind, every accepted message final`, { timeout: 600_000 + N * 60 }, async (t) => {
    const smsc = await startSmsc({ outcomes: { '0': 'DELIVRD' }, max_messages: 10 * N + 1000 });
    t.after(() => smsc.close());
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, smsc.stats().bound)), 10);
    t.after(() => clearInterval(sampler));

    const dir = tempDir(t, 'otpgate-cluster-');
    const config = join(dir, 'otpgate.json');
    writeFileSync(
      config,
      JSON.stringify({
        dev_inbox: { enabled: false },
        // Thousands of sends in minutes from one key to one number range: a flood the abuse limits
        // (per_prefix_1m, per_key_1m, pumping) would rightly stop. Limits across instances are
        // test/abuse/redis.test.ts's.
        abuse: { enabled: false },
        verify: { max_attempts: MAX_ATTEMPTS },
        providers: [{ name: 'sim', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', source_addr: 'OTPGate', binds: 2, window: WINDOW }],
        routes: [{ providers: [{ name: 'sim' }] }],
        // Short leases, so the kill's rows and bind slot come back within the test.
        dispatch: { lease_ms: 5_000, poll_ms: 200, concurrency: 2 * WINDOW, batch: WINDOW },
        store: { slot_lease_ms: 3_000 },
      }),
    );
    const database = await databaseForDir(dir);
    // The commands of the README's "Running several instances", one per instance.
    const env = { OTPGATE_CONFIG: config, DATABASE_URL: database.url, REDIS_URL, OTPGATE_SECRET: 'e2e-cluster-secret-e2e-cluster-secret-01', OTPGATE_ADMIN_TOKEN: ADMIN };
    const nodes: ServerProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startServer(dir, env, 60_000);
      t.after(() => stop(s, 'SIGKILL'));
      nodes.push(s);
    }
    const key = nodes[0].apiKey!;
    assert.match(key, /^otpg_/, 'the first instance created the dev account');
    assert.equal(nodes[1].apiKey, undefined, 'the others found it');
    await until('2 binds up at the SMSC', async () => (smsc.stats().bound === 2 ? true : undefined), 30_000);
    // The first instance started alone and took both slots; once the others joined it hands one
    // over (its lease lapses first): one bind each on two instances, never two on one.
    const spread = await until(
      'the 2 binds on two instances',
      async () => {
        const held = await Promise.all(nodes.map(boundBinds));
        return smsc.stats().bound === 2 && held.filter((n) => n === 1).length === 2 ? held : undefined;
      },
      30_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}: binds per instance ${JSON.stringify(await Promise.all(nodes.map(boundBinds)))}`);
    });
    console.log(`cluster e2e: binds per instance ${JSON.stringify(spread)}`);

    // 20 concurrent wrong guesses spread over the three count exactly max_attempts.
    const v = await api(nodes[0], key, 'POST', '/v1/verifications', { to: '+14155550100', channel: 'sms' });
    assert.equal(v.status, 201, JSON.stringify(v.json));
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => api(nodes[i % 3], key, 'POST', '/v1/verifications/check', { id: v.json.id, code: '000000' })));
    // Each counted guess is answered 200 valid:false (the last one with status max_attempts_reached); the rest are refused.
    const counted = guesses.filter((g) => g.status === 200 && g.json.valid === false);
    assert.deepEqual(counted.map((g) => g.json.attempts_left).sort(), [0, 1, 2, 3, 4]);
    assert.equal(counted.length, MAX_ATTEMPTS, guesses.map((g) => `${g.status} ${JSON.stringify(g.json)}`).join('\n'));
    for (const s of nodes) {
      const seen = await api(s, key, 'GET', `/v1/verifications/${v.json.id}`);
      assert.equal(seen.status, 200);
      assert.equal(seen.json.attempts, MAX_ATTEMPTS, `instance ${s.url} sees every attempt`);
    }
    console.log(`cluster e2e: 20 concurrent wrong guesses over 3 instances counted ${counted.length} (max_attempts ${MAX_ATTEMPTS}); each instance sees attempts ${MAX_ATTEMPTS}`);

    // The sends: round robin over the live instances, 24 in flight; one kill -9 and one cut bind on the way.
    const t0 = Date.now();
    const accepted: string[] = [];
    let refused = 0;
    const refusals: Record<string, number> = {};
    let next = 0;
    const live = () => nodes.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    const killAt = Math.floor(N / 3);
    const cutAt = Math.floor((2 * N) / 3);
    let killed: ServerProcess | undefined;
    let cut = false;
    const worker = async () => {
      for (let i = next++; i < N; i = next++) {
        if (i === killAt) {
          // An instance holding a bind dies with its claims, its submits and its receipts in flight:
          // its rows come back after their lease, its slot after the slot lease; a receipt it had
          // not committed was not acknowledged (deliver_sm_resp follows the commit), so the SMSC
          // delivers it again on a live bind.
          const held = await Promise.all(nodes.map(boundBinds));
          killed = nodes[held.findIndex((n) => n > 0)];
          assert.ok(killed, `an instance holding a bind: ${JSON.stringify(held)}`);
          killed.child.kill('SIGKILL');
          await killed.exited;
        }
        // The cut: once the survivors hold both binds again (the killed one's slot lapsed and was
        // taken over), every bind at the SMSC is a live instance's, so dropOne cuts another
        // instance's bind than the killed one's.
        if (i === cutAt)
          cut = await until('a survivor’s bind to cut', async () => {
            if (smsc.stats().bound < 2) return undefined;
            const held = await Promise.all(live().map(boundBinds));
            return held.reduce((n, x) => n + x, 0) === 2 && smsc.dropOne() ? true : undefined;
          }, 60_000);
        const targets = live();
        const s = targets[i % targets.length];
        try {
          const r = await api(s, key, 'POST', '/v1/verifications', { to: `+1415${String(3_000_000 + i).padStart(7, '0')}`, channel: 'sms' });
          if (r.status === 201) accepted.push(r.json.message.id);
          else {
            refused++;
            const why = `${r.status} ${r.json?.error?.code ?? ''}`;
            refusals[why] = (refusals[why] ?? 0) + 1;
          }
        } catch {
          refused++; // the connection died with the instance: never accepted
          refusals['connection lost'] = (refusals['connection lost'] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 24 }, worker));
    assert.ok(killed, 'an instance was killed');
    assert.ok(cut, 'a bind was cut');
    console.log(`cluster e2e: ${accepted.length} accepted, ${refused} refused around the kill ${JSON.stringify(refusals)} (${N} sends in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    assert.ok(accepted.length >= N - 100, `nearly all accepted: ${accepted.length} of ${N}`);

    const store = await openDatabase(database.url);
    t.after(() => store.close());
    const tally = async () => {
      const rows = await store.db.selectFrom('messages').select(['id', 'status', 'to_number', 'locked_by', 'provider_message_id']).where('id', 'in', accepted).execute();
      const open = rows.filter((r) => !isFinalMessageStatus(r.status));
      return { rows, open };
    };
    const finals = await until(
      'every accepted message final',
      async () => {
        const { rows, open } = await tally();
        return rows.length === accepted.length && open.length === 0 ? rows : undefined;
      },
      120_000 + N * 20,
    ).catch(async (err) => {
      const { open } = await tally();
      const parked = await store.db.selectFrom('pending_receipts').selectAll().execute();
      const problems = nodes.flatMap((n) => n.log.filter((l) => Number(l.level) >= 40).map((l) => `${l.msg} ${JSON.stringify(l.err ?? '')}`.slice(0, 300)));
      throw new Error(`${(err as Error).message}: ${problems.length} warnings: ${problems.slice(-8).join(' | ')}; ${open.length} open, e.g. ${JSON.stringify(open.slice(0, 5))}; parked receipts ${JSON.stringify(parked.slice(0, 5))}; smsc ${JSON.stringify(smsc.stats())}`);
    });
    const statuses: Record<string, number> = {};
    for (const r of finals) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    assert.deepEqual(statuses, { delivered: accepted.length }, 'all delivered');
    console.log(`cluster e2e: all ${accepted.length} accepted delivered ${((Date.now() - t0) / 1000).toFixed(1)} s after the first send`);

    const atSmsc = new Map<string, number>();
    for (const m of smsc.messages) atSmsc.set(m.to, (atSmsc.get(m.to) ?? 0) + 1);
    const missing = finals.filter((r) => !atSmsc.has(r.to_number.replace(/^\+/, '')));
    assert.deepEqual(missing, [], 'every delivered message reached the SMSC');
    const duplicates = [...atSmsc.values()].reduce((n, c) => n + c - 1, 0);
    // Lost binds: the killed instance's one (binds are spread: it held one) and the cut one.
    const lostBinds = 2;
    console.log(`cluster e2e: duplicates at the SMSC ${duplicates} (bound: window ${WINDOW} × ${lostBinds} lost binds); peak binds ${peak}`);
    assert.ok(duplicates <= WINDOW * lostBinds, `duplicates ${duplicates} within the window per lost bind`);
    assert.ok(smsc.stats().peak_bound <= 2 && peak <= 2, `never more than 2 binds at once (peak ${smsc.stats().peak_bound})`);

    for (const s of live()) assert.deepEqual(await stop(s), { code: 0, signal: null }, 'SIGTERM is a clean shutdown');
    const leases = await store.db.selectFrom('cluster_leases').selectAll().where('name', 'not like', 'member:%').execute();
    assert.deepEqual(leases, [], 'a clean shutdown gives the bind slots back (the killed one’s were taken over)');
  });
