// Carrier status callbacks through the gateway: Twilio sends to a local fake of its API, then
// Twilio's signed status callback arrives on /hooks/<provider> and moves the message; forged,
// malformed and misaddressed callbacks are refused with a 4xx and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { build, type Harness } from '../helpers/gateway.ts';
import { startTwilioFake } from '../fakes/twilio.ts';

const SID = 'AC' + 'b2'.repeat(16);
const TOKEN = 'twilio-auth-token-for-hooks';
const PUBLIC = 'https://otp.example.com';
const HOOK = `${PUBLIC}/hooks/twilio-main`;

function sign(params: Record<string, string>, token = TOKEN): string {
  return createHmac('sha1', token)
    .update(HOOK + Object.keys(params).sort().map((k) => k + params[k]).join(''))
    .digest('base64');
}

async function rig(t: Parameters<typeof build>[0]): Promise<{ h: Harness; fake: Awaited<ReturnType<typeof startTwilioFake>> }> {
  const fake = await startTwilioFake(SID, TOKEN);
  t.after(() => fake.close());
  const h = await build(t, {
    public_url: PUBLIC,
    providers: [{ name: 'twilio-main', kind: 'twilio', account_sid: SID, auth_token: TOKEN, from: '+15005550006', base_url: fake.url }],
    routes: [{ providers: [{ name: 'twilio-main' }] }],
  });
  return { h, fake };
}

async function sentMessage(h: Harness): Promise<{ id: string; sid: string }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552671', channel: 'sms' } });
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json().message.id as string;
  // The HTTP send is in flight ("sending") until the fake answers: wait for it, not for the clock.
  for (let i = 0; i < 500; i++) {
    await h.settle();
    const row = await h.gw.store.db.selectFrom('messages').select(['status', 'provider_message_id']).where('id', '=', id).executeTakeFirstOrThrow();
    if (row.status !== 'queued' && row.status !== 'sending') {
      assert.equal(row.status, 'sent');
      return { id, sid: row.provider_message_id! };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the message never left "sending"');
}

function callback(h: Harness, params: Record<string, string>, signature = sign(params), path = '/hooks/twilio-main') {
  return h.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, host: 'otp.example.com' },
    payload: new URLSearchParams(params).toString(),
  });
}

async function statusOf(h: Harness, id: string): Promise<string> {
  const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.auth() });
  return res.json().status;
}

test('the status callback URL defaults to public_url + /hooks/<name>, and a signed "delivered" delivers', async (t) => {
  const { h, fake } = await rig(t);
  const { id, sid } = await sentMessage(h);
  assert.equal(fake.last().form?.StatusCallback, HOOK);
  const res = await callback(h, { MessageSid: sid, MessageStatus: 'delivered', AccountSid: SID });
  assert.equal(res.statusCode, 200, res.body);
  await h.settle();
  assert.equal(await statusOf(h, id), 'delivered');
});

test('an "undelivered" callback ends undelivered with Twilio’s error code', async (t) => {
  const { h } = await rig(t);
  const { id, sid } = await sentMessage(h);
  assert.equal((await callback(h, { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' })).statusCode, 200);
  await h.settle();
  const msg = (await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.auth() })).json();
  assert.equal(msg.status, 'undelivered');
  assert.match(JSON.stringify(msg), /30003/);
});

test('forged, tampered or unsigned callbacks → 401 bad_signature and the message stays sent', async (t) => {
  const { h } = await rig(t);
  const { id, sid } = await sentMessage(h);
  const params = { MessageSid: sid, MessageStatus: 'delivered' };
  for (const signature of [sign(params, 'someone-else'), sign({ ...params, MessageStatus: 'failed' }), '']) {
    const res = await callback(h, params, signature);
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.json().error.code, 'bad_signature');
  }
  await h.settle();
  assert.equal(await statusOf(h, id), 'sent');
});

test('an unknown provider, a provider without callbacks or a broken JSON body → 4xx with a code', async (t) => {
  const { h } = await rig(t);
  const unknown = await callback(h, { MessageSid: 'SM1', MessageStatus: 'delivered' }, 'x', '/hooks/nobody');
  assert.deepEqual([unknown.statusCode, unknown.json().error.code], [404, 'unknown_provider']);
  const bad = await h.app.inject({ method: 'POST', url: '/hooks/twilio-main', headers: { 'content-type': 'application/json' }, payload: '{"MessageSid":' });
  assert.ok(bad.statusCode >= 400 && bad.statusCode < 500, `${bad.statusCode} ${bad.body}`);
  assert.equal(typeof bad.json().error.code, 'string');
});

test('a callback for an id not known yet is accepted and parked, applied to no other message', async (t) => {
  const { h } = await rig(t);
  // A receipt for an id nobody sent: accepted (carriers retry otherwise), parked, never applied to another message.
  const res = await callback(h, { MessageSid: 'SM' + 'f'.repeat(32), MessageStatus: 'delivered' });
  assert.equal(res.statusCode, 200);
  await h.settle();
  const parked = await h.gw.store.db.selectFrom('pending_receipts').selectAll().execute();
  assert.equal(parked.length, 1);
  assert.equal(parked[0]!.provider_message_id, 'SM' + 'f'.repeat(32));
});
