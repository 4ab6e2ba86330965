import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { SecretMismatchError } from '../../src/store/secret.ts';
import { testDatabase } from '../helpers/db.ts';
import { build } from '../helpers/gateway.ts';

/** A gateway on `url` with no OTPGATE_SECRET unless given; data_dir is where SQLite keeps secret.key. */
async function gateway(t: TestContext, url: string, dataDir: string, secret?: string): Promise<Gateway> {
  const config = loadConfig({ database_url: url, data_dir: dataDir, log_level: 'silent', bootstrap_dev_account: false, ...(secret ? { secret } : {}) }, { NODE_ENV: 'test' });
  const gw = await createGateway(config, { log: pino({ level: 'silent' }) });
  t.after(() => gw.close());
  return gw;
}

test('instances without OTPGATE_SECRET share the one kept for the database: a code sent by one checks on the other', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const database = await testDatabase({ dir });
  // PostgreSQL: each instance has its own data dir, so the shared secret can only come from the database.
  // SQLite: one process owns the file and its data dir (secret.key), so the second start reads the same.
  const dirA = database.dialect === 'postgres' ? join(dir, 'a') : dir;
  const dirB = database.dialect === 'postgres' ? join(dir, 'b') : dir;
  const [a, b] = await Promise.all([gateway(t, database.url, dirA), gateway(t, database.url, dirB)]);
  const account = await createAccount(a.store.db, { name: 't', defaultRegion: 'US', balance: 1_000_000_000, now: Date.now() });
  const sent = await a.verify.send({ account, family: 'native', to: '+14155552671', channel: 'sms' });
  const code = a.verify.revealCode(sent.verification);
  assert.equal(b.verify.revealCode(sent.verification), code, 'the other instance opens the sealed code');
  const checked = await b.verify.check(account, { id: sent.verification.id, code });
  assert.equal(checked.valid, true);
  assert.equal(checked.verification.status, 'approved');
});

test('an instance started with another secret refuses to start, naming OTPGATE_SECRET, before touching a row', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const database = await testDatabase({ dir });
  const first = await gateway(t, database.url, dir, 'the-first-secret-the-first-secret-0001');
  const account = await createAccount(first.store.db, { name: 't', defaultRegion: 'US', balance: 1_000_000_000, now: Date.now() });
  await first.verify.send({ account, family: 'native', to: '+14155552671', channel: 'sms' });
  await assert.rejects(gateway(t, database.url, dir, 'another-secret-another-secret-00000002'), (err: unknown) => {
    assert.ok(err instanceof SecretMismatchError);
    assert.equal(err.code, 'secret_mismatch');
    assert.match(err.message, /OTPGATE_SECRET/);
    return true;
  });
  // The same secret again starts fine.
  await gateway(t, database.url, dir, 'the-first-secret-the-first-secret-0001');
});

test('one row whose code cannot be opened: the lists still answer 200 (its code hidden) and its message fails alone', async (t) => {
  const h = await build(t, { dispatch: { enabled: false } });
  const sends = [];
  for (const to of ['+14155552671', '+14155552672'])
    sends.push((await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to, channel: 'sms' } })).json());
  // Sealed by "another secret": the bytes of a valid seal, altered.
  const bad = await h.gw.store.db.selectFrom('verifications').select('code_sealed').where('id', '=', sends[0].id).executeTakeFirstOrThrow();
  const flipped = bad.code_sealed.slice(0, -2) + (bad.code_sealed.endsWith('AA') ? 'BA' : 'AA');
  await h.gw.store.db.updateTable('verifications').set({ code_sealed: flipped }).where('id', '=', sends[0].id).execute();

  await h.gw.dispatcher.start();
  await h.settle();
  const list = await h.app.inject({ method: 'GET', url: '/v1/messages', headers: h.auth() });
  assert.equal(list.statusCode, 200, list.body);
  const byId = new Map(list.json().data.map((m: { id: string; status: string; error_code: string | null }) => [m.id, m]));
  assert.equal((byId.get(sends[0].message.id) as { status: string }).status, 'failed');
  assert.equal((byId.get(sends[0].message.id) as { error_code: string }).error_code, 'code_unreadable');
  assert.equal((byId.get(sends[1].message.id) as { status: string }).status, 'delivered');
  const inbox = await h.app.inject({ method: 'GET', url: '/inbox/api/messages' });
  assert.equal(inbox.statusCode, 200, inbox.body);
  assert.deepEqual(inbox.json().data.map((i: { message_id: string }) => i.message_id), [sends[1].message.id], 'the unreadable code never reached the carrier');
  assert.match(inbox.json().data[0].code, /^\d{6}$/);
});

test('build() runs on the dialect OTPGATE_TEST_DB names (a PostgreSQL run never falls back to SQLite)', async (t) => {
  const h = await build(t);
  assert.equal(h.gw.store.dialect, process.env.OTPGATE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite');
});
