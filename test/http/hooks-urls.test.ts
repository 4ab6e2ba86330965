// Carrier callbacks signed the way carriers sign them: Twilio signs over the URL with or without
// its port (twilio-node's validateRequest accepts both), and a message whose receipt never comes
// reaches a final state at the receipt deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { build, type Harness } from '../helpers/gateway.ts';
import { startTwilioFake } from '../fakes/twilio.ts';
import { urlSpellings } from '../../src/providers/twilio.ts';

const SID = 'AC' + 'c3'.repeat(16);
const TOKEN = 'twilio-auth-token-for-ports';

function sign(url: string, params: Record<string, string>, token = TOKEN): string {
  return createHmac('sha1', token).update(url + Object.keys(params).sort().map((k) => k + params[k]).join('')).digest('base64');
}

async function rig(t: Parameters<typeof build>[0], publicUrl: string, extra: Record<string, unknown> = {}) {
  const fake = await startTwilioFake(SID, TOKEN);
  t.after(() => fake.close());
  const h = await build(t, {
    public_url: publicUrl,
    providers: [{ name: 'tw', kind: 'twilio', account_sid: SID, auth_token: TOKEN, from: '+15005550006', base_url: fake.url }],
    routes: [{ providers: [{ name: 'tw' }] }],
    ...extra,
  });
  return h;
}

let next = 100;
async function sent(h: Harness, to = `+1415555${String(next++).padStart(4, '0')}`): Promise<{ id: string; sid: string }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to, channel: 'sms' } });
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json().message.id as string;
  for (let i = 0; i < 500; i++) {
    await h.settle();
    const row = await h.gw.store.db.selectFrom('messages').select(['status', 'provider_message_id']).where('id', '=', id).executeTakeFirstOrThrow();
    if (row.status === 'sent') return { id, sid: row.provider_message_id! };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('never sent');
}

const post = (h: Harness, path: string, params: Record<string, string>, signature: string) =>
  h.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    payload: new URLSearchParams(params).toString(),
  });

const status = async (h: Harness, id: string) => (await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.auth() })).json();

test('urlSpellings: as seen, with the port (default written out) and without, as twilio-node’s addPort/removePort', () => {
  assert.deepEqual(urlSpellings('https://otp.example.com:8443/hooks/tw'), ['https://otp.example.com:8443/hooks/tw', 'https://otp.example.com/hooks/tw']);
  assert.deepEqual(urlSpellings('https://otp.example.com/hooks/tw?a=1'), ['https://otp.example.com/hooks/tw?a=1', 'https://otp.example.com:443/hooks/tw?a=1']);
  assert.deepEqual(urlSpellings('http://otp.example.com/h'), ['http://otp.example.com/h', 'http://otp.example.com:80/h']);
  assert.deepEqual(urlSpellings('https://otp.example.com:443/h'), ['https://otp.example.com:443/h', 'https://otp.example.com/h']);
  assert.deepEqual(urlSpellings('https://user:pw@[::1]:8443/h'), ['https://user:pw@[::1]:8443/h', 'https://user:pw@[::1]/h']);
  assert.deepEqual(urlSpellings('not a url'), ['not a url']);
});

