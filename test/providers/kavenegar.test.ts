import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKavenegarProvider, type KavenegarConfig } from '../../src/providers/kavenegar.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type OutboundMessage } from '../../src/providers/types.ts';
import { startKavenegarFake } from '../fakes/kavenegar.ts';
import type { FakeServer } from '../fakes/server.ts';

const KEY = '6A4B5C3D2E1F-kave';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '0190a0b0c0d0e0f00000000000000003', to: '+989123456789', channel: 'sms', text: 'کد تأیید شما: 483920\nاین کد تا 5 دقیقه معتبر است.', encoding: 'ucs2', segments: 1, locale: 'fa', attempt: 1, ...over };
}

function rejection(p: Promise<unknown>): Promise<ProviderError> {
  return p.then(() => assert.fail('expected a rejection'), (e) => { assert.ok(e instanceof ProviderError, String(e)); return e; });
}

function hook(fields: Record<string, string>, token?: string): CallbackRequest {
  return { method: 'POST', url: 'https://otp.example.com/hooks/kave', headers: {}, body: fields, rawBody: new URLSearchParams(fields).toString(), query: token ? { token } : {} };
}

describe('kavenegar provider', () => {
  let fake: FakeServer;
  let cfg: KavenegarConfig;
  let kave: ReturnType<typeof createKavenegarProvider>;
  before(async () => {
    fake = await startKavenegarFake(KEY);
    cfg = { api_key: KEY, sender: '10004346', callback_token: 'hook-secret', base_url: fake.url, timeout_ms: 1000 };
    kave = createKavenegarProvider('kave', cfg);
  });
  after(() => fake.close());

  test('SMS: sms/send.json with the key in the path, receptor as 09…, Persian text intact', async () => {
    const { providerMessageId } = await kave.send(msg());
    const req = fake.last();
    assert.equal(req.path, `/v1/${KEY}/sms/send.json`);
    assert.deepEqual(req.form, { receptor: '09123456789', message: msg().text, sender: '10004346' });
    assert.match(providerMessageId, /^\d+$/);
  });

  test('non-Iranian numbers go out as 00…', async () => {
    await kave.send(msg({ to: '+447700900123' }));
    assert.equal(fake.last().form!.receptor, '00447700900123');
  });

  test('with a template, SMS goes through verify/lookup with the code as token', async () => {
    const lookup = createKavenegarProvider('kave-otp', { ...cfg, template: 'otp-login' });
    await lookup.send(msg());
    assert.equal(fake.last().path, `/v1/${KEY}/verify/lookup.json`);
    assert.deepEqual(fake.last().form, { receptor: '09123456789', token: '483920', template: 'otp-login' });
    const missing = createKavenegarProvider('kave-otp2', { ...cfg, template: 'no-such' });
    const e = await rejection(missing.send(msg()));
    assert.deepEqual([e.code, e.retryable, e.providerCode], ['template_not_found', false, '424']);
  });

  test('voice: call/maketts.json with the script', async () => {
    const script = 'کد تأیید شما 4 8 3 9 2 0 است.';
    await kave.send(msg({ channel: 'voice', text: script }));
    assert.equal(fake.last().path, `/v1/${KEY}/call/maketts.json`);
    assert.deepEqual(fake.last().form, { receptor: '09123456789', message: script });
  });

  test('status codes: 411/418 permanent, 429/5xx/timeout retryable, wrong key auth_failed', async () => {
    const bad = await rejection(kave.send(msg({ to: '+989123456400' })));
    assert.deepEqual([bad.code, bad.retryable, bad.providerCode], ['invalid_number', false, '411']);
    const credit = await rejection(kave.send(msg({ to: '+989123456418' })));
    assert.deepEqual([credit.code, credit.retryable, credit.providerCode], ['insufficient_credit', false, '418']);
    const busy = await rejection(kave.send(msg({ to: '+989123456429' })));
    assert.deepEqual([busy.code, busy.retryable], ['throttled', true]);
    const down = await rejection(kave.send(msg({ to: '+989123456500' })));
    assert.deepEqual([down.code, down.retryable, down.providerCode], ['carrier_unavailable', true, '502']);
    const slow = await rejection(kave.send(msg({ to: '+989123456999' })));
    assert.deepEqual([slow.code, slow.retryable], ['timeout', true]);
    const wrong = createKavenegarProvider('k2', { ...cfg, api_key: 'wrong' });
    const auth = await rejection(wrong.send(msg()));
    assert.deepEqual([auth.code, auth.retryable, auth.providerCode], ['auth_failed', false, '403']);
  });

  test('config errors name the field', () => {
    assert.throws(() => createKavenegarProvider('k', { api_key: '' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'api_key');
    assert.throws(() => createKavenegarProvider('k', { api_key: 'a/b' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'api_key');
    assert.throws(() => createKavenegarProvider('k', { api_key: 'k', code_pattern: '(' }), (e: unknown) => e instanceof ProviderConfigError && e.field === 'code_pattern');
  });

  test('delivery callbacks map Kavenegar statuses; a wrong token is refused', async () => {
    const [d] = await kave.handleCallback!(hook({ messageid: '8792343', status: '10' }, 'hook-secret'));
    assert.deepEqual([d.provider, d.providerMessageId, d.outcome], ['kave', '8792343', 'delivered']);
    const [u] = await kave.handleCallback!(hook({ messageid: '8792344', status: '11' }, 'hook-secret'));
    assert.deepEqual([u.outcome, u.errorCode], ['undelivered', 'status:11']);
    const [q] = await kave.handleCallback!(hook({ messageid: '8792345', status: '4' }, 'hook-secret'));
    assert.equal(q.outcome, 'enroute');
    assert.equal((await rejection(kave.handleCallback!(hook({ messageid: '1', status: '10' }, 'guess')))).code, 'bad_signature');
    assert.equal((await rejection(kave.handleCallback!(hook({ messageid: '1', status: '10' })))).code, 'bad_signature');
  });
});
