import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createHttpProvider, type HttpProviderConfig } from '../../src/providers/http.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type OutboundMessage } from '../../src/providers/types.ts';
import { startGenericFake } from '../fakes/generic.ts';
import type { FakeServer } from '../fakes/server.ts';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '0190a0b0c0d0e0f00000000000000006', to: '+9779851023212', channel: 'sms', text: 'Code "123456"\nक्या\\ok', encoding: 'ucs2', segments: 1, locale: 'ne', attempt: 1, ...over };
}

function rejection(p: Promise<unknown>): Promise<ProviderError> {
  return p.then(() => assert.fail('expected a rejection'), (e) => { assert.ok(e instanceof ProviderError, String(e)); return e; });
}

const CALLBACK = { id_field: 'data.id', status_field: 'data.state', delivered_values: ['DELIVERED'], undelivered_values: ['FAILED', 'EXPIRED'], error_field: 'data.reason', secret: 'cb-secret' };

function hook(body: unknown, secret = 'cb-secret'): CallbackRequest {
  const rawBody = JSON.stringify(body);
  const sig = createHmac('sha256', secret).update(rawBody).digest('hex');
  return { method: 'POST', url: 'https://otp.example.com/hooks/gen', headers: { 'X-Signature': `sha256=${sig}` }, body, rawBody, query: {} };
}

