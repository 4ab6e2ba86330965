import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBitelProvider } from '../../src/providers/bitel.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type OutboundMessage } from '../../src/providers/types.ts';
import { startBitelFake } from '../fakes/bitel.ts';
import type { FakeServer } from '../fakes/server.ts';

const TOKEN = 'bitel-token';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '0190a0b0c0d0e0f00000000000000005', to: '+989123456789', channel: 'sms', text: 'کد تأیید شما: 7391\nاین کد تا 5 دقیقه معتبر است.', encoding: 'ucs2', segments: 1, locale: 'fa', attempt: 1, ...over };
}

function rejection(p: Promise<unknown>): Promise<ProviderError> {
  return p.then(() => assert.fail('expected a rejection'), (e) => { assert.ok(e instanceof ProviderError, String(e)); return e; });
}

function hook(body: unknown, token = 'hook-secret'): CallbackRequest {
  return { method: 'POST', url: 'https://otp.example.com/hooks/bitel', headers: { 'content-type': 'application/json' }, body, rawBody: JSON.stringify(body), query: { token } };
}

describe('bitel provider', () => {
  let fake: FakeServer;
  let bitel: ReturnType<typeof createBitelProvider>;
  before(async () => {
    fake = await startBitelFake(TOKEN);
    bitel = createBitelProvider('bitel', { token: TOKEN, gateway_number: '10009909', callback_token: 'hook-secret', base_url: fake.url, timeout_ms: 1000 });
  });
  after(() => fake.close());

  test('SMS: Bearer JSON to /api/v1/sms/single, number as 09…, Persian text intact; id from result.requestId', async () => {
    const { providerMessageId } = await bitel.send(msg());
    const req = fake.last();
    assert.equal(req.path, '/api/v1/sms/single');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(req.json, { message: msg().text, phoneNumber: '09123456789', gatewayNumber: '10009909' });
    assert.match(providerMessageId, /^[0-9a-f]{32}$/);
  });

  test('voice: /api/v1/voice/otp with only the digits and the repeat count', async () => {
    const { providerMessageId } = await bitel.send(msg({ channel: 'voice', text: 'کد تأیید شما 7 3 9 1 است. تکرار می‌کنم، کد شما 7 3 9 1 است.', voice: { repeat: 3 } }));
    assert.equal(fake.last().path, '/api/v1/voice/otp');
    assert.deepEqual(fake.last().json, { phoneNumber: '09123456789', text: '7391', repeatCount: '3' });
    assert.match(providerMessageId, /^[0-9a-f]{32}$/);
  });

  test('errors: vendor codes on 4xx are permanent; 429/5xx/timeout retryable', async () => {
    const bad = await rejection(bitel.send(msg({ to: '+989123456400' })));
    assert.deepEqual([bad.code, bad.retryable, bad.providerCode], ['invalid_number', false, 'InvalidPhoneNumber']);
    const credit = await rejection(bitel.send(msg({ to: '+989123456418' })));
    assert.deepEqual([credit.code, credit.retryable, credit.providerCode], ['insufficient_credit', false, 'InsufficientBalance']);
    const busy = await rejection(bitel.send(msg({ to: '+989123456429' })));
    assert.deepEqual([busy.code, busy.retryable, busy.providerCode], ['throttled', true, 'TooManyRequests']);
    const down = await rejection(bitel.send(msg({ to: '+989123456500' })));
    assert.deepEqual([down.code, down.retryable], ['carrier_unavailable', true]);
    const slow = await rejection(bitel.send(msg({ to: '+989123456999' })));
    assert.deepEqual([slow.code, slow.retryable], ['timeout', true]);
    const auth = await rejection(createBitelProvider('b2', { token: 'x', base_url: fake.url }).send(msg()));
    assert.deepEqual([auth.code, auth.retryable, auth.providerCode], ['auth_failed', false, 'Unauthorized']);
    const foreign = await rejection(bitel.send(msg({ to: '+9779851023212' })));
    assert.equal(foreign.code, 'unsupported_destination');
  });

  test('config errors name the field', () => {
    assert.throws(() => createBitelProvider('b', { token: '' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'token');
    assert.throws(() => createBitelProvider('b', { token: 'x', repeat_count: 9 }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'repeat_count');
    assert.throws(() => createBitelProvider('b', { token: 'x', channels: ['fax' as 'sms'] }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'channels');
  });

  test('webhooks: SMS deliveryStatus and call cause become receipts', async () => {
    const [d] = await bitel.handleCallback!(hook({ requestId: 'r1', batchId: null, deliveryStatus: 1, smsCount: 1, balanceSubtracted: 14, requestDate: 1564573464 }));
    assert.deepEqual([d.provider, d.providerMessageId, d.outcome], ['bitel', 'r1', 'delivered']);
    const [f] = await bitel.handleCallback!(hook({ requestId: 'r2', deliveryStatus: 4 }));
    assert.deepEqual([f.outcome, f.errorCode], ['undelivered', 'DELIVERY_FAILED']);
    const [s] = await bitel.handleCallback!(hook({ requestId: 'r3', deliveryStatus: 'DELIVERED' }));
    assert.equal(s.outcome, 'delivered');
    const [c] = await bitel.handleCallback!(hook({ requestId: 'c1', campaignId: null, cause: 1, billSec: 12, number: '0912*******' }));
    assert.deepEqual([c.outcome, c.billSec], ['delivered', 12]);
    const [n] = await bitel.handleCallback!(hook({ requestId: 'c2', cause: 2, billSec: 0 }));
    assert.deepEqual([n.outcome, n.errorCode], ['undelivered', 'NO_ANSWER']);
  });

  test('webhooks without the right ?token= are refused', async () => {
    const e = await rejection(bitel.handleCallback!(hook({ requestId: 'r1', deliveryStatus: 1 }, 'guess')));
    assert.deepEqual([e.code, e.retryable], ['bad_signature', false]);
  });
});
