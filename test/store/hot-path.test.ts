// The end-to-end path's statements (issue 13): after accept, a message costs a claim, the record
// of its carrier's answer and its receipt. Each is counted here at the database client, on the
// run's dialect, so a change that adds a round trip per message fails a test; and what the
// fewer statements write (events, statuses) is checked beside the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { build, type Harness } from '../helpers/gateway.ts';
import { testDialect } from '../helpers/db.ts';
import { countStatements } from '../helpers/statements.ts';
import { claimDue, getMessageById, messageEvents, messagesByIds } from '../../src/store/messages.ts';
import { applyReceipt, recordPart } from '../../src/store/receipts.ts';
import { hotStatements } from '../../src/store/prepared.ts';
import '../../src/store/verifications.ts';
import type { JobContext } from '../../src/store/writer.ts';
import { claimDeliveries, enqueueDeliveries, markDeliveredMany, pendingDelivery } from '../../src/store/webhooks.ts';

/** Statements the database client ran (SQLite: prepared-statement runs; PostgreSQL: queries), and their SQL. */
const seen: string[] = [];
countStatements((text) => seen.push(text));

/** Runs `job` in a writer transaction; resolves with its result and the statements it ran (BEGIN/COMMIT not counted). */
async function counted<T>(h: Harness, job: (ctx: JobContext) => Promise<T>): Promise<{ result: T; statements: string[] }> {
  let statements: string[] = [];
  const result = await h.gw.writer.run(async (ctx) => {
    const from = seen.length;
    const out = await job(ctx);
    statements = seen.slice(from);
    return out;
  });
  return { result, statements };
}

async function queued(h: Harness, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: `+97798${String(4000000 + i).padStart(8, '0')}`, channel: 'sms' } });
    assert.equal(res.statusCode, 201, res.body);
    ids.push(res.json().message.id);
  }
  return ids;
}

// No dispatcher and no webhook worker: the tests claim for themselves, and on PostgreSQL a
// worker's claim on another pool connection would land in a counted window.
const rig = (t: Parameters<typeof build>[0]) => build(t, { dispatch: { enabled: false }, abuse: { enabled: false }, webhooks: { enabled: false } }, { region: 'NP' });
/** PostgreSQL's extra statement: a key's advisory lock (a status change and its event are one statement there, two on SQLite). */
const pgLock = testDialect === 'postgres' ? 1 : 0;

test('a claim leases every due row with its "sending" event in one statement on PostgreSQL, two on SQLite', async (t) => {
  const h = await rig(t);
  const ids = await queued(h, 3);
  const { result: rows, statements } = await counted(h, (ctx) => claimDue(ctx.trx, ctx.dialect, { limit: 10, workerId: 'w1', leaseMs: 60_000, now: h.clock.now }));
  assert.deepEqual(rows.map((m) => m.id).sort(), [...ids].sort());
  assert.equal(statements.length, testDialect === 'postgres' ? 1 : 2, statements.join('\n'));
  for (const m of rows) {
    assert.equal(m.status, 'sending');
    assert.equal(m.attempts, 1);
    assert.equal(m.locked_by, 'w1');
    assert.equal(m.next_attempt_at, h.clock.now + 60_000);
    const events = await messageEvents(h.gw.store.db, m.id);
    assert.deepEqual(events.map((e) => [e.status, e.detail, Number(e.at)]), [['queued', null, Number(m.created_at)], ['sending', 'attempt 1', h.clock.now]]);
  }
  // Claimed rows are leased: a second claim finds nothing, and writes no event.
  const again = await counted(h, (ctx) => claimDue(ctx.trx, ctx.dialect, { limit: 10, workerId: 'w2', leaseMs: 60_000, now: h.clock.now }));
  assert.equal(again.result.length, 0);
  assert.equal((await messageEvents(h.gw.store.db, ids[0])).length, 2);
});