describe('generic http provider', () => {
  let fake: FakeServer;
  let cfg: HttpProviderConfig;
  let gen: ReturnType<typeof createHttpProvider>;
  before(async () => {
    fake = await startGenericFake('k-1');
    cfg = {
      url: `${fake.url}/v2/messages`,
      headers: { 'X-Api-Key': 'k-1' },
      body_template: '{"to":"{to}","national":"{to_national}","text":"{text}","kind":"{channel}","ref":"{id}","sender":"{from}","otp":"{code}"}',
      id_path: 'data.id',
      error_code_path: 'error.code',
      from: 'Acme',
      channels: ['sms', 'voice'],
      callback: CALLBACK,
      timeout_ms: 1000,
    };
    gen = createHttpProvider('gen', cfg);
  });
  after(() => fake.close());

  test('fills the template JSON-escaped (quotes, newline, backslash, Devanagari intact) and reads id_path', async () => {
    const { providerMessageId } = await gen.send(msg());
    const req = fake.last();
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v2/messages');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(req.json, { to: '+9779851023212', national: '9851023212', text: msg().text, kind: 'sms', ref: msg().id, sender: 'Acme', otp: '123456' });
    assert.match(providerMessageId, /^msg_[0-9a-f]{12}$/);
    await gen.send(msg({ channel: 'voice', text: 'Your code is 1 2 3 4 5 6.' }));
    assert.equal(fake.last().json.kind, 'voice');
  });

  test('GET with URL-encoded placeholders; default 2xx success; numeric id', async () => {
    const get = createHttpProvider('gen-get', { url: `${fake.url}/send?to={to}&text={text}`, method: 'GET', headers: { 'X-Api-Key': 'k-1' }, id_path: 'message_id' });
    const { providerMessageId } = await get.send(msg({ text: 'a&b=c ✓' }));
    assert.deepEqual(fake.last().query, { to: '+9779851023212', text: 'a&b=c ✓' });
    assert.equal(fake.last().raw, '');
    assert.equal(providerMessageId, '4711');
  });

  test('errors: 4xx permanent with the vendor code, 429/503/timeout retryable, missing id is bad_response', async () => {
    const bad = await rejection(gen.send(msg({ to: '+9779851023400' })));
    assert.deepEqual([bad.code, bad.retryable, bad.providerCode], ['rejected', false, 'INVALID_DESTINATION']);
    const busy = await rejection(gen.send(msg({ to: '+9779851023429' })));
    assert.deepEqual([busy.code, busy.retryable, busy.providerCode], ['throttled', true, 'RATE_LIMITED']);
    const down = await rejection(gen.send(msg({ to: '+9779851023500' })));
    assert.deepEqual([down.code, down.retryable], ['carrier_unavailable', true]);
    const slow = await rejection(gen.send(msg({ to: '+9779851023999' })));
    assert.deepEqual([slow.code, slow.retryable], ['timeout', true]);
    const auth = await rejection(createHttpProvider('g2', { ...cfg, headers: { 'X-Api-Key': 'nope' } }).send(msg()));
    assert.deepEqual([auth.code, auth.retryable, auth.providerCode], ['auth_failed', false, 'UNAUTHORIZED']);
    const noId = await rejection(createHttpProvider('g3', { ...cfg, id_path: 'data.nothing' }).send(msg()));
    assert.deepEqual([noId.code, noId.retryable], ['bad_response', false]);
    const strict = await rejection(createHttpProvider('g4', { ...cfg, success_status: 200 }).send(msg()));
    assert.equal(strict.retryable, false);
  });

  test('config errors name the field', () => {
    const bad = (over: Partial<HttpProviderConfig>, field: string) =>
      assert.throws(() => createHttpProvider('g', { ...cfg, ...over }), (e: unknown) => e instanceof ProviderConfigError && e.field === field);
    bad({ url: 'not a url' }, 'url');
    bad({ body_template: '{"to":"{phone}"}' }, 'body_template');
    bad({ body_template: '{"to":{to}}' }, 'body_template');
    bad({ method: 'DELETE' as 'GET' }, 'method');
    bad({ success_status: [99] }, 'success_status');
    bad({ callback: { ...CALLBACK, delivered_values: [] } }, 'callback.delivered_values');
  });

  test('an sms-only config refuses voice', async () => {
    const smsOnly = createHttpProvider('g5', { url: `${fake.url}/v2/messages` });
    assert.equal((await rejection(smsOnly.send(msg({ channel: 'voice' })))).code, 'unsupported_channel');
  });

  test('callbacks: configured fields and values become receipts; batches too', async () => {
    const [d] = await gen.handleCallback!(hook({ data: { id: 'msg_1', state: 'DELIVERED' } }));
    assert.deepEqual([d.provider, d.providerMessageId, d.outcome], ['gen', 'msg_1', 'delivered']);
    const [f] = await gen.handleCallback!(hook({ data: { id: 'msg_2', state: 'FAILED', reason: 'ABSENT_SUBSCRIBER' } }));
    assert.deepEqual([f.outcome, f.errorCode], ['undelivered', 'ABSENT_SUBSCRIBER']);
    const batch = await gen.handleCallback!(hook([{ data: { id: 'a', state: 'SENT' } }, { data: { id: 'b', state: 'EXPIRED' } }]));
    assert.deepEqual(batch.map((r) => [r.providerMessageId, r.outcome, r.errorCode]), [['a', 'enroute', undefined], ['b', 'undelivered', 'EXPIRED']]);
  });

  test('callbacks: a forged or tampered X-Signature is refused', async () => {
    const forged = await rejection(gen.handleCallback!(hook({ data: { id: 'msg_1', state: 'DELIVERED' } }, 'guess')));
    assert.equal(forged.code, 'bad_signature');
    const tampered = hook({ data: { id: 'msg_1', state: 'FAILED' } });
    tampered.rawBody = JSON.stringify({ data: { id: 'msg_1', state: 'DELIVERED' } });
    assert.equal((await rejection(gen.handleCallback!(tampered))).code, 'bad_signature');
  });
});

describe('code lookup for templates', () => {
  test('{code} takes the longest digit run, so digits in an app name do not win', async () => {
    const fake = await startGenericFake('k-1');
    try {
      const p = createHttpProvider('g6', { url: `${fake.url}/v2/messages`, headers: { 'X-Api-Key': 'k-1' }, body_template: '{"to":"{to}","otp":"{code}"}' });
      await p.send(msg({ text: 'Your Shop 2024 verification code is 918273 5 min.' }));
      assert.equal(fake.last().json.otp, '918273');
      const noCode = await rejection(p.send(msg({ text: 'no digits here' })));
      assert.deepEqual([noCode.code, noCode.retryable], ['no_code', false]);
    } finally {
      await fake.close();
    }
  });
});
