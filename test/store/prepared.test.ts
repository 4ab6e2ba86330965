import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/store/accounts.ts';
import '../../src/store/ledger.ts';
import '../../src/store/messages.ts';
import '../../src/store/receipts.ts';
import '../../src/store/verifications.ts';
import '../../src/store/webhooks.ts';
import { hotStatements, inlineConstants } from '../../src/store/prepared.ts';

// SQLite re-prepares a statement whose LIMIT is a bound parameter on every run (the planner may
// use its value): 11 µs against 3 µs for the accept path's pending lookup. A hot statement writes
// its LIMIT into the SQL. The dispatcher's claim is the one exception: its LIMIT is the claim's
// batch size, which varies by call, and it runs once per batch, not once per message.
const BATCH_SIZED = new Set(['message_claim', 'webhook_claim']);
test('no hot statement binds its LIMIT', () => {
  const all = [...hotStatements()];
  assert.ok(all.some(([name]) => name === 'verification_pending'), 'the accept path\'s statements are declared');
  for (const [name, s] of all.filter(([name]) => !BATCH_SIZED.has(name)))
    for (const dialect of ['sqlite', 'postgres'] as const) assert.doesNotMatch(s.sql(dialect), /\blimit\s+(\?|\$\d+)/i, `${name} on ${dialect}: ${s.sql(dialect)}`);
});

test('inlineConstants writes constant strings, numbers and null into the SQL and keeps the named slots bound, renumbered on PostgreSQL', () => {
  const slot = (name: string) => `\u0000slot:${name}`;
  const lite = inlineConstants(`select "a?" from "t" where "s" = ? and "x" = ? and "y" = ? and "z" = 'it''s ?' and "n" = ? and "b" = ?`, ['pen\'ding', slot('x'), 3, null, slot('b')], 'sqlite');
  assert.equal(lite.sql, `select "a?" from "t" where "s" = 'pen''ding' and "x" = ? and "y" = 3 and "z" = 'it''s ?' and "n" = null and "b" = ?`);
  assert.deepEqual(lite.slots, [{ arg: 'x' }, { arg: 'b' }]);
  const pg = inlineConstants(`update "t" set "v" = $1 where "s" = $2 and "k" = $3 and "j" = $4 and "q" = $10`, [slot('v'), 'pending', slot('k'), Buffer.from('x'), ...Array(5).fill(0), slot('q')], 'postgres');
  assert.equal(pg.sql, `update "t" set "v" = $1 where "s" = 'pending' and "k" = $2 and "j" = $3 and "q" = $4`);
  assert.deepEqual(pg.slots, [{ arg: 'v' }, { arg: 'k' }, { value: Buffer.from('x') }, { arg: 'q' }]);
});

test('a hot statement\'s constant status is in its SQL, not bound: the pending lookup names \'pending\'', () => {
  const s = hotStatements().get('verification_pending')!;
  for (const dialect of ['sqlite', 'postgres'] as const) assert.match(s.sql(dialect), /"status" = 'pending'/, s.sql(dialect));
});