test('the answer of a lone part is recorded in four statements (not read back), and its receipt under two keys in four (five on PostgreSQL)', async (t) => {
  const h = await rig(t);
  const [id] = await queued(h, 1);
  const [m] = (await counted(h, (ctx) => claimDue(ctx.trx, ctx.dialect, { limit: 1, workerId: 'w1', leaseMs: 60_000, now: h.clock.now }))).result;
  assert.equal(m.id, id);
  const now = h.clock.now + 5;
  // Part insert, guarded sending → sent, its event, the parked-receipt read; on PostgreSQL the
  // change and its event are one statement, and the key's lock is one more.
  const record = await counted(h, (ctx) => recordPart(ctx, m, 'carrier', { index: 0, total: 1, key: '1f', providerMessageId: '1F' }, { now, lockedBy: 'w1', detail: 'attempt 1' }));
  assert.equal(record.statements.length, 4, record.statements.join('\n'));
  const sent = await getMessageById(h.gw.store.db, id);
  assert.equal(sent?.status, 'sent');
  assert.equal(sent?.provider_message_id, '1F');
  assert.equal(sent?.provider, 'carrier');
  // An auto id format names two keys (hex and decimal readings); the match reads the part and its message at once.
  const receipt = await counted(h, (ctx) =>
    applyReceipt(ctx, { provider: 'carrier', providerMessageId: '1f', candidates: ['1f', '31'], outcome: 'delivered', at: new Date(now), to: m.to_number.slice(1) }, now + 1));
  assert.equal(receipt.result, 'applied');
  // Match, part close, guarded sent → delivered, its event (PostgreSQL: the change with its event, and two key locks).
  assert.equal(receipt.statements.length, 4 + pgLock, receipt.statements.join('\n'));
  const done = await getMessageById(h.gw.store.db, id);
  assert.equal(done?.status, 'delivered');
  assert.equal(Number(done?.final_at), now + 1);
  assert.deepEqual((await messageEvents(h.gw.store.db, id)).map((e) => e.status), ['queued', 'sending', 'sent', 'delivered']);
  // Recording the same answer again is a no-op that reads the parts back (the row was already there).
  const twice = await counted(h, (ctx) => recordPart(ctx, m, 'carrier', { index: 0, total: 1, key: '1f', providerMessageId: '1F' }, { now, lockedBy: 'w1', detail: 'attempt 1' }));
  assert.ok(twice.statements.some((s) => /select \* from "message_parts"/.test(s)), twice.statements.join('\n'));
  assert.equal((await getMessageById(h.gw.store.db, id))?.status, 'delivered');
});

test('the housekeeping finds verifications due to expire by index, and a send still finds its number\'s pending one by its own', async (t) => {
  const h = await rig(t);
  const plan = async (q: { compile(): { sql: string; parameters: readonly unknown[] } }) => {
    // SQLite's plan of the query with its parameters spelled in (EXPLAIN takes no bound values through Kysely here).
    const c = q.compile();
    let i = 0;
    const text = c.sql.replace(/\?/g, () => JSON.stringify(c.parameters[i++]).replace(/^"(.*)"$/, "'$1'"));
    return (await sql<{ detail: string }>`explain query plan ${sql.raw(text)}`.execute(h.gw.store.db)).rows.map((r) => r.detail).join('\n');
  };
  const db = h.gw.store.db;
  if (testDialect === 'sqlite') {
    // As expireDue asks (status as a literal): the partial index.
    assert.match(await plan(db.selectFrom('verifications').select('id').where('status', '=', sql.lit('pending')).where('expires_at', '<=', h.clock.now).limit(500)), /USING (COVERING )?INDEX verifications_due/);
    // As a send asks (status bound): still by account and number, never a range over every pending row.
    assert.match(
      await plan(db.selectFrom('verifications').selectAll().where('account_id', '=', 'a').where('to_number', '=', '+1').where('status', '=', 'pending').where('expires_at', '>', h.clock.now).orderBy('id', 'desc').limit(1)),
      /USING INDEX verifications_pending_to/,
    );
  } else {
    const idx = await sql<{ indexdef: string }>`select indexdef from pg_indexes where indexname = 'verifications_due'`.execute(db);
    assert.match(idx.rows[0]?.indexdef ?? '', /\(expires_at\) WHERE \(\(?status\)?::text = 'pending'::text\)/);
  }
});

