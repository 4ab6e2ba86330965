/**
 * A check of a verification this process sent reads no row before its counting UPDATE
 * (src/verify/recent.ts); one it did not send, or another account's, is read first as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentVerifications } from '../../src/verify/recent.ts';
import { build } from '../helpers/gateway.ts';
import { countStatements } from '../helpers/statements.ts';

/**
 * Records the SQL text of every statement the database clients run while `recording` is set.
 * Installed before any gateway connects: src/store/postgres.ts binds each pool connection's query
 * method when it connects.
 */
const seen: string[] = [];
let recording = false;
countStatements((sql) => {
  if (recording) seen.push(sql);
});

async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  seen.length = 0;
  recording = true;
  try {
    await fn();
  } finally {
    recording = false;
  }
  return [...seen];
}

const readsVerification = (sql: string) => /^\s*select\b/i.test(sql) && /from "verifications"/i.test(sql);

test('check of a verification sent here: no read before the counting UPDATE; its answer as before', async (t) => {
  const h = await build(t, { dispatch: { enabled: false } });
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'sms' } });
  assert.equal(sent.statusCode, 201, sent.body);
  const id = sent.json().id as string;
  let res: Awaited<ReturnType<typeof h.app.inject>> | undefined;
  const sql = await statementsOf(async () => {
    res = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id, code: '000000x' } });
  });
  assert.equal(res!.statusCode, 200, res!.body);
  const body = res!.json() as Record<string, unknown>;
  assert.deepEqual(body, { id, status: 'pending', valid: false, attempts_left: 4 });
  assert.deepEqual(sql.filter(readsVerification), [], sql.join('\n'));
  assert.ok(sql.some((s) => /^\s*update "verifications"/i.test(s)), 'the guess was counted');
});

test('check of a verification of another account is a 404, counted nowhere', async (t) => {
  const h = await build(t, { dispatch: { enabled: false } });
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'sms' } });
  const id = sent.json().id as string;
  const other = await h.newAccount();
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(other.token), payload: { id, code: '000000' } });
  assert.equal(res.statusCode, 404, res.body);
  const row = await h.gw.store.db.selectFrom('verifications').select('attempts').where('id', '=', id).executeTakeFirstOrThrow();
  assert.equal(row.attempts, 0);
});

test('recent verifications: bounded, oldest forgotten first, per account', () => {
  const r = new RecentVerifications(2);
  r.remember({ id: 'a', account_id: 'x', to_number: '+1' });
  r.remember({ id: 'b', account_id: 'x', to_number: '+2' });
  r.remember({ id: 'c', account_id: 'y', to_number: '+3' });
  assert.equal(r.numberOf('x', 'a'), undefined, 'the oldest was forgotten');
  assert.equal(r.numberOf('x', 'b'), '+2');
  assert.equal(r.numberOf('x', 'c'), undefined, "another account's verification is not known to this one");
  assert.equal(r.numberOf('y', 'c'), '+3');
});
