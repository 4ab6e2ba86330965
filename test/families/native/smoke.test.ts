import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../helpers/gateway.ts';

test('send → dev inbox → check approves', async (t) => {
  const h = await build(t);
  const sent = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'sms' } });
  assert.equal(sent.statusCode, 201, sent.body);
  const v = sent.json();
  await h.settle();
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data;
  assert.equal(inbox.length, 1);
  assert.match(inbox[0].text, new RegExp(inbox[0].code));
  const wrong = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: v.id, code: '000000' === inbox[0].code ? '111111' : '000000' } });
  assert.deepEqual(wrong.json(), { id: v.id, status: 'pending', valid: false, attempts_left: 4 });
  const ok = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: v.id, code: inbox[0].code } });
  assert.deepEqual(ok.json(), { id: v.id, status: 'approved', valid: true, attempts_left: 3 });
  const msg = (await h.app.inject({ method: 'GET', url: `/v1/messages/${v.message.id}`, headers: h.auth() })).json();
  assert.equal(msg.status, 'delivered');
  assert.deepEqual(msg.events.map((e: { status: string }) => e.status), ['queued', 'sending', 'sent', 'delivered']);
  assert.ok(!msg.body.includes(inbox[0].code), 'the stored body never shows the code');
});
