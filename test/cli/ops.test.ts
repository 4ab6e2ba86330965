/**
 * The operator's commands as real child processes: `otpgate doctor` against a healthy setup
 * (real SMSC bind, real Redis, Twilio credentials checked on a local peer, public_url answered by
 * a listening gateway) and a broken one (each problem named with its fix, exit 1);
 * `otpgate send --count N` with its progress bar; `otpgate messages list|show`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSmsc } from '../../tools/smsc/server.ts';
import { startServer, stop, tempDir } from '../e2e/server-process.ts';
import { closedPort, otpgate } from '../helpers/cli.ts';
import { testDialect } from '../helpers/db.ts';
import { build } from '../helpers/gateway.ts';

const SID = `AC${'a1'.repeat(16)}`;
const TOKEN = 'twilio-auth-token-0123456789';

/** Twilio's Account fetch (GET /2010-04-01/Accounts/{sid}.json, Basic auth; 401 code 20003 otherwise). */
async function twilioAccountPeer(t: { after(fn: () => unknown): void }): Promise<string> {
  const expected = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;
  const server = createHttpServer((req, res) => {
    const good = req.method === 'GET' && req.url === `/2010-04-01/Accounts/${SID}.json` && req.headers.authorization === expected;
    res.writeHead(good ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(good ? { sid: SID, status: 'active' } : { code: 20003, message: 'Authenticate', status: 401 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

test('otpgate doctor: a healthy setup passes every check, exit 0', async (t) => {
  const dir = tempDir(t, 'otpgate-doctor-');
  const smsc = await startSmsc();
  t.after(() => smsc.close());
  const twilio = await twilioAccountPeer(t);
  const h = await build(t, { dispatch: { enabled: false } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const gatewayUrl = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  const config = join(dir, 'otpgate.json');
  writeFileSync(
    config,
    JSON.stringify({
      redis_url: 'redis://127.0.0.1:6379',
      public_url: gatewayUrl,
      admin_token: 'doctor-admin-token-0123456789',
      providers: [
        { name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret' },
        { name: 'twilio', kind: 'twilio', account_sid: SID, auth_token: TOKEN, from: '+15005550006', base_url: twilio },
      ],
      routes: [{ providers: [{ name: 'carrier' }] }],
    }),
  );
  assert.equal((await otpgate(dir, ['migrate'], { OTPGATE_CONFIG: config })).code, 0);
  const r = await otpgate(dir, ['doctor'], { OTPGATE_CONFIG: config });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const line of [/✓ config: valid/, new RegExp(`✓ database: ${testDialect} at `), /✓ migrations: all \d+ applied/, /✓ redis: .* answers PONG/, /✓ carrier carrier: smpp: 1 bind to 127\.0\.0\.1:\d+ bound, then unbound/, /✓ carrier twilio: twilio: credentials accepted/, /! public_url: .* over plain http/, /all good \(1 warning\)/])
    assert.match(r.stdout, line);
  assert.ok(smsc.stats().binds >= 1 && smsc.stats().unbinds >= 1, 'doctor bound and unbound');
});

test('otpgate doctor: each problem named with its fix, exit 1', async (t) => {
  const dir = tempDir(t, 'otpgate-doctor-');
  const smsc = await startSmsc();
  t.after(() => smsc.close());
  const twilio = await twilioAccountPeer(t);
  const config = join(dir, 'otpgate.json');
  writeFileSync(
    config,
    JSON.stringify({
      redis_url: `redis://127.0.0.1:${await closedPort()}`,
      providers: [
        { name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'wrong' },
        { name: 'twilio', kind: 'twilio', account_sid: SID, auth_token: 'not-the-token-0000000000', from: '+15005550006', base_url: twilio },
      ],
      routes: [{ providers: [{ name: 'carrier' }] }],
    }),
  );
  // No migrate first: a fresh database has every migration pending.
  const r = await otpgate(dir, ['doctor', '--timeout', '3000'], { OTPGATE_CONFIG: config });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  for (const line of [
    /✗ migrations: \d+ not applied: 001_initial/,
    /fix: run `otpgate migrate`/,
    /✗ redis: cannot reach/,
    /fix: start Redis or fix REDIS_URL/,
    /✗ carrier carrier: smpp: .*/,
    /fix: fix system_id \/ password/,
    /✗ carrier twilio: twilio: credentials refused \(HTTP 401/,
    /fix: copy account_sid and auth_token again/,
    /✗ public_url: not set, so twilio cannot post delivery receipts/,
    /! admin_token: not set/,
    /5 problems to fix, 1 warning/,
  ])
    assert.match(r.stdout, line);

  // A config that does not validate: the one check, with the key named.
  writeFileSync(config, JSON.stringify({ verify: { code_length: 3 } }));
  const bad = await otpgate(dir, ['doctor'], { OTPGATE_CONFIG: config });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /✗ config: invalid configuration:\n\s+verify.code_length: /);
});

test('otpgate send --count N: a smoke load with a progress bar; messages list and show', async (t) => {
  const dir = tempDir(t, 'otpgate-ops-');
  const s = await startServer(dir);
  t.after(() => stop(s, 'SIGKILL'));
  const load = await otpgate(dir, ['send', '--to', '+14155550100', '--count', '12', '--concurrency', '3', '--url', s.url, '--key', s.apiKey!], { OTPGATE_PROGRESS: '1' });
  assert.equal(load.code, 0, load.stderr + load.stdout);
  const summary = JSON.parse(load.stdout);
  assert.equal(summary.sent, 12);
  assert.equal(summary.accepted, 12);
  assert.deepEqual(summary.refused, {});
  assert.ok(summary.median_ms > 0 && summary.p95_ms >= summary.median_ms);
  assert.match(load.stderr, /sending .* 12\/12 codes · 12 accepted · 0 refused/, 'the progress bar reached the end');

  const list = await otpgate(dir, ['messages', 'list', '--q', '4155550111']);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.equal(lines.length, 1, list.stdout);
  const id = lines[0].split(/\s+/)[1];
  assert.match(lines[0], /\+14155550111\s+US\s+/);
  const show = await otpgate(dir, ['messages', 'show', id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`message ${id} \\((queued|sending|sent|delivered)\\)`));
  assert.match(show.stdout, /history:\n\s+\S+\s+queued/);
  assert.match(show.stdout, /text: .*\*{6}/, 'the code is redacted');
  const missing = await otpgate(dir, ['messages', 'show', 'nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no message nope/);

  const refused = await otpgate(dir, ['send', '--to', '4155550100', '--count', '2', '--url', s.url, '--key', s.apiKey!]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /with --count give the first number in E\.164/);
});