test('public_url with an explicit port: signed over the URL with or without the port → accepted; other ports and hosts → 401', async (t) => {
  const h = await rig(t, 'https://otp.example.com:8443');
  const good = ['https://otp.example.com:8443/hooks/tw', 'https://otp.example.com/hooks/tw'];
  const bad = ['https://otp.example.com:443/hooks/tw', 'https://otp.example.com:8444/hooks/tw', 'http://otp.example.com:8443/hooks/tw', 'https://evil.example.com:8443/hooks/tw', 'https://otp.example.com:8443/hooks/tw/'];
  for (const url of bad) {
    const { id, sid } = await sent(h);
    const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: SID };
    const res = await post(h, '/hooks/tw', params, sign(url, params));
    assert.deepEqual([res.statusCode, res.json().error.code], [401, 'bad_signature'], url);
    assert.equal((await status(h, id)).status, 'sent', url);
  }
  for (const url of good) {
    const { id, sid } = await sent(h);
    const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: SID, ErrorCode: '' };
    const res = await post(h, '/hooks/tw', params, sign(url, params));
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    await h.settle();
    assert.equal((await status(h, id)).status, 'delivered', url);
  }
  // With a query string on the hook URL, both spellings too; the wrong token never.
  const { sid } = await sent(h);
  const params = { MessageSid: sid, MessageStatus: 'delivered' };
  for (const url of ['https://otp.example.com/hooks/tw?src=a', 'https://otp.example.com:8443/hooks/tw?src=a'])
    assert.equal((await post(h, '/hooks/tw?src=a', params, sign(url, params))).statusCode, 200, url);
  assert.equal((await post(h, '/hooks/tw?src=a', params, sign('https://otp.example.com/hooks/tw?src=a', params, 'other'))).statusCode, 401);
});

test('public_url without a port (and with a trailing slash): the default port written out is accepted too', async (t) => {
  for (const [publicUrl, spellings] of [
    ['https://otp.example.com/', ['https://otp.example.com/hooks/tw', 'https://otp.example.com:443/hooks/tw']],
    ['http://otp.example.com', ['http://otp.example.com/hooks/tw', 'http://otp.example.com:80/hooks/tw']],
  ] as const) {
    const h = await rig(t, publicUrl);
    for (const url of spellings) {
      const { id, sid } = await sent(h);
      const params = { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' };
      const res = await post(h, '/hooks/tw', params, sign(url, params));
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      await h.settle();
      assert.equal((await status(h, id)).status, 'undelivered', url);
    }
    const { sid } = await sent(h);
    const params = { MessageSid: sid, MessageStatus: 'delivered' };
    assert.equal((await post(h, '/hooks/tw', params, sign(publicUrl.replace(/\/?$/, ':8443/hooks/tw'), params))).statusCode, 401);
  }
});

test('a "sent" message whose receipt never comes becomes expired at the receipt deadline, with its event and webhook-visible status', async (t) => {
  const h = await rig(t, 'https://otp.example.com:8443', { dispatch: { receipt_deadline_seconds: 600 } });
  const lost = await sent(h, '+14155552671');
  const answered = await sent(h, '+14155552672');
  const params = { MessageSid: answered.sid, MessageStatus: 'delivered' };
  assert.equal((await post(h, '/hooks/tw', params, sign('https://otp.example.com/hooks/tw', params))).statusCode, 200);
  await h.settle();

  h.advance(599_000);
  assert.equal(await h.gw.receiptDeadline.sweep(), 0, 'not before the deadline');
  assert.equal((await status(h, lost.id)).status, 'sent');
  h.advance(2_000);
  assert.equal(await h.gw.receiptDeadline.sweep(), 1);
  assert.equal(await h.gw.receiptDeadline.sweep(), 0, 'once');
  const m = await status(h, lost.id);
  assert.deepEqual([m.status, m.error_code], ['expired', 'receipt_deadline']);
  assert.equal(m.events.at(-1).status, 'expired');
  assert.match(m.events.at(-1).detail, /no delivery receipt within 600 s/);
  assert.equal((await status(h, answered.id)).status, 'delivered', 'a final message is left alone');
  // A receipt that arrives after the deadline changes nothing: the message is final.
  const late = { MessageSid: lost.sid, MessageStatus: 'delivered' };
  assert.equal((await post(h, '/hooks/tw', late, sign('https://otp.example.com:8443/hooks/tw', late))).statusCode, 200);
  await h.settle();
  assert.equal((await status(h, lost.id)).status, 'expired');
});

test('receipt_deadline_seconds is validated at start, naming the key', async (t) => {
  await assert.rejects(build(t, { dispatch: { receipt_deadline_seconds: 5 } }), /dispatch\.receipt_deadline_seconds/);
  await assert.rejects(build(t, { dispatch: { receipt_deadline_seconds: 'soon' } }), /dispatch\.receipt_deadline_seconds/);
});