test('the 2xx of a batch of webhook deliveries are recorded by one statement whose text is the same for any batch size', async (t) => {
  const h = await rig(t);
  const now = h.clock.now;
  await h.gw.writer.run(({ trx }) =>
    enqueueDeliveries(trx, ['s1', 's2', 's3', 's4'].map((subject) =>
      pendingDelivery({ account_id: h.account.id, event: 'message.status', subject_id: subject, status: 'delivered', format: 'native', payload: '{}', url: 'http://127.0.0.1:1/' }, now))));
  const claimed = await claimDeliveries(h.gw.store.db, { limit: 10, now, leaseMs: 15_000 });
  assert.equal(claimed.length, 4);
  const db = h.gw.store.db;
  const from = seen.length;
  const one = await markDeliveredMany(db, claimed.slice(0, 1), now + 1);
  const texts = seen.slice(from);
  // Three more, one of them presenting a stale fencing token (a lost claim): not recorded.
  const stale = { ...claimed[3], attempts: claimed[3].attempts + 1 };
  const three = await markDeliveredMany(db, [claimed[1], claimed[2], stale], now + 2);
  const all = seen.slice(from);
  assert.deepEqual([...one], [claimed[0].id]);
  assert.deepEqual([...three].sort(), [claimed[1].id, claimed[2].id].sort());
  assert.equal(texts.length, 1, texts.join('\n'));
  // Two token groups in the second call: two runs of the first call's statement, no other text.
  assert.deepEqual(new Set(all), new Set(texts), all.join('\n'));
  const states = await db.selectFrom('webhook_outbox').select(['id', 'state', 'delivered_at']).orderBy('id').execute();
  assert.deepEqual(states.map((r) => [r.state, r.delivered_at === null ? null : Number(r.delivered_at)]), [['delivered', now + 1], ['delivered', now + 2], ['delivered', now + 2], ['pending', null]]);
});

test('new webhook deliveries are written by one statement whose text is the same for any number of rows, every column as given', async (t) => {
  const h = await rig(t);
  const now = h.clock.now;
  const row = (subject: string) =>
    pendingDelivery({ account_id: h.account.id, event: 'message.status', subject_id: subject, status: 'delivered', format: 'bitel', payload: JSON.stringify({ id: subject, text: 'é "quoted" \\\\ ۸۹' }), url: 'http://127.0.0.1:1/hook?a=1' }, now);
  const one = await counted(h, ({ trx }) => enqueueDeliveries(trx, [row('s1')]));
  const three = await counted(h, ({ trx }) => enqueueDeliveries(trx, [row('s2'), row('s3'), row('s4')]));
  assert.equal(one.statements.length, 1, one.statements.join('\n'));
  assert.deepEqual(three.statements, one.statements);
  const stored = await h.gw.store.db.selectFrom('webhook_outbox').selectAll().orderBy('id').execute();
  assert.deepEqual(
    stored.map(({ id: _, ...r }) => ({ ...r, next_attempt_at: Number(r.next_attempt_at), created_at: Number(r.created_at) })),
    ['s1', 's2', 's3', 's4'].map(row),
  );
});

test('the webhook outbox reads the messages of a batch by one statement whose text is the same for any number of ids', async (t) => {
  const h = await rig(t);
  const ids = await queued(h, 3);
  const one = await counted(h, ({ trx }) => messagesByIds(trx, ids.slice(0, 1)));
  const three = await counted(h, ({ trx }) => messagesByIds(trx, [...ids, 'no-such-id']));
  assert.deepEqual(one.result.map((m) => m.id), ids.slice(0, 1));
  assert.deepEqual(three.result.map((m) => m.id).sort(), [...ids].sort());
  assert.deepEqual(three.result.find((m) => m.id === ids[0]), await getMessageById(h.gw.store.db, ids[0]));
  assert.equal(one.statements.length, 1);
  assert.deepEqual(three.statements, one.statements);
});

