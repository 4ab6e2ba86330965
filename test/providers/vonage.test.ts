import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { createVonageProvider, type VonageConfig } from '../../src/providers/vonage.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type OutboundMessage } from '../../src/providers/types.ts';
import { startVonageFake } from '../fakes/vonage.ts';
import type { FakeServer } from '../fakes/server.ts';

const SECRET = 'vonage-signature-secret';
const APP = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '0190a0b0c0d0e0f00000000000000002', to: '+447700900000', channel: 'sms', text: 'Your code is 123456', encoding: 'gsm7', segments: 1, locale: 'en', attempt: 1, ...over };
}

function rejection(p: Promise<unknown>): Promise<ProviderError> {
  return p.then(() => assert.fail('expected a rejection'), (e) => { assert.ok(e instanceof ProviderError, String(e)); return e; });
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
function hs256(claims: object, secret = SECRET): string {
  const data = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${data}.${b64url(createHmac('sha256', secret).update(data).digest())}`;
}

function voiceEvent(body: Record<string, unknown>, token?: string): CallbackRequest {
  const rawBody = JSON.stringify(body);
  const jwt = token ?? hs256({ iat: Math.floor(Date.now() / 1000), payload_hash: createHash('sha256').update(rawBody).digest('hex') });
  return { method: 'POST', url: 'https://otp.example.com/hooks/vonage', headers: { authorization: `Bearer ${jwt}` }, body, rawBody, query: {} };
}

function signedDlr(params: Record<string, string>, secret = SECRET): CallbackRequest {
  const signed = Object.keys(params).sort().map((k) => `&${k}=${params[k].replace(/[&=]/g, '_')}`).join('');
  const sig = createHash('md5').update(signed + secret).digest('hex');
  return { method: 'GET', url: 'https://otp.example.com/hooks/vonage', headers: {}, body: undefined, rawBody: '', query: { ...params, sig } };
}

describe('vonage provider', () => {
  let fake: FakeServer;
  let vonage: ReturnType<typeof createVonageProvider>;
  let cfg: VonageConfig;
  before(async () => {
    fake = await startVonageFake({ apiKey: 'key1', apiSecret: 'secret1', applicationId: APP, publicKey });
    cfg = { api_key: 'key1', api_secret: 'secret1', from: 'Acme', application_id: APP, private_key: PEM, voice_from: '+447700900001', status_callback: 'https://otp.example.com/hooks/vonage', signature_secret: SECRET, base_url: fake.url, timeout_ms: 1000 };
    vonage = createVonageProvider('vonage', cfg);
  });
  after(() => fake.close());

  test('SMS: form to /sms/json, number without +, type=unicode for UCS-2, text intact', async () => {
    const text = 'Ваш код подтверждения: 123456';
    const { providerMessageId } = await vonage.send(msg({ text, encoding: 'ucs2' }));
    const f = fake.last().form!;
    assert.equal(fake.last().path, '/sms/json');
    assert.deepEqual(f, { api_key: 'key1', api_secret: 'secret1', from: 'Acme', to: '447700900000', text, 'client-ref': msg().id, type: 'unicode', callback: cfg.status_callback });
    assert.match(providerMessageId, /^[0-9A-F]{16}$/);
    await vonage.send(msg());
    assert.equal(fake.last().form!.type, undefined);
  });

  test('a long SMS answered with several message ids reports every part, so it is delivered only when each is', async () => {
    const long = await vonage.send(msg({ text: 'Ваш код подтверждения: 123456. '.repeat(6), encoding: 'ucs2', segments: 3 }));
    assert.equal(long.parts?.length, 3);
    assert.equal(long.parts?.[0], long.providerMessageId);
    assert.equal(new Set(long.parts).size, 3);
    assert.equal((await vonage.send(msg())).parts, undefined, 'one part: no list');
  });

  test('SMS API error statuses (HTTP 200) map to typed errors', async () => {
    const bad = await rejection(vonage.send(msg({ to: '+447700900400' })));
    assert.deepEqual([bad.code, bad.retryable, bad.providerCode], ['rejected', false, '3']);
    const slow = await rejection(vonage.send(msg({ to: '+447700900429' })));
    assert.deepEqual([slow.code, slow.retryable, slow.providerCode], ['throttled', true, '1']);
    const credit = await rejection(vonage.send(msg({ to: '+447700900418' })));
    assert.deepEqual([credit.code, credit.retryable, credit.providerCode], ['insufficient_credit', false, '9']);
    const down = await rejection(vonage.send(msg({ to: '+447700900500' })));
    assert.deepEqual([down.retryable, down.providerCode], [true, '500']);
    const timeout = await rejection(vonage.send(msg({ to: '+447700900999' })));
    assert.deepEqual([timeout.code, timeout.retryable], ['timeout', true]);
    const wrong = createVonageProvider('v2', { ...cfg, api_secret: 'nope' });
    const auth = await rejection(wrong.send(msg()));
    assert.deepEqual([auth.code, auth.retryable, auth.providerCode], ['auth_failed', false, '4']);
  });

  test('voice: /v1/calls with an RS256 application JWT and a talk NCCO', async () => {
    const { providerMessageId } = await vonage.send(msg({ channel: 'voice', text: 'Your code is 1 2 3 4 5 6.', locale: 'en' }));
    const req = fake.last();
    assert.equal(req.path, '/v1/calls');
    assert.deepEqual(req.json, {
      to: [{ type: 'phone', number: '447700900000' }],
      from: { type: 'phone', number: '447700900001' },
      ncco: [{ action: 'talk', text: 'Your code is 1 2 3 4 5 6.', language: 'en-US' }],
      event_url: [cfg.status_callback],
    });
    assert.match(providerMessageId, /^[0-9a-f-]{36}$/);
  });

  test('voice errors: RFC 7807 4xx permanent with its type, 429/5xx retryable, wrong key refused', async () => {
    const bad = await rejection(vonage.send(msg({ channel: 'voice', to: '+447700900400' })));
    assert.deepEqual([bad.retryable, bad.providerCode], [false, 'validation']);
    const slow = await rejection(vonage.send(msg({ channel: 'voice', to: '+447700900429' })));
    assert.deepEqual([slow.code, slow.retryable], ['throttled', true]);
    const down = await rejection(vonage.send(msg({ channel: 'voice', to: '+447700900500' })));
    assert.equal(down.retryable, true);
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const wrong = createVonageProvider('v3', { ...cfg, private_key: other });
    const auth = await rejection(wrong.send(msg({ channel: 'voice' })));
    assert.deepEqual([auth.code, auth.retryable, auth.providerCode], ['auth_failed', false, 'unauthorized']);
  });

  test('config: channels follow the credentials given; missing ones are named', () => {
    assert.deepEqual(createVonageProvider('v', { api_key: 'k', api_secret: 's', from: 'A' }).channels, ['sms']);
    assert.throws(() => createVonageProvider('v', {}), (e: unknown) => e instanceof ProviderConfigError && e.field === 'channels');
    assert.throws(() => createVonageProvider('v', { api_key: 'k', api_secret: 's', from: 'A', channels: ['voice'] }), (e: unknown) => e instanceof ProviderConfigError && /application_id/.test(e.message));
    assert.throws(() => createVonageProvider('v', { application_id: APP, private_key: '/no/such/key' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'private_key');
  });

  test('SMS-only config refuses voice with unsupported_channel', async () => {
    const smsOnly = createVonageProvider('v4', { api_key: 'key1', api_secret: 'secret1', from: 'A', base_url: fake.url });
    const e = await rejection(smsOnly.send(msg({ channel: 'voice' })));
    assert.deepEqual([e.code, e.retryable], ['unsupported_channel', false]);
  });

  test('signed SMS receipts (sig) become receipts; a forged sig is refused', async () => {
    const dlr = { messageId: '0A0000001234567B', status: 'delivered', 'err-code': '0', msisdn: '447700900000', to: 'Acme', 'message-timestamp': '2024-05-01 10:11:12', timestamp: '1714558272' };
    const [r] = await vonage.handleCallback!(signedDlr(dlr));
    assert.deepEqual([r.providerMessageId, r.outcome, r.at.toISOString(), r.to], ['0A0000001234567B', 'delivered', '2024-05-01T10:11:12.000Z', '447700900000']);
    const [f] = await vonage.handleCallback!(signedDlr({ ...dlr, status: 'failed', 'err-code': '5' }));
    assert.deepEqual([f.outcome, f.errorCode], ['undelivered', 'failed:5']);
    const forged = await rejection(vonage.handleCallback!(signedDlr(dlr, 'guess')));
    assert.equal(forged.code, 'bad_signature');
    const unsigned = signedDlr(dlr);
    delete unsigned.query.sig;
    assert.equal((await rejection(vonage.handleCallback!(unsigned))).code, 'bad_signature');
  });

  test('signed voice events (Bearer JWT HS256 + payload_hash) become receipts; forgeries refused', async () => {
    const [c] = await vonage.handleCallback!(voiceEvent({ uuid: 'call-1', status: 'completed', duration: '21', timestamp: '2024-05-01T10:00:00.000Z' }));
    assert.deepEqual([c.providerMessageId, c.outcome, c.billSec], ['call-1', 'delivered', 21]);
    const [b] = await vonage.handleCallback!(voiceEvent({ uuid: 'call-2', status: 'busy' }));
    assert.deepEqual([b.outcome, b.errorCode], ['busy', 'busy']);
    const [u] = await vonage.handleCallback!(voiceEvent({ uuid: 'call-3', status: 'unanswered' }));
    assert.deepEqual([u.outcome, u.errorCode], ['no_answer', 'unanswered']);
    const wrongKey = await rejection(vonage.handleCallback!(voiceEvent({ uuid: 'call-1', status: 'completed' }, hs256({ iat: 1 }, 'guess'))));
    assert.equal(wrongKey.code, 'bad_signature');
    const tampered = voiceEvent({ uuid: 'call-1', status: 'completed', duration: '21' });
    tampered.rawBody = JSON.stringify({ uuid: 'call-1', status: 'failed' });
    assert.equal((await rejection(vonage.handleCallback!(tampered))).code, 'bad_signature');
    const none = `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url('{}')}.`;
    assert.equal((await rejection(vonage.handleCallback!(voiceEvent({ uuid: 'x', status: 'completed' }, none)))).code, 'bad_signature');
  });
});
