// channel "auto" through the API: SMS first, then a voice call with the same code on the same
// verification when the SMS is not delivered in time or comes back undelivered; charged as a
// call; once only; refused calls leave an SMS verification; and it survives a restart because
// the sweep reads rows (a file database, a second gateway).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Harness } from '../helpers/gateway.ts';
import { testDatabase } from '../helpers/db.ts';

const TO = '+14155552671';
const SMS_PRICE = 50_000; // the default '' prefix prices
const VOICE_PRICE = 200_000;

function overrides(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    // The SMS receipt comes only when the test says so: "not delivered in time" is the default here.
    dev_inbox: { delivery_delay_ms: 600_000 },
    dispatch: { poll_ms: 20 },
    ...extra,
  };
}

async function sendAuto(h: Harness, token?: string) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(token), payload: { to: TO, channel: 'auto' } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

const messagesOf = (h: Harness, verificationId: string) =>
  h.gw.store.db.selectFrom('messages').selectAll().where('verification_id', '=', verificationId).orderBy('id').execute();

const verification = (h: Harness, id: string) => h.gw.store.db.selectFrom('verifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Real-time wait for the housekeeping sweep (poll_ms 20) to have acted. */
async function until(h: Harness, what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    await h.settle();
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Several sweeps pass (for "nothing happened" assertions). */
async function sweeps(h: Harness): Promise<void> {
  await new Promise((r) => setTimeout(r, 150));
  await h.settle();
}

test('SMS not delivered within auto_voice_after_seconds → a call with the same code, send_count 2, charged as voice', async (t) => {
  const h = await build(t, overrides());
  const v = await sendAuto(h);
  assert.equal(v.channel, 'auto');
  assert.equal(v.message.channel, 'sms');
  await h.settle();
  h.advance(59_000);
  await sweeps(h);
  assert.equal((await messagesOf(h, v.id)).length, 1, 'not before 60 s');
  h.advance(1_000);
  await until(h, 'the voice call', async () => (await messagesOf(h, v.id)).length === 2);
  const [sms, call] = await messagesOf(h, v.id);
  assert.deepEqual([sms.channel, sms.status, call.channel, call.price], ['sms', 'sent', 'voice', VOICE_PRICE]);
  await until(h, 'the call sent', async () => (await messagesOf(h, v.id))[1].status === 'sent');
  const row = await verification(h, v.id);
  assert.deepEqual([row.channel, row.send_count, row.status], ['voice', 2, 'pending']);
  const ledger = await h.gw.store.db.selectFrom('ledger').select(['amount', 'message_id']).where('account_id', '=', h.account.id).orderBy('id').execute();
  assert.deepEqual(ledger, [{ amount: -SMS_PRICE, message_id: sms.id }, { amount: -VOICE_PRICE, message_id: call.id }]);
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data as Array<{ channel: string; code: string; text: string }>;
  const bySms = inbox.find((e) => e.channel === 'sms')!;
  const byCall = inbox.find((e) => e.channel === 'voice')!;
  assert.equal(byCall.code, bySms.code, 'the same code');
  assert.match(byCall.text, new RegExp(bySms.code.split('').join('\\D+')), 'spoken digit by digit');
  h.advance(300_000); // still within the 10-minute TTL
  await sweeps(h);
  assert.equal((await messagesOf(h, v.id)).length, 2, 'one call, never a second');
  const check = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: v.id, code: byCall.code } });
  assert.equal(check.json().status, 'approved');
});

test('an SMS that comes back undelivered is followed by the call at once, without waiting out the delay', async (t) => {
  const h = await build(t, overrides({ dev_inbox: { undelivered_numbers: [TO] } }));
  const v = await sendAuto(h);
  await until(h, 'the voice call', async () => (await messagesOf(h, v.id)).some((m) => m.channel === 'voice'));
  const [sms] = await messagesOf(h, v.id);
  assert.equal(sms.status, 'undelivered');
});

test('an SMS delivered in time: no call, ever; a plain sms verification never calls either', async (t) => {
  const h = await build(t, overrides({ dev_inbox: { delivery_delay_ms: 0 } }));
  const v = await sendAuto(h);
  await until(h, 'the SMS delivered', async () => (await messagesOf(h, v.id))[0].status === 'delivered');
  const plain = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155552672', channel: 'sms' } });
  assert.equal(plain.statusCode, 201);
  h.advance(120_000);
  await sweeps(h);
  assert.deepEqual((await messagesOf(h, v.id)).map((m) => m.channel), ['sms']);
  assert.equal((await messagesOf(h, plain.json().id)).length, 1);
});

test('a call the balance cannot cover is not placed: the verification stays an SMS one, nothing charged', async (t) => {
  const h = await build(t, overrides({ dev_inbox: { undelivered_numbers: [TO] } }));
  const poor = await h.newAccount({ balance: SMS_PRICE });
  const v = await sendAuto(h, poor.token);
  await until(h, 'the fallback refused', async () => (await verification(h, v.id)).channel === 'sms');
  const row = await verification(h, v.id);
  assert.deepEqual([row.send_count, row.status], [1, 'pending']);
  assert.deepEqual((await messagesOf(h, v.id)).map((m) => m.channel), ['sms']);
  const balance = (await h.app.inject({ method: 'GET', url: '/v1/balance', headers: h.auth(poor.token) })).json().balance;
  assert.equal(balance, 0);
});

test('bad channel values are a 400 naming the field', async (t) => {
  const h = await build(t);
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: TO, channel: 'fax' } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.field, 'channel');
});

test('durable: the call is placed by a gateway started after the one that sent the SMS (rows, not timers)', async (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-auto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const database_url = (await testDatabase({ dir })).url;
  const config = overrides({ database_url, verify: { auto_voice_after_seconds: 10 } });
  const closers: Array<() => unknown> = [];
  const first = await build({ after: (fn: () => unknown) => void closers.push(fn) }, config);
  const v = await sendAuto(first);
  await first.settle();
  for (const close of closers) await close();

  const second = await build(t, config);
  assert.equal((await messagesOf(second, v.id)).length, 1, 'nothing happened while it was down');
  second.advance(11_000); // verify.auto_voice_after_seconds: 10
  await until(second, 'the voice call after the restart', async () => (await messagesOf(second, v.id)).some((m) => m.channel === 'voice'));
  assert.equal((await verification(second, v.id)).send_count, 2);
});
