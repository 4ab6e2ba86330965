/**
 * The official twilio-node SDK, unchanged, against a real otpgate process: its httpClient option
 * takes a request client, and ours only rewrites https://verify.twilio.com to the gateway's URL
 * (twilio-node's own RequestClient does the rest: Basic auth, form encoding, axios).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { type ServerProcess, stop } from '../../e2e/server-process.ts';
import { field, keysCreate, nextInbox, vendorServer } from '../vendor-process.ts';

/** The SDK's request options (its own type has no importable name under the package's exports). */
type Opts<T> = Parameters<twilio.RequestClient['request']>[0] & { data?: T };

class GatewayClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super();
  }
  override request<TData>(opts: Opts<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(/^https:\/\/verify\.twilio\.com/, this.base) });
  }
}

let s: ServerProcess;
let client: ReturnType<typeof twilio>;
let creds: { accountSid: string; authToken: string; apiKeySid: string; apiSecret: string };
const cleanup: Array<() => unknown> = [];

before(async () => {
  const server = await vendorServer({ after: (fn) => cleanup.push(fn) }, { verify: { resend_cooldown_seconds: 0 } });
  s = server.s;
  const out = await keysCreate(server.dir, 'twilio');
  creds = { accountSid: field(out, 'Account SID'), authToken: field(out, 'Auth Token'), apiKeySid: field(out, 'API Key SID'), apiSecret: field(out, 'API Secret') };
  client = twilio(creds.accountSid, creds.authToken, { httpClient: new GatewayClient(s.url) });
});

after(async () => {
  if (s) await stop(s, 'SIGKILL');
  for (const fn of cleanup.reverse()) await fn();
});

/** The Twilio error an SDK call rejected with. */
async function rejection(p: Promise<unknown>): Promise<{ status: number; code: number; message: string; moreInfo: string }> {
  try {
    await p;
  } catch (e) {
    return e as { status: number; code: number; message: string; moreInfo: string };
  }
  throw new Error('the call succeeded; an error was expected');
}

test('keys create --family twilio prints Twilio-shaped credentials', () => {
  assert.match(creds.accountSid, /^AC[0-9a-f]{32}$/);
  assert.match(creds.authToken, /^[0-9a-f]{32}$/);
  assert.match(creds.apiKeySid, /^SK[0-9a-f]{32}$/);
  assert.equal(creds.apiSecret.length, 32);
});

test('create service → send sms → code from the dev inbox → check → approved', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Acme', codeLength: 7 });
  assert.match(service.sid, /^VA[0-9a-f]{32}$/);
  assert.equal(service.accountSid, creds.accountSid);
  assert.equal(service.friendlyName, 'Acme');
  assert.equal(service.codeLength, 7);
  assert.ok(service.dateCreated instanceof Date && !Number.isNaN(service.dateCreated.getTime()));

  const to = '+14155550101';
  const v = await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'sms' });
  assert.match(v.sid, /^VE[0-9a-f]{32}$/);
  assert.equal(v.serviceSid, service.sid);
  assert.equal(v.accountSid, creds.accountSid);
  assert.equal(v.status, 'pending');
  assert.equal(v.valid, false);
  assert.equal(v.channel, 'sms');
  assert.equal(v.to, to);
  assert.equal(v.sendCodeAttempts.length, 1);
  assert.match(v.url, new RegExp(`/v2/Services/${service.sid}/Verifications/${v.sid}$`));

  const sms = await nextInbox(s, to, 'sms');
  assert.match(sms.code ?? '', /^[0-9]{7}$/, 'the Service code length is the code length');
  assert.ok(sms.text.includes('Acme'), `the friendly name is the app name: ${sms.text}`);

  const check = await client.verify.v2.services(service.sid).verificationChecks.create({ to, code: sms.code! });
  assert.equal(check.status, 'approved');
  assert.equal(check.valid, true);
  assert.equal(check.sid, v.sid);

  const fetched = await client.verify.v2.services(service.sid).verifications(v.sid).fetch();
  assert.equal(fetched.status, 'approved');
  assert.equal(fetched.valid, true);
});

test('wrong code: pending and not valid; then the right one by VerificationSid approves', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Wrong' });
  const to = '+14155550102';
  const v = await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'sms' });
  const sms = await nextInbox(s, to, 'sms');
  const wrong = sms.code === '000000' ? '111111' : '000000';
  const bad = await client.verify.v2.services(service.sid).verificationChecks.create({ to, code: wrong });
  assert.equal(bad.status, 'pending');
  assert.equal(bad.valid, false);
  const good = await client.verify.v2.services(service.sid).verificationChecks.create({ verificationSid: v.sid, code: sms.code! });
  assert.equal(good.status, 'approved');
});

test('max check attempts: the attempt after the last answers 60202 (429); the SDK exception carries it', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Max' });
  const to = '+14155550103';
  await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'sms' });
  const sms = await nextInbox(s, to, 'sms');
  const wrong = sms.code === '000000' ? '111111' : '000000';
  const statuses: string[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await client.verify.v2.services(service.sid).verificationChecks.create({ to, code: wrong })).status);
  assert.deepEqual(statuses, ['pending', 'pending', 'pending', 'pending', 'max_attempts_reached']);
  const e = await rejection(client.verify.v2.services(service.sid).verificationChecks.create({ to, code: sms.code! }));
  assert.equal(e.status, 429);
  assert.equal(e.code, 60202);
  assert.equal(e.moreInfo, 'https://www.twilio.com/docs/errors/60202');
});

