import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/store/accounts.ts';
import '../../src/store/ledger.ts';
import '../../src/store/messages.ts';
import '../../src/store/receipts.ts';
import '../../src/store/verifications.ts';
import '../../src/store/webhooks.ts';
import { hotStatements } from '../../src/store/prepared.ts';

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
