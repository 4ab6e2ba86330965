import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTingtingProvider } from '../../src/providers/tingting.ts';
import { ProviderConfigError, ProviderError, type OutboundMessage } from '../../src/providers/types.ts';
import { startTingTingFake } from '../fakes/tingting.ts';
import { deadUrl, type FakeServer } from '../fakes/server.ts';

const TOKEN = 'tt-token-123';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '0190a0b0c0d0e0f00000000000000004', to: '+9779851023212', channel: 'sms', text: 'तपाईंको प्रमाणीकरण कोड 564546 हो। यो 5 मिनेटमा समाप्त हुन्छ।', encoding: 'ucs2', segments: 1, locale: 'ne', attempt: 1, ...over };
}

function rejection(p: Promise<unknown>): Promise<ProviderError> {
  return p.then(() => assert.fail('expected a rejection'), (e) => { assert.ok(e instanceof ProviderError, String(e)); return e; });
}

describe('tingting provider', () => {
  let fake: FakeServer;
  let tt: ReturnType<typeof createTingtingProvider>;
  before(async () => {
    fake = await startTingTingFake(TOKEN);
    tt = createTingtingProvider('tingting', { token: TOKEN, base_url: fake.url, timeout_ms: 1000 });
  });
  after(() => fake.close());

  test('SMS: Bearer JSON with the national number, {otp} in place of the code, otp apart', async () => {
    const { providerMessageId } = await tt.send(msg());
    const req = fake.last();
    assert.equal(req.path, '/api/v1/auths/send/otp/');
    assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(req.json, { number: '9851023212', message: 'तपाईंको प्रमाणीकरण कोड {otp} हो। यो 5 मिनेटमा समाप्त हुन्छ।', sms_send_options: 'text', otp_options: 'personnel', otp: '564546' });
    assert.equal(providerMessageId, msg().id);
  });

  test('voice: spaced digits in every repetition become {otp}; voice_input set', async () => {
    const script = 'Your verification code is 5 6 4 5 4 6. Again, your code is 5 6 4 5 4 6.';
    await tt.send(msg({ channel: 'voice', text: script, locale: 'en', voice: { voiceId: 'np_binod' } }));
    assert.deepEqual(fake.last().json, { number: '9851023212', message: 'Your verification code is {otp}. Again, your code is {otp}.', sms_send_options: 'voice', otp_options: 'personnel', otp: '564546', voice_input: 'np_binod' });
    await tt.send(msg({ channel: 'voice', text: script }));
    assert.equal(fake.last().json.voice_input, 'np_rija');
  });

  test('only Nepali numbers; a text without a code is refused before any request', async () => {
    const n = fake.requests.length;
    const foreign = await rejection(tt.send(msg({ to: '+989123456789' })));
    assert.deepEqual([foreign.code, foreign.retryable], ['unsupported_destination', false]);
    const noCode = await rejection(tt.send(msg({ text: 'hello' })));
    assert.deepEqual([noCode.code, noCode.retryable], ['no_code', false]);
    assert.equal(fake.requests.length, n);
  });

  test('errors: 400 permanent with its message, 401 auth_failed, 429/5xx/timeout/network retryable', async () => {
    const bad = await rejection(tt.send(msg({ to: '+9779851023400' })));
    assert.deepEqual([bad.code, bad.retryable, bad.providerCode], ['rejected', false, '400']);
    assert.match(bad.message, /Invalid phone number/);
    const auth = await rejection(createTingtingProvider('t2', { token: 'x', base_url: fake.url }).send(msg()));
    assert.deepEqual([auth.code, auth.retryable], ['auth_failed', false]);
    const busy = await rejection(tt.send(msg({ to: '+9779851023429' })));
    assert.deepEqual([busy.code, busy.retryable], ['throttled', true]);
    const down = await rejection(tt.send(msg({ to: '+9779851023500' })));
    assert.deepEqual([down.code, down.retryable], ['carrier_unavailable', true]);
    const slow = await rejection(tt.send(msg({ to: '+9779851023999' })));
    assert.deepEqual([slow.code, slow.retryable], ['timeout', true]);
    const net = await rejection(createTingtingProvider('t3', { token: TOKEN, base_url: await deadUrl() }).send(msg()));
    assert.deepEqual([net.code, net.retryable], ['network', true]);
  });

  test('config errors name the field; an SMS-only config refuses voice', async () => {
    assert.throws(() => createTingtingProvider('t', { token: '' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'token');
    assert.throws(() => createTingtingProvider('t', { token: 'x', voice_input: 'robot' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'voice_input');
    assert.throws(() => createTingtingProvider('t', { token: 'x', base_url: 'ftp://x' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'base_url');
    assert.throws(() => createTingtingProvider('t', { token: 'x', timeout_ms: 0 }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'timeout_ms');
    const smsOnly = createTingtingProvider('t4', { token: TOKEN, base_url: fake.url, channels: ['sms'] });
    assert.equal((await rejection(smsOnly.send(msg({ channel: 'voice' })))).code, 'unsupported_channel');
  });
});