test('cancel: Status=canceled, then a check is 20404', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Cancel' });
  const to = '+14155550104';
  const v = await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'sms' });
  const sms = await nextInbox(s, to, 'sms');
  const canceled = await client.verify.v2.services(service.sid).verifications(v.sid).update({ status: 'canceled' });
  assert.equal(canceled.status, 'canceled');
  assert.equal((await client.verify.v2.services(service.sid).verifications(v.sid).fetch()).status, 'canceled');
  const e = await rejection(client.verify.v2.services(service.sid).verificationChecks.create({ to, code: sms.code! }));
  assert.equal(e.status, 404);
  assert.equal(e.code, 20404);
});

test('approve by update: Status=approved without a code', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Approve' });
  const v = await client.verify.v2.services(service.sid).verifications.create({ to: '+14155550105', channel: 'sms' });
  const approved = await client.verify.v2.services(service.sid).verifications(v.sid).update({ status: 'approved' });
  assert.equal(approved.status, 'approved');
  assert.equal(approved.valid, true);
});

test('call channel: the code is read by voice; custom code when the Service allows it', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Caller', customCodeEnabled: true });
  assert.equal(service.customCodeEnabled, true);
  const to = '+14155550106';
  const v = await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'call', customCode: '482913' });
  assert.equal(v.channel, 'call');
  const call = await nextInbox(s, to, 'voice');
  assert.equal(call.code, '482913');
  const check = await client.verify.v2.services(service.sid).verificationChecks.create({ to, code: '482913' });
  assert.equal(check.status, 'approved');
});

test('a second create to a pending number resends the same verification', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Resend' });
  const to = '+14155550107';
  const seen = new Set<string>();
  const first = await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'sms' });
  const a = await nextInbox(s, to, 'sms', seen);
  const second = await client.verify.v2.services(service.sid).verifications.create({ to, channel: 'sms' });
  const b = await nextInbox(s, to, 'sms', seen);
  assert.equal(second.sid, first.sid);
  assert.equal(second.sendCodeAttempts.length, 2);
  assert.equal(b.code, a.code);
});

test('services: list, update, fetch, delete; then 20404', async () => {
  const made = await client.verify.v2.services.create({ friendlyName: 'Lifecycle', doNotShareWarningEnabled: true });
  const listed = await client.verify.v2.services.list({ limit: 200 });
  assert.ok(listed.some((x) => x.sid === made.sid));
  const updated = await client.verify.v2.services(made.sid).update({ friendlyName: 'Renamed', codeLength: 4 });
  assert.equal(updated.friendlyName, 'Renamed');
  assert.equal(updated.codeLength, 4);
  assert.equal(updated.doNotShareWarningEnabled, true, 'an update keeps the settings it does not name');
  assert.equal((await client.verify.v2.services(made.sid).fetch()).friendlyName, 'Renamed');
  assert.equal(await client.verify.v2.services(made.sid).remove(), true);
  const e = await rejection(client.verify.v2.services(made.sid).fetch());
  assert.equal(e.code, 20404);
  assert.equal(e.status, 404);
});

test('API key (SK…) and secret authenticate too; a wrong token is 20003', async () => {
  const byKey = twilio(creds.apiKeySid, creds.apiSecret, { accountSid: creds.accountSid, httpClient: new GatewayClient(s.url) });
  const service = await byKey.verify.v2.services.create({ friendlyName: 'ByKey' });
  assert.equal(service.accountSid, creds.accountSid);
  const bad = twilio(creds.accountSid, '0'.repeat(32), { httpClient: new GatewayClient(s.url) });
  const e = await rejection(bad.verify.v2.services.list());
  assert.equal(e.status, 401);
  assert.equal(e.code, 20003);
});

test('SDK exceptions carry Twilio codes: bad channel 60200, custom code not allowed 60204, unknown service 20404', async () => {
  const service = await client.verify.v2.services.create({ friendlyName: 'Errors' });
  const ch = await rejection(client.verify.v2.services(service.sid).verifications.create({ to: '+14155550108', channel: 'whatsapp' }));
  assert.equal(ch.code, 60200);
  assert.equal(ch.status, 400);
  assert.match(ch.message, /Channel/);
  const custom = await rejection(client.verify.v2.services(service.sid).verifications.create({ to: '+14155550108', channel: 'sms', customCode: '123456' }));
  assert.equal(custom.code, 60204);
  const missing = await rejection(client.verify.v2.services(`VA${'0'.repeat(32)}`).verifications.create({ to: '+14155550108', channel: 'sms' }));
  assert.equal(missing.code, 20404);
  const phone = await rejection(client.verify.v2.services(service.sid).verifications.create({ to: '+1', channel: 'sms' }));
  assert.equal(phone.code, 60200);
  assert.match(phone.message, /To/);
});
