/**
 * Vonage's verify status callback through the signed webhook outbox: an account with
 * webhook_format 'vonage' gets one "summary" POST per finalized Vonage request, signed like every
 * webhook; and the channel_timeout fallback, driven by the gateway's clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importPKCS8, SignJWT } from 'jose';
import { build, type Harness } from '../../helpers/gateway.ts';
import { advanceDue } from '../../../src/families/vonage/fallback.ts';
import { StepLocks } from '../../../src/families/vonage/workflow.ts';
import { createVonageCredentials } from '../../../src/store/vendors.ts';
import { verifySignature } from '../../../src/webhooks/index.ts';
import { pump, startReceiver } from '../../webhooks/receiver.ts';

const devInbox = { dev_inbox: { enabled: true, delivery_delay_ms: 0, send_delay_ms: 0 }, verify: { resend_cooldown_seconds: 0 } };

async function setup(t: Parameters<typeof build>[0], cooldownSeconds = 0) {
  const h = await build(t, { ...devInbox, verify: { resend_cooldown_seconds: cooldownSeconds } });
  const creds = await createVonageCredentials(h.gw.store.db, h.account.id, h.clock.now);
  const key = await importPKCS8(creds.privateKey!, 'RS256');
  const bearer = async () =>
    `Bearer ${await new SignJWT({ application_id: creds.applicationId }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuedAt(Math.floor(h.clock.now / 1000)).setExpirationTime(Math.floor(h.clock.now / 1000) + 900).setJti(crypto.randomUUID()).sign(key)}`;
  const vonage = async (method: 'POST' | 'DELETE', url: string, body?: unknown) =>
    h.app.inject({ method, url, headers: { authorization: await bearer(), ...(body ? { 'content-type': 'application/json' } : {}) }, payload: body ? JSON.stringify(body) : undefined });
  return { h, vonage };
}

const inboxTo = async (h: Harness, to: string) =>
  (await h.app.inject({ method: 'GET', url: `/inbox/api/messages?to=${encodeURIComponent(to)}` })).json().data as Array<{ channel: string; code: string }>;

test('a finalized Vonage request POSTs Vonage\'s summary callback, signed; cancel reads cancelled', async (t) => {
  const { h, vonage } = await setup(t);
  const rc = await startReceiver(t, () => h.clock.now);
  const put = await h.app.inject({ method: 'PUT', url: '/v1/webhook', headers: h.auth(), payload: { url: rc.url, format: 'vonage' } });
  assert.equal(put.statusCode, 200, put.body);
  const secret = put.json().secret as string;

  const to = '14155550400';
  const sent = await vonage('POST', '/v2/verify', { brand: 'Acme', client_ref: 'order-7', channel_timeout: 120, code: '4321', workflow: [{ channel: 'sms', to }, { channel: 'voice', to }] });
  assert.equal(sent.statusCode, 202, sent.body);
  const rid = sent.json().request_id as string;
  assert.equal((await vonage('POST', `/v2/verify/${rid}/next_workflow`)).statusCode, 200);
  assert.equal((await vonage('POST', `/v2/verify/${rid}`, { code: '4321' })).json().status, 'completed');

  const other = await vonage('POST', '/v2/verify', { brand: 'Acme', workflow: [{ channel: 'sms', to: '14155550401' }] });
  assert.equal((await vonage('DELETE', `/v2/verify/${other.json().request_id}`)).statusCode, 204);
  // A native verification of the same account has no Vonage callback.
  const native = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155550402', channel: 'sms' } });
  await h.app.inject({ method: 'POST', url: `/v1/verifications/${native.json().id}/cancel`, headers: h.auth() });
  await pump(h);

  assert.equal(rc.received.length, 2, JSON.stringify(rc.received.map((r) => r.json)));
  const [done, cancelled] = rc.received;
  assert.equal(verifySignature(secret, done.headers['x-otpgate-signature'] as string, done.raw, 300, Math.floor(h.clock.now / 1000)), true);
  assert.deepEqual(Object.keys(done.json).sort(), ['channel_timeout', 'client_ref', 'finalized_at', 'request_id', 'status', 'submitted_at', 'type', 'workflow']);
  assert.equal(done.json.request_id, rid);
  assert.equal(done.json.type, 'summary');
  assert.equal(done.json.status, 'completed');
  assert.equal(done.json.channel_timeout, 120);
  assert.equal(done.json.client_ref, 'order-7');
  assert.deepEqual(done.json.workflow.map((s: { channel: string; status: string }) => [s.channel, s.status]), [['sms', 'expired'], ['voice', 'completed']]);
  assert.ok(done.json.workflow.every((s: { initiated_at?: string }) => !Number.isNaN(Date.parse(s.initiated_at ?? ''))));
  assert.equal(cancelled.json.status, 'cancelled');
  assert.deepEqual(cancelled.json.workflow, [{ channel: 'sms', initiated_at: cancelled.json.submitted_at, status: 'cancelled' }]);
  assert.equal('client_ref' in cancelled.json, false);
});

test('channel_timeout: nothing moves before it; after it, the next step goes out once with the same code', async (t) => {
  // A 30 s resend cooldown, below the 60 s timeout: the app's own 1 s sweep may run beside ours,
  // and the cooldown is what keeps two senders from both sending the step.
  const { h, vonage } = await setup(t, 30);
  const locks = new StepLocks();
  const to = '14155550403';
  const channels = async () => {
    await h.settle();
    return (await inboxTo(h, `+${to}`)).map((i) => i.channel).sort();
  };
  const sent = await vonage('POST', '/v2/verify', { brand: 'Acme', channel_timeout: 60, workflow: [{ channel: 'sms', to }, { channel: 'voice', to }] });
  assert.equal(sent.statusCode, 202, sent.body);
  h.advance(59_000);
  await advanceDue(h.gw, locks);
  assert.deepEqual(await channels(), ['sms'], 'not before channel_timeout');
  h.advance(1_000);
  await advanceDue(h.gw, locks);
  assert.deepEqual(await channels(), ['sms', 'voice']);
  h.advance(60_000);
  assert.equal(await advanceDue(h.gw, locks), 0, 'no third step');
  assert.deepEqual(await channels(), ['sms', 'voice']);
  const items = await inboxTo(h, `+${to}`);
  assert.equal(items[0].code, items[1].code);
});