test('a claim takes the earliest due rows across queued ones and "sending" ones whose lease ran out, up to its limit', async (t) => {
  const h = await rig(t);
  const ids = await queued(h, 5);
  const now = h.clock.now;
  const db = h.gw.store.db;
  // Due times: ids[0] +30, ids[1] +10 (a lapsed lease), ids[2] +20, ids[3] +40 (a lapsed lease), ids[4] not due yet.
  const due = [[ids[0], 'queued', 30], [ids[1], 'sending', 10], [ids[2], 'queued', 20], [ids[3], 'sending', 40], [ids[4], 'queued', 1000]] as const;
  for (const [id, status, at] of due) await db.updateTable('messages').set({ status, next_attempt_at: now + at }).where('id', '=', id).execute();
  const claim = (limit: number) => counted(h, (ctx) => claimDue(ctx.trx, ctx.dialect, { limit, workerId: 'w1', leaseMs: 60_000, now: now + 100 }));
  assert.deepEqual((await claim(3)).result.map((m) => m.id).sort(), [ids[1], ids[2], ids[0]].sort());
  assert.deepEqual((await claim(3)).result.map((m) => m.id), [ids[3]]);
  assert.deepEqual((await claim(3)).result, []);
});

// SQLite re-prepares a statement on every run when a bound value meets a column that a partial
// index's WHERE names (49 against 16 µs for the pending lookup), and PostgreSQL's generic plan
// cannot use such an index. So no hot statement compares one of those columns with a placeholder.
test('no hot statement compares a column named in a partial index\'s WHERE with a bound value', async (t) => {
  const h = await rig(t);
  // Run the path once, so the statements declared per shape (transitions) are declared too.
  const [id] = await queued(h, 1);
  const [m] = (await counted(h, (ctx) => claimDue(ctx.trx, ctx.dialect, { limit: 1, workerId: 'w1', leaseMs: 60_000, now: h.clock.now }))).result;
  await counted(h, (ctx) => recordPart(ctx, m, 'carrier', { index: 0, total: 1, key: '2a', providerMessageId: '2A' }, { now: h.clock.now, lockedBy: 'w1', detail: 'attempt 1' }));
  assert.equal((await getMessageById(h.gw.store.db, id))?.status, 'sent');
  const predicates: string[] =
    testDialect === 'postgres'
      ? (await sql<{ d: string }>`select indexdef as d from pg_indexes where schemaname = current_schema() and indexdef like '% WHERE %'`.execute(h.gw.store.db)).rows.map((r) => r.d.replace(/^.* WHERE /, ''))
      : (await sql<{ d: string }>`select sql as d from sqlite_master where type = 'index' and sql like '% where %'`.execute(h.gw.store.db)).rows.map((r) => r.d.replace(/^.* where /i, ''));
  const columns = new Set(predicates.flatMap((p) => [...p.replace(/::\w+/g, '').replace(/[()]/g, '').matchAll(/"?([a-z_]+)"?\s*(?:=|is\b)/gi)].map((x) => x[1]!.toLowerCase())));
  for (const c of ['status', 'state']) assert.ok(columns.has(c), `partial indexes name ${c}: ${predicates.join(' | ')}`);
  const statements = [...hotStatements()];
  assert.ok(statements.some(([name]) => name.startsWith('message_transition_')), 'a transition ran, so its statement is declared');
  for (const [name, s] of statements) {
    const text = s.sql(testDialect);
    for (const c of columns) {
      const bound = new RegExp(`\\b(where|and|or)\\s+\\(?\\s*(?:"\\w+"\\.)?"${c}"\\s*(=|<>|!=|in|is)\\s*\\(?\\s*(\\?|\\$\\d+)`, 'i');
      assert.doesNotMatch(text, bound, `${name} binds a value for ${c}: ${text}`);
    }
  }
});
