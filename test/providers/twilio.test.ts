import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createTwilioProvider } from '../../src/providers/twilio.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type OutboundMessage } from '../../src/providers/types.ts';
import { startTwilioFake } from '../fakes/twilio.ts';
import { deadUrl, type FakeServer } from '../fakes/server.ts';

const SID = 'AC' + 'a1'.repeat(16);
const TOKEN = 'twilio-auth-token';
const HOOK = 'https://otp.example.com/hooks/twilio-main';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '0190a0b0c0d0e0f00000000000000001', to: '+14155550123', channel: 'sms', text: 'Your code is 123456', encoding: 'gsm7', segments: 1, locale: 'en', attempt: 1, ...over };
}

function rejection(p: Promise<unknown>): Promise<ProviderError> {
  return p.then(() => assert.fail('expected a rejection'), (e) => { assert.ok(e instanceof ProviderError, String(e)); return e; });
}

function sign(url: string, params: Record<string, string>, token = TOKEN): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', token).update(data).digest('base64');
}

function callback(params: Record<string, string>, signature?: string): CallbackRequest {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  headers['X-Twilio-Signature'] = signature ?? sign(HOOK, params);
  return { method: 'POST', url: HOOK, headers, body: params, rawBody: new URLSearchParams(params).toString(), query: {} };
}

