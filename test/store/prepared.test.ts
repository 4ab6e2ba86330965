import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/store/accounts.ts';
import '../../src/store/ledger.ts';
import '../../src/store/messages.ts';
import '../../src/store/verifications.ts';
import { hotStatements } from '../../src/store/prepared.ts';

// SQLite re-prepares a statement whose LIMIT is a bound parameter on every run (the planner may
// use its value): 11 µs against 3 µs for the accept path's pending lookup. A hot statement writes
// its LIMIT into the SQL.
test('no hot statement binds its LIMIT', () => {
  const all = [...hotStatements()];
  assert.ok(all.some(([name]) => name === 'verification_pending'), 'the accept path\'s statements are declared');
  for (const [name, s] of all)
    for (const dialect of ['sqlite', 'postgres'] as const) assert.doesNotMatch(s.sql(dialect), /\blimit\s+(\?|\$\d+)/i, `${name} on ${dialect}: ${s.sql(dialect)}`);
});
