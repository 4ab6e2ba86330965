// A crash between the dev inbox accepting a message and its receipt being recorded leaves the
// message "sent"; a real carrier would still send the receipt, so the next start reports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../helpers/gateway.ts';

test('messages left "sent" without their receipt are delivered after a restart, once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-inbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = { database_url: `sqlite:${join(dir, 'otpgate.db')}`, dev_inbox: { undelivered_numbers: ['+14155550100'] } };
  const first = await build({ after: () => {} }, config);
  const ids: string[] = [];
  for (const to of ['+14155552671', '+14155550100']) {
    const res = await first.app.inject({ method: 'POST', url: '/v1/verifications', headers: first.auth(), payload: { to, channel: 'sms' } });
    assert.equal(res.statusCode, 201, res.body);
    ids.push(res.json().message.id);
  }
  await first.settle();
  // The receipts' commits "never happened": back to sent, their events gone.
  await first.gw.store.db.updateTable('messages').set({ status: 'sent', final_at: null }).where('id', 'in', ids).execute();
  await first.gw.store.db.updateTable('message_parts').set({ outcome: null, error_code: null, final_at: null }).where('message_id', 'in', ids).execute();
  await first.app.close();
  await first.gw.close();

  const second = await build(t, config);
  const status = async () =>
    (await second.gw.store.db.selectFrom('messages').select(['id', 'status']).where('id', 'in', ids).orderBy('id').execute()).map((r) => r.status);
  for (let i = 0; i < 200 && (await status()).includes('sent'); i++) await new Promise((r) => setTimeout(r, 10));
  await second.gw.writer.flush();
  const byId = new Map((await second.gw.store.db.selectFrom('messages').select(['id', 'status']).where('id', 'in', ids).execute()).map((r) => [r.id, r.status]));
  assert.equal(byId.get(ids[0]), 'delivered');
  assert.equal(byId.get(ids[1]), 'undelivered');
  const inbox = await second.gw.store.db.selectFrom('inbox').select('message_id').execute();
  assert.equal(inbox.length, 2, 'nothing was sent twice');
});
