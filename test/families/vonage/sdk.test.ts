/**
 * The official @vonage/server-sdk, unchanged, against a real otpgate process through its apiHost
 * option: Verify v2 with the JWT the SDK signs from the application's private key (issued by
 * `otpgate keys create --family vonage`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Vonage } from '@vonage/server-sdk';
import { Channels } from '@vonage/verify2';
import { type ServerProcess, stop } from '../../e2e/server-process.ts';
import { field, keysCreate, nextInbox, vendorServer } from '../vendor-process.ts';

let s: ServerProcess;
let vonage: Vonage;
let creds: { applicationId: string; privateKey: string; apiKey: string; apiSecret: string };
const cleanup: Array<() => unknown> = [];

before(async () => {
  const server = await vendorServer({ after: (fn) => cleanup.push(fn) }, { verify: { resend_cooldown_seconds: 0 } });
  s = server.s;
  const out = await keysCreate(server.dir, 'vonage');
  const pem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(out);
  assert.ok(pem, out);
  creds = { applicationId: field(out, 'Application ID'), privateKey: pem[0], apiKey: field(out, 'API Key'), apiSecret: field(out, 'API Secret') };
  vonage = new Vonage({ applicationId: creds.applicationId, privateKey: creds.privateKey }, { apiHost: s.url });
});

after(async () => {
  if (s) await stop(s, 'SIGKILL');
  for (const fn of cleanup.reverse()) await fn();
});

/** The HTTP answer an SDK call rejected with (the SDK's VetchError keeps the fetch Response). */
async function rejection(p: Promise<unknown>): Promise<{ status: number; body: Record<string, any> }> {
  try {
    await p;
  } catch (e) {
    const res = (e as { response?: Response }).response;
    assert.ok(res, `not an HTTP error: ${e}`);
    return { status: res.status, body: await res.json() };
  }
  throw new Error('the call succeeded; an error was expected');
}

const wrongOf = (code: string) => (code === '0000' ? '1111' : '0000');

test('keys create --family vonage prints an application, its private key and an API key', () => {
  assert.match(creds.applicationId, /^[0-9a-f-]{36}$/);
  assert.match(creds.apiKey, /^[0-9a-f]{8}$/);
  assert.equal(creds.apiSecret.length, 16);
});

test('send → code from the dev inbox → check → completed', async () => {
  const to = '14155550201';
  const { requestId } = await vonage.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to }] });
  assert.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const sms = await nextInbox(s, `+${to}`, 'sms');
  assert.match(sms.code ?? '', /^[0-9]{4}$/, 'Vonage\'s default code length is 4');
  assert.ok(sms.text.includes('Acme'), sms.text);
  assert.equal(await vonage.verify2.checkCode(requestId, sms.code!), 'completed');
  const again = await rejection(vonage.verify2.checkCode(requestId, sms.code!));
  assert.equal(again.status, 404, 'verified already');
  assert.equal(again.body.title, 'Not Found');
});

test('wrong code: 400 Invalid Code, problem details; then the right code completes', async () => {
  const to = '14155550202';
  const { requestId } = await vonage.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to }], codeLength: 6 });
  const sms = await nextInbox(s, `+${to}`, 'sms');
  assert.match(sms.code ?? '', /^[0-9]{6}$/);
  const bad = await rejection(vonage.verify2.checkCode(requestId, wrongOf(sms.code!)));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.title, 'Invalid Code');
  assert.equal(bad.body.detail, 'The code you provided does not match the expected value.');
  assert.match(bad.body.type, /^https:\/\//);
  assert.match(bad.body.instance, /^[0-9a-f-]{36}$/);
  assert.equal(await vonage.verify2.checkCode(requestId, sms.code!), 'completed');
});

test('too many wrong codes: 410, the workflow is terminated', async () => {
  const to = '14155550203';
  const { requestId } = await vonage.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to }] });
  const sms = await nextInbox(s, `+${to}`, 'sms');
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await rejection(vonage.verify2.checkCode(requestId, wrongOf(sms.code!)))).status);
  assert.deepEqual(statuses, [400, 400, 400, 400, 410]);
  const after = await rejection(vonage.verify2.checkCode(requestId, sms.code!));
  assert.equal(after.status, 410);
});

test('cancel: the SDK answers true, then a check is 404', async () => {
  const to = '14155550204';
  const { requestId } = await vonage.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to }] });
  const sms = await nextInbox(s, `+${to}`, 'sms');
  assert.equal(await vonage.verify2.cancel(requestId), true);
  assert.equal((await rejection(vonage.verify2.checkCode(requestId, sms.code!))).status, 404);
  assert.equal(await vonage.verify2.cancel(requestId), false, 'a second cancel fails');
});

test('next_workflow: the same code by voice; then none is left (409)', async () => {
  const to = '14155550205';
  const { requestId } = await vonage.verify2.newRequest({
    brand: 'Acme',
    workflow: [
      { channel: Channels.SMS, to },
      { channel: Channels.VOICE, to },
    ],
  });
  const sms = await nextInbox(s, `+${to}`, 'sms');
  assert.equal(await vonage.verify2.nextWorkflow(requestId), true);
  const call = await nextInbox(s, `+${to}`, 'voice');
  assert.equal(call.code, sms.code, 'the call reads the same code');
  assert.equal(await vonage.verify2.nextWorkflow(requestId), false, 'no third step');
  assert.equal(await vonage.verify2.checkCode(requestId, call.code!), 'completed');
});

test('a second verification to a number with one in flight: 409 Conflict naming the request', async () => {
  const to = '14155550206';
  const { requestId } = await vonage.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to }] });
  const e = await rejection(vonage.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to }] }));
  assert.equal(e.status, 409);
  assert.equal(e.body.title, 'Conflict');
  assert.equal(e.body.detail, 'Concurrent verifications to the same number are not allowed.');
  assert.equal(e.body.request_id, requestId);
});

test('custom code and locale; Basic api_key:api_secret authenticates too', async () => {
  const to = '14155550207';
  const res = await fetch(new URL('/v2/verify', s.url), {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${creds.apiKey}:${creds.apiSecret}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ brand: 'Acme', workflow: [{ channel: 'sms', to }], code: 'AB12cd', locale: 'es-es' }),
  });
  assert.equal(res.status, 202);
  const { request_id } = await res.json();
  const sms = await nextInbox(s, `+${to}`, 'sms');
  assert.equal(sms.code, 'AB12cd');
  assert.equal(await vonage.verify2.checkCode(request_id, 'AB12cd'), 'completed');
});

test('a JWT from another key is 401 problem details', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forged = new Vonage({ applicationId: creds.applicationId, privateKey: other }, { apiHost: s.url });
  const e = await rejection(forged.verify2.newRequest({ brand: 'Acme', workflow: [{ channel: Channels.SMS, to: '14155550208' }] }));
  assert.equal(e.status, 401);
  assert.equal(e.body.title, 'Unauthorized');
});

test('after channel_timeout the next step goes out by itself', async () => {
  const to = '14155550209';
  const { requestId } = await vonage.verify2.newRequest({
    brand: 'Acme',
    channelTimeout: 15,
    workflow: [
      { channel: Channels.SMS, to },
      { channel: Channels.VOICE, to },
    ],
  });
  const sms = await nextInbox(s, `+${to}`, 'sms');
  const call = await nextInbox(s, `+${to}`, 'voice', new Set(), 40_000);
  assert.equal(call.code, sms.code);
  assert.equal(await vonage.verify2.checkCode(requestId, sms.code!), 'completed');
});