describe('twilio provider', () => {
  let fake: FakeServer;
  let twilio: ReturnType<typeof createTwilioProvider>;
  before(async () => {
    fake = await startTwilioFake(SID, TOKEN);
    twilio = createTwilioProvider('twilio-main', { account_sid: SID, auth_token: TOKEN, from: '+15005550006', status_callback: HOOK, base_url: fake.url, timeout_ms: 1000 });
  });
  after(() => fake.close());

  test('SMS: form post to Messages.json with Basic auth; unicode body intact; returns the SM sid', async () => {
    const text = 'کد تأیید شما: 123456 ✓';
    const { providerMessageId } = await twilio.send(msg({ text, encoding: 'ucs2' }));
    const req = fake.last();
    assert.equal(req.path, `/2010-04-01/Accounts/${SID}/Messages.json`);
    assert.equal(req.headers.authorization, 'Basic ' + Buffer.from(`${SID}:${TOKEN}`).toString('base64'));
    assert.deepEqual(req.form, { To: '+14155550123', From: '+15005550006', Body: text, StatusCallback: HOOK });
    assert.match(providerMessageId, /^SM[0-9a-f]{32}$/);
  });

  test('SMS without a sender uses the messaging service', async () => {
    const svc = createTwilioProvider('t2', { account_sid: SID, auth_token: TOKEN, messaging_service_sid: 'MG123', base_url: fake.url });
    await svc.send(msg());
    assert.equal(fake.last().form?.MessagingServiceSid, 'MG123');
    assert.equal(fake.last().form?.From, undefined);
    assert.deepEqual(svc.channels, ['sms']);
  });

  test('voice: Calls.json with XML-escaped TwiML <Say> in the locale language', async () => {
    const { providerMessageId } = await twilio.send(msg({ channel: 'voice', text: 'Code 1 2 3 <&> "again"', locale: 'en' }));
    const f = fake.last().form!;
    assert.equal(fake.last().path, `/2010-04-01/Accounts/${SID}/Calls.json`);
    assert.equal(f.From, '+15005550006');
    assert.equal(f.Twiml, '<Response><Say language="en-US">Code 1 2 3 &lt;&amp;&gt; &quot;again&quot;</Say></Response>');
    assert.match(providerMessageId, /^CA/);
  });

  test('4xx is permanent with the Twilio code; 429 and 5xx are retryable', async () => {
    const bad = await rejection(twilio.send(msg({ to: '+14155550400' })));
    assert.equal(bad.retryable, false);
    assert.equal(bad.providerCode, '21211');
    assert.match(bad.message, /not a valid phone number/);
    const throttled = await rejection(twilio.send(msg({ to: '+14155550429' })));
    assert.deepEqual([throttled.code, throttled.retryable, throttled.providerCode], ['throttled', true, '20429']);
    const down = await rejection(twilio.send(msg({ to: '+14155550500' })));
    assert.deepEqual([down.retryable, down.providerCode], [true, '20500']);
  });

  test('wrong credentials: auth_failed, not retryable', async () => {
    const wrong = createTwilioProvider('t3', { account_sid: SID, auth_token: 'nope', from: '+15005550006', base_url: fake.url });
    const e = await rejection(wrong.send(msg()));
    assert.deepEqual([e.code, e.retryable, e.providerCode], ['auth_failed', false, '20003']);
  });

  test('timeout and unreachable carrier are retryable', async () => {
    const slow = await rejection(twilio.send(msg({ to: '+14155550999' })));
    assert.deepEqual([slow.code, slow.retryable], ['timeout', true]);
    const dead = createTwilioProvider('t4', { account_sid: SID, auth_token: TOKEN, from: '+15005550006', base_url: await deadUrl() });
    const net = await rejection(dead.send(msg()));
    assert.deepEqual([net.code, net.retryable], ['network', true]);
  });

  test('config errors name the field', () => {
    assert.throws(() => createTwilioProvider('x', { account_sid: 'nope', auth_token: TOKEN, from: '+1' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'account_sid');
    assert.throws(() => createTwilioProvider('x', { account_sid: SID, auth_token: '' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'auth_token');
    assert.throws(() => createTwilioProvider('x', { account_sid: SID, auth_token: TOKEN, from: 'ACME', channels: ['voice'] }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'channels');
  });

  test('a channel the config does not enable is unsupported_channel', async () => {
    const smsOnly = createTwilioProvider('t5', { account_sid: SID, auth_token: TOKEN, from: 'ACME', base_url: fake.url });
    const e = await rejection(smsOnly.send(msg({ channel: 'voice' })));
    assert.deepEqual([e.code, e.retryable], ['unsupported_channel', false]);
  });

  test('callbacks: SMS and call statuses become receipts', async () => {
    const [d] = await twilio.handleCallback!(callback({ MessageSid: 'SM1', MessageStatus: 'delivered', AccountSid: SID }));
    assert.deepEqual([d.provider, d.providerMessageId, d.outcome], ['twilio-main', 'SM1', 'delivered']);
    const [u] = await twilio.handleCallback!(callback({ MessageSid: 'SM2', MessageStatus: 'undelivered', ErrorCode: '30003' }));
    assert.deepEqual([u.outcome, u.errorCode], ['undelivered', 'undelivered:30003']);
    const [s] = await twilio.handleCallback!(callback({ MessageSid: 'SM3', MessageStatus: 'sent' }));
    assert.equal(s.outcome, 'enroute');
    const [c] = await twilio.handleCallback!(callback({ CallSid: 'CA1', CallStatus: 'completed', CallDuration: '14' }));
    assert.deepEqual([c.providerMessageId, c.outcome, c.billSec], ['CA1', 'delivered', 14]);
    const [n] = await twilio.handleCallback!(callback({ CallSid: 'CA2', CallStatus: 'no-answer' }));
    assert.deepEqual([n.outcome, n.errorCode], ['no_answer', 'no-answer']);
    const [b] = await twilio.handleCallback!(callback({ CallSid: 'CA3', CallStatus: 'busy' }));
    assert.deepEqual([b.outcome, b.errorCode], ['busy', 'busy']);
  });

  test('callbacks: forged, tampered or unsigned are bad_signature', async () => {
    const params = { MessageSid: 'SM1', MessageStatus: 'delivered' };
    const forged = await rejection(twilio.handleCallback!(callback(params, sign(HOOK, params, 'other-token'))));
    assert.equal(forged.code, 'bad_signature');
    const tampered = callback(params);
    tampered.body = { ...params, MessageStatus: 'failed' };
    assert.equal((await rejection(twilio.handleCallback!(tampered))).code, 'bad_signature');
    const unsigned = callback(params);
    delete unsigned.headers['X-Twilio-Signature'];
    assert.equal((await rejection(twilio.handleCallback!(unsigned))).code, 'bad_signature');
  });
});
