/**
 * `otpgate blocks list|lift` and `otpgate test-numbers add|list|remove` as real child processes
 * against a temp data dir (the block row is written the way the gateway writes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/dialect.ts';
import { insertBlock } from '../../src/store/abuse.ts';
import { tempDir } from '../e2e/server-process.ts';
import { otpgate } from '../helpers/cli.ts';
import { databaseForDir } from '../helpers/db.ts';

test('CLI: test-numbers add|list|remove and blocks list|lift, with one-line refusals', async (t) => {
  const dir = tempDir(t, 'i11-cli-');
  const acct = await otpgate(dir, ['accounts', 'create', '--name', 'qa', '--region', 'NP']);
  assert.equal(acct.code, 0, acct.stderr);
  const id = JSON.parse(acct.stdout).id as string;

  const add = await otpgate(dir, ['test-numbers', 'add', '--account', id, '--number', '9851000001', '--code', '123456']);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /test number \+9779851000001 .* code 123456/);
  assert.match((await otpgate(dir, ['test-numbers', 'list'])).stdout, new RegExp(`^\\+9779851000001  account=${id}  code=123456`, 'm'));
  const badCode = await otpgate(dir, ['test-numbers', 'add', '--account', id, '--number', '9851000001', '--code', 'x']);
  assert.equal(badCode.code, 2);
  assert.match(badCode.stderr, /^otpgate: --code "x": use 4–10/);
  const badNumber = await otpgate(dir, ['test-numbers', 'add', '--account', id, '--number', '12', '--code', '1234']);
  assert.equal(badNumber.code, 2);
  assert.match(badNumber.stderr, /^otpgate: --number: /);
  assert.equal((await otpgate(dir, ['test-numbers', 'remove', '--account', id, '--number', '+9779851000001'])).code, 0);
  const again = await otpgate(dir, ['test-numbers', 'remove', '--account', id, '--number', '+9779851000001']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /is not a test number/);

  assert.match((await otpgate(dir, ['blocks', 'list'])).stdout, /no active blocks/);
  const store = await openDatabase((await databaseForDir(dir)).url);
  const now = Date.now();
  const blockId = 'b'.repeat(32);
  await insertBlock(store.db, { id: blockId, account_id: id, prefix: '9779851', reason: 'low_conversion', figures: JSON.stringify({ sent: 30, approved: 0, conversion: 0 }), created_at: now, expires_at: now + 43_200_000, lifted_at: null, lifted_by: null });
  await store.close();
  const listed = await otpgate(dir, ['blocks', 'list']);
  assert.match(listed.stdout, new RegExp(`^${blockId}  \\+9779851  account=${id}  low_conversion  \\{"sent":30,"approved":0,"conversion":0\\}`, 'm'));
  const json = JSON.parse((await otpgate(dir, ['blocks', 'list', '--json'])).stdout.trim());
  assert.deepEqual(json.figures, { sent: 30, approved: 0, conversion: 0 });
  const lift = await otpgate(dir, ['blocks', 'lift', blockId, '--by', 'ops']);
  assert.equal(lift.code, 0, lift.stderr);
  assert.match(lift.stdout, /^lifted b+ \(\+9779851/);
  assert.match((await otpgate(dir, ['blocks', 'list'])).stdout, /no active blocks/);
  assert.match((await otpgate(dir, ['blocks', 'list', '--all'])).stdout, /lifted .* by ops/);
  const twice = await otpgate(dir, ['blocks', 'lift', blockId]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /^otpgate: no active block/);
});
