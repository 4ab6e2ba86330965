import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { openDatabase } from '../../src/store/dialect.ts';
import { migrate, migrations } from '../../src/store/migrations.ts';
import { maskCode, redactedBody, unmaskCode } from '../../src/verify/codemask.ts';
import { testDatabase } from '../helpers/db.ts';

test('three instances migrating one empty database at the same moment: each migration runs once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-mig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // SQLite in memory is one database per connection, so a file is what several processes share.
  const database = await testDatabase({ dir });
  const url = database.url;
  const stores = await Promise.all([1, 2, 3].map(() => openDatabase(url)));
  t.after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await database.drop();
  });
  const applied = await Promise.all(stores.map((s) => migrate(s.db, s.dialect)));
  const all = applied.flat();
  assert.deepEqual([...all].sort(), Object.keys(migrations(database.dialect)).sort(), 'every migration applied exactly once in total');
  assert.deepEqual(await migrate(stores[0].db, stores[0].dialect), [], 'and nothing is left to apply');
});

test('the stored body mark is text every dialect takes: a send on this dialect keeps the code out of the row', async (t) => {
  const database = await testDatabase();
  const store = await openDatabase(database.url);
  t.after(async () => {
    await store.close();
    await database.drop();
  });
  await migrate(store.db, store.dialect);
  const body = maskCode('Your code is 123456 (1 2 3 4 5 6)', '123456');
  assert.doesNotMatch(body, /\d/);
  assert.equal(unmaskCode(body, '123456'), 'Your code is 123456 (1 2 3 4 5 6)');
  assert.equal(redactedBody(body), 'Your code is ****** (* * * * * *)');
  const row = { id: 'm1', account_id: 'a', verification_id: null, family: 'native', to_number: '+1', from_number: null, channel: 'sms', locale: 'en', body, encoding: 'gsm7', segments: 1, price: 0, status: 'queued', provider: null, provider_message_id: null, attempts: 0, next_attempt_at: 0, locked_by: null, deadline_at: 0, error_code: null, error_message: null, created_at: 0, updated_at: 0, sent_at: null, final_at: null, bill_sec: null, meta: null };
  await store.db.insertInto('messages').values(row).execute();
  assert.equal((await store.db.selectFrom('messages').select('body').executeTakeFirstOrThrow()).body, body);
});

test('007_cluster rewrites bodies stored with the first (NUL) mark; PostgreSQL never held one', async (t) => {
  const database = await testDatabase();
  const store = await openDatabase(database.url);
  t.after(async () => {
    await store.close();
    await database.drop();
  });
  const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => migrations(store.dialect) }, allowUnorderedMigrations: true });
  assert.equal((await migrator.migrateTo('003_auto_voice')).error, undefined);
  const base = { account_id: 'a', verification_id: null, family: 'native', to_number: '+1', from_number: null, channel: 'sms', locale: 'en', encoding: 'gsm7', segments: 1, price: 0, status: 'sent', provider: null, provider_message_id: null, attempts: 1, next_attempt_at: 0, locked_by: null, deadline_at: 0, error_code: null, error_message: null, created_at: 0, updated_at: 0, sent_at: null, final_at: null, bill_sec: null, meta: null };
  const legacy = 'Code \u0000c\u0000, spoken \u0000s\u0000.';
  const insert = store.db.insertInto('messages').values({ ...base, id: 'old', body: legacy }).execute();
  if (store.dialect === 'postgres') {
    // The bug this mark fixes: PostgreSQL text refuses NUL, so every send answered 500.
    await assert.rejects(insert, /invalid byte sequence|0x00/);
  } else await insert;
  await store.db.insertInto('messages').values({ ...base, id: 'plain', body: 'no code here' }).execute();
  await migrate(store.db, store.dialect);
  const bodies = new Map((await store.db.selectFrom('messages').select(['id', 'body']).execute()).map((r) => [r.id, r.body]));
  assert.equal(bodies.get('plain'), 'no code here');
  if (store.dialect === 'sqlite') {
    assert.equal(unmaskCode(bodies.get('old')!, '4321'), 'Code 4321, spoken 4 3 2 1.');
    assert.equal(redactedBody(bodies.get('old')!), 'Code ******, spoken * * * * * *.');
  }
});
