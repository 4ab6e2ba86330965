/**
 * Graceful drain of the real process (`otpgate start`) bound to a real SMSC over TCP: on SIGTERM
 * /readyz answers 503 while the listener stays open, new sends get 503 with Retry-After, the
 * submits in flight (held by a slow SMSC) finish, the bind unbinds, writes are flushed and the
 * process exits 0. A second signal exits at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parse from 'parse-prometheus-text-format';
import { openDatabase } from '../../src/store/dialect.ts';
import { startSmsc, type Smsc } from '../../tools/smsc/server.ts';
import { databaseForDir } from '../helpers/db.ts';
import { api, startServer, tempDir, until, type ServerProcess } from './server-process.ts';

const ADMIN = 'drain-admin-token-0123456789abcdef';

async function gateway(t: { after(fn: () => unknown): void }, smsc: Smsc, graceMs: number): Promise<{ s: ServerProcess; dir: string }> {
  const dir = tempDir(t, 'otpgate-drain-');
  const config = join(dir, 'otpgate.json');
  writeFileSync(
    config,
    JSON.stringify({
      providers: [{ name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', window: 10, response_timeout_ms: 10_000 }],
      routes: [{ providers: [{ name: 'carrier' }] }],
      shutdown: { grace_ms: graceMs, timeout_ms: 60_000 },
    }),
  );
  const s = await startServer(dir, { OTPGATE_CONFIG: config, OTPGATE_ADMIN_TOKEN: ADMIN });
  t.after(() => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  });
  await until('the SMPP bind', async () => (smsc.stats().binds >= 1 ? true : undefined));
  return { s, dir };
}

test('SIGTERM drains: readyz 503 with the listener open, sends 503 + Retry-After, in-flight submits finish, unbind, exit 0', async (t) => {
  // Each submit_sm waits 1.5 s for its answer: the signal lands while they are in flight.
  const smsc = await startSmsc({ response_delay_ms: 1500 });
  t.after(() => smsc.close());
  const { s, dir } = await gateway(t, smsc, 1000);
  const key = s.apiKey!;
  const ids: string[] = [];
  for (const to of ['+14155552671', '+9779801234567', '+447400123456', '+14155552672', '+989121234567']) {
    const r = await api(s, key, 'POST', '/v1/verifications', { to, channel: 'sms' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    ids.push(r.json.message.id);
  }
  await until('five submits at the SMSC', async () => (smsc.stats().submits >= 5 ? true : undefined));
  const providers = await api(s, ADMIN, 'GET', '/admin/providers');
  assert.equal(providers.json.providers[0].status.binds[0].window_in_use, 5, 'the five submits await their answers as the signal lands');

  // The real process exposes Node's own metrics beside the gateway's.
  const scrape = await fetch(new URL('/metrics', s.url), { headers: { authorization: `Bearer ${ADMIN}` } });
  const families = parse(await scrape.text()).map((f) => f.name);
  for (const name of ['otpgate_process_cpu_user_seconds_total', 'otpgate_nodejs_eventloop_lag_seconds', 'otpgate_sends_total', 'otpgate_smpp_bind_up']) assert.ok(families.includes(name), `${name} in the scrape`);

  s.child.kill('SIGTERM');
  // The listener stays open: /readyz answers (never a refused connection) and turns 503.
  const ready = await until('readyz 503', async () => {
    const res = await fetch(new URL('/readyz', s.url));
    return res.status === 503 ? await res.json() : undefined;
  });
  assert.equal(ready.status, 'draining');
  const refused = await fetch(new URL('/v1/verifications', s.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: '+14155552673', channel: 'sms' }),
  });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.equal((await refused.json()).error.code, 'draining');
  assert.equal((await fetch(new URL('/healthz', s.url))).status, 200, 'alive while draining');

  const exit = await s.exited;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(smsc.stats().unbinds >= 1, 'the bind was closed with unbind');
  assert.ok(s.log.some((l) => /^drained/.test(String(l.msg))), 'the log says the drain finished');

  // What the process left in its database (the dir's SQLite file or PostgreSQL database).
  const store = await openDatabase((await databaseForDir(dir)).url);
  t.after(() => store.close());
  const rows = await store.db.selectFrom('messages').select(['id', 'status', 'provider_message_id']).execute();
  assert.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort(), 'the refused send wrote nothing');
  for (const r of rows) {
    assert.ok(['sent', 'delivered'].includes(r.status), `message ${r.id} is ${r.status}: the writer flushed the submit's outcome`);
    assert.ok(r.provider_message_id, `message ${r.id} keeps its carrier id`);
  }
});

test('a second signal during the drain exits at once', async (t) => {
  const smsc = await startSmsc();
  t.after(() => smsc.close());
  // A grace far longer than the test's timeout: only the second signal can end the process in time.
  const { s } = await gateway(t, smsc, 300_000);
  s.child.kill('SIGTERM');
  await until('readyz 503', async () => ((await fetch(new URL('/readyz', s.url))).status === 503 ? true : undefined));
  s.child.kill('SIGINT');
  const exit = await s.exited;
  assert.deepEqual(exit, { code: 1, signal: null });
  assert.ok(s.log.some((l) => /second signal/.test(String(l.msg))));
});
