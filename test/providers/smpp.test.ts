// The SMPP provider against the SMSC simulator over real TCP: encoding, concatenation,
// receipts in every id/format combination, throttling, refused binds, dead and dropped links.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createSmppProvider, type SmppConfig, type SmppProvider } from '../../src/providers/smpp/index.ts';
import { idKey } from '../../src/providers/smpp/ids.ts';
import { ProviderConfigError, ProviderError, type OutboundMessage, type Receipt } from '../../src/providers/types.ts';
import { startSmsc, type Smsc, type SmscOptions } from '../../tools/smsc/server.ts';

interface Rig {
  smsc: Smsc;
  p: SmppProvider;
  receipts: Receipt[];
  logs: Array<{ level: number; msg: string }>;
}

async function rig(t: TestContext, smscOpts: SmscOptions = {}, cfg: Partial<SmppConfig> = {}): Promise<Rig> {
  const smsc = await startSmsc(smscOpts);
  const logs: Rig['logs'] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const p = createSmppProvider('smpp-main', {
    host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', source_addr: 'OTPGate',
    reconnect_min_ms: 20, reconnect_max_ms: 200, throttle_backoff_ms: 50, response_timeout_ms: 2000, ...cfg,
  }) as SmppProvider;
  const receipts: Receipt[] = [];
  await p.start!({ onReceipt: (r) => void receipts.push(r), log });
  t.after(async () => {
    await p.stop!();
    await smsc.close();
  });
  return { smsc, p, receipts, logs };
}

let seq = 0;
function msg(text: string, to = '+9779851000001'): OutboundMessage {
  return { id: `m${++seq}`, to, channel: 'sms', text, encoding: 'gsm7', segments: 1, locale: 'en', attempt: 1 };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The outbox's part in these tests: resend on a retryable error, fail on a permanent one. */
async function sendRetrying(p: SmppProvider, m: OutboundMessage, retried: { n: number; codes: string[] }): Promise<string> {
  for (let attempt = 1; attempt <= 100; attempt++) {
    try {
      return (await p.send({ ...m, attempt })).providerMessageId;
    } catch (err) {
      if (!(err instanceof ProviderError) || !err.retryable) throw err;
      retried.n++;
      retried.codes.push(err.code);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  throw new Error(`gave up on ${m.id}`);
}

test('config is validated in the constructor, naming the field', () => {
  const base = { host: 'h', system_id: 'otpgate', password: 'secret' };
  const fieldOf = (cfg: unknown) => {
    try {
      createSmppProvider('smpp-main', cfg as SmppConfig);
    } catch (err) {
      assert.ok(err instanceof ProviderConfigError);
      return err.field;
    }
    return null;
  };
  assert.equal(fieldOf(base), null);
  assert.equal(fieldOf({ ...base, host: undefined }), 'host');
  assert.equal(fieldOf({ ...base, password: 'much-too-long' }), 'password');
  assert.equal(fieldOf({ ...base, bind_mode: 'receiver' }), 'bind_mode');
  assert.equal(fieldOf({ ...base, window: 0 }), 'window');
  assert.equal(fieldOf({ ...base, long_messages: 'sar' }), 'long_messages');
  assert.equal(fieldOf({ ...base, source_addr: 'ThisIsTooLongForGsm' }), 'source_addr');
  assert.equal(fieldOf({ ...base, reconnect_min_ms: 5000, reconnect_max_ms: 1000 }), 'reconnect_max_ms');
});

test('GSM-7 text arrives decoded exactly, with sender TON 5 and E.164 destination without +', async (t) => {
  const { smsc, p } = await rig(t);
  const text = 'Your otpgate code: 482913 @£$¥_ {[~]}|^\\ €';
  const r = await p.send(msg(text, '+9779851023212'));
  assert.equal(smsc.messages.length, 1);
  const got = smsc.messages[0];
  assert.deepEqual([got.text, got.data_coding, got.parts, got.to, got.from, got.id], [text, 0, 1, '9779851023212', 'OTPGate', r.providerMessageId]);
});

test('a 200-char Persian UCS-2 message arrives as UDH parts and as message_payload, reassembled right', async (t) => {
  const persian = 'کد تأیید شما ۴۸۲۹۱۳ است. این کد را به هیچ کس ندهید. '.repeat(5).slice(0, 200);
  assert.equal(persian.length, 200);
  const udh = await rig(t);
  const r = await udh.p.send(msg(persian, '+989121234561'));
  const m = udh.smsc.messages[0];
  assert.deepEqual([m.text, m.data_coding, m.parts, m.via, m.id], [persian, 8, 3, 'udh', r.providerMessageId]);
  // Three parts, three receipts, each reported under its own part's key (the store decides the message).
  assert.deepEqual(r.parts, m.ids.map(idKey));
  await until(() => udh.receipts.length === 3, 3000, 'three part receipts');
  assert.deepEqual(udh.receipts.map((x) => [x.providerMessageId, x.outcome, x.to]).sort(), m.ids.map((id) => [idKey(id), 'delivered', '989121234561']).sort());

  const payload = await rig(t, {}, { long_messages: 'payload' });
  await payload.p.send(msg(persian));
  const pm = payload.smsc.messages[0];
  assert.deepEqual([pm.text, pm.data_coding, pm.parts, pm.via], [persian, 8, 1, 'payload']);

  const longGsm = 'A'.repeat(152) + '€' + 'B'.repeat(200);
  await payload.p.send(msg(longGsm));
  await udh.p.send(msg(longGsm));
  assert.equal(payload.smsc.messages[1].text, longGsm);
  assert.deepEqual([udh.smsc.messages[1].text, udh.smsc.messages[1].parts], [longGsm, 3]);
});

test('receipts DELIVRD / UNDELIV / REJECTD reach onReceipt under the key of the id send() returned, as the link declares its id formats', async (t) => {
  const variants: Array<[SmscOptions, Partial<SmppConfig>]> = [
    [{ id_format: 'hex', receipt_format: 'text' }, { submit_id_format: 'hex', receipt_id_format: 'hex' }],
    [{ id_format: 'decimal', receipt_format: 'tlv' }, { submit_id_format: 'decimal', receipt_id_format: 'decimal' }],
    [{ id_format: 'hex', receipt_id_format: 'decimal', receipt_format: 'text' }, { submit_id_format: 'hex', receipt_id_format: 'decimal' }],
    [{ id_format: 'decimal', receipt_id_format: 'hex', receipt_format: 'text' }, { submit_id_format: 'decimal', receipt_id_format: 'hex' }],
    [{ id_format: 'hex', receipt_id_format: 'decimal', receipt_format: 'both' }, { submit_id_format: 'hex', receipt_id_format: 'decimal' }],
  ];
  for (const [v, cfg] of variants) {
    const { p, receipts } = await rig(t, v, cfg);
    const ids = [];
    for (const to of ['+9779800000001', '+9779800000000', '+9779800000009']) ids.push(idKey((await p.send(msg('code 1', to))).providerMessageId));
    await until(() => receipts.length === 3, 3000, `receipts for ${JSON.stringify(v)}`);
    const byId = new Map(receipts.map((r) => [r.providerMessageId, r]));
    const err = v.receipt_format === 'tlv' ? '' : ' err:001'; // the TLVs carry no err field
    assert.deepEqual(
      ids.map((id) => [byId.get(id)?.outcome, byId.get(id)?.errorCode]),
      [['delivered', undefined], ['undelivered', `UNDELIV${err}`], ['undelivered', `REJECTD${err}`]],
      JSON.stringify(v),
    );
    assert.ok(receipts.every((r) => r.provider === 'smpp-main' && r.at instanceof Date && r.candidates === undefined));
  }
});

test('a permanent SMSC error (0x0B invalid destination) rejects non-retryable with the SMPP code', async (t) => {
  const { p } = await rig(t, { invalid_prefixes: ['999'] });
  const err = await p.send(msg('x', '+99912345')).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof ProviderError);
  assert.deepEqual([err.code, err.retryable, err.providerCode], ['invalid_destination', false, '0x0000000b']);
  const voice = await p.send({ ...msg('x'), channel: 'voice' }).then(() => null, (e: unknown) => e);
  assert.ok(voice instanceof ProviderError && !voice.retryable);
});

test('throttle_every=5: ESME_RTHROTTLED pauses the bind, and every send succeeds after retries', async (t) => {
  const { smsc, p } = await rig(t, { throttle_every: 5 }, { throttle_backoff_ms: 200 });
  const retried = { n: 0, codes: [] as string[] };
  const started = Date.now();
  await Promise.all(Array.from({ length: 30 }, (_, i) => sendRetrying(p, msg(`throttle ${i}`), retried)));
  const elapsed = Date.now() - started;
  assert.equal(new Set(smsc.messages.map((m) => m.text)).size, 30);
  assert.ok(smsc.stats().throttled >= 6, `throttled ${smsc.stats().throttled}`);
  assert.ok(retried.codes.includes('throttled'));
  assert.ok(elapsed >= 200, `a throttle must pause the bind (took ${elapsed} ms)`);
});

test('throughput caps submits per second per bind', async (t) => {
  const { smsc, p } = await rig(t, {}, { throughput: 50 });
  await p.send(msg('warm-up'));
  const started = Date.now();
  await Promise.all(Array.from({ length: 20 }, (_, i) => p.send(msg(`paced ${i}`))));
  const elapsed = Date.now() - started;
  assert.equal(smsc.messages.length, 21);
  assert.ok(elapsed >= 370, `20 submits at 50/s took only ${elapsed} ms`);
  // No burst: at 50/s at most 5 submits fall in any 100 ms (+2 for a packet held up by a busy machine).
  const at = smsc.messages.slice(1).map((m) => m.at.getTime());
  const burst = Math.max(...at.map((t0) => at.filter((t) => t >= t0 && t < t0 + 100).length));
  assert.ok(burst <= 7, `${burst} submits within 100 ms: ${at.map((t) => t - at[0]).join()}`);
});

test('wrong password: one clear log line per refusal, reconnect attempts, no crash, send rejects retryable no_bind', async (t) => {
  const { smsc, p, logs } = await rig(t, { password: 'right' }, { password: 'wrong', response_timeout_ms: 400, reconnect_min_ms: 50, reconnect_max_ms: 100 });
  const err = await p.send(msg('x')).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof ProviderError);
  assert.deepEqual([err.code, err.retryable], ['no_bind', true]);
  assert.match(err.message, /invalid password/);
  await until(() => smsc.stats().bind_refusals >= 3, 3000, 'repeated bind attempts');
  const line = `SMPP bind refused by 127.0.0.1:${smsc.port}: invalid password (0x0000000E); check providers.smpp-main.password`;
  const errors = logs.filter((l) => l.level === 50);
  assert.ok(errors.length >= 2 && errors.every((l) => l.msg === line), JSON.stringify(errors[0]));
  const st = p.status!() as { binds: Array<{ state: string; reconnects: number; last_error: string }> };
  assert.ok(st.binds[0].reconnects >= 2);
  assert.equal(st.binds[0].last_error, line);
});

test('a dead link (no enquire_link_resp) is detected, torn down and rebound', async (t) => {
  const { smsc, p, logs } = await rig(t, {}, { enquire_link_ms: 100, response_timeout_ms: 300 });
  await p.send(msg('before'));
  smsc.freezeAll();
  await until(() => smsc.stats().binds === 2, 3000, 'a second bind');
  await p.send(msg('after'));
  assert.deepEqual(smsc.messages.map((m) => m.text), ['before', 'after']);
  assert.ok(logs.some((l) => l.level === 40 && /dead link/.test(l.msg)));
});

test('transmitter_receiver mode with 2 binds: 4 sockets, receipts arrive on the receivers', async (t) => {
  const { smsc, p, receipts } = await rig(t, {}, { bind_mode: 'transmitter_receiver', binds: 2 });
  await until(() => smsc.stats().binds === 4, 3000, 'four binds');
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => p.send(msg(`trx ${i}`)).then((r) => idKey(r.providerMessageId))));
  await until(() => receipts.length === 10, 3000, 'ten receipts');
  assert.deepEqual(new Set(receipts.map((r) => r.providerMessageId)), new Set(ids));
});

test('a link drop mid-stream rejects the in-flight sends retryable; resends succeed after reconnect', async (t) => {
  const { smsc, p } = await rig(t, { drop_after: 7 });
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => p.send(msg(`drop ${i}`))));
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ProviderError);
  assert.ok(rejected.length >= 1);
  assert.ok(rejected.every((e) => e instanceof ProviderError && e.retryable && ['link_down', 'busy'].includes(e.code)), rejected.map((e) => e.code).join());
  const retried = { n: 0, codes: [] as string[] };
  for (const [i, r] of results.entries()) if (r.status === 'rejected') await sendRetrying(p, msg(`drop ${i}`), retried);
  assert.deepEqual(new Set(smsc.messages.map((m) => m.text)), new Set(Array.from({ length: 20 }, (_, i) => `drop ${i}`)));
  assert.ok(smsc.stats().drops >= 2);
});

test('stop() unbinds and rejects in-flight sends retryable', async (t) => {
  // The SMSC holds its answer for a minute (the test's after() closes it first), so "stop() does
  // not wait for it" is a condition, not a race against the clock: it was 1 s, and stop() had to
  // finish in under 900 ms, which a loaded machine need not manage.
  const { smsc, p } = await rig(t, { response_delay_ms: 60_000 });
  await until(() => smsc.stats().binds === 1, 2000, 'bind');
  const pending = p.send(msg('late')).then(() => null, (e: unknown) => e);
  await until(() => smsc.stats().submits === 1, 2000, 'submit');
  let guard: NodeJS.Timeout | undefined;
  const answered = new Promise<'waited'>((r) => (guard = setTimeout(() => r('waited'), 30_000)));
  const stopped = (async () => {
    await p.stop!();
    return pending;
  })();
  const err = await Promise.race([stopped, answered]);
  clearTimeout(guard);
  assert.notEqual(err, 'waited', 'stop() waited for the in-flight answer');
  assert.ok(err instanceof ProviderError && err.retryable, String(err));
  assert.equal(smsc.stats().unbinds, 1, 'stop() unbinds');
});

test('1,000 sends while the link is cut repeatedly: every message gets a receipt, duplicates ≤ window × cuts', async (t) => {
  const window = 10;
  const { smsc, p, receipts } = await rig(t, { drop_after: 150 }, { window });
  const queue = Array.from({ length: 1000 }, (_, i) => msg(`bulk ${i}`, `+97798${String(i).padStart(8, '0')}`));
  const sent = new Map<string, string>();
  const retried = { n: 0, codes: [] as string[] };
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) sent.set(m.text, idKey(await sendRetrying(p, m, retried)));
    }),
  );
  assert.equal(sent.size, 1000);
  const cuts = smsc.stats().drops;
  assert.ok(cuts >= 5, `cuts ${cuts}`);
  const hasReceipt = () => {
    const finals = new Set(receipts.filter((r) => r.outcome !== 'enroute').map((r) => r.providerMessageId));
    return [...sent.values()].every((id) => finals.has(id));
  };
  await until(hasReceipt, 20_000, 'a receipt for every message');
  const texts = smsc.messages.map((m) => m.text);
  assert.equal(new Set(texts).size, 1000, 'no message lost');
  const duplicates = texts.length - 1000;
  assert.ok(duplicates <= window * cuts, `duplicates ${duplicates} > ${window} × ${cuts}`);
  // Only PDUs in flight at a cut fail; queued sends wait for the rebind instead.
  assert.ok(retried.n <= window * cuts, `retries ${retried.n} > ${window} × ${cuts}`);
  assert.ok(retried.codes.every((c) => c === 'link_down'), retried.codes.join());
  // Each message's receipt outcome follows its number's suffix (0 → UNDELIV).
  const outcome = new Map(receipts.map((r) => [r.providerMessageId, r.outcome]));
  assert.equal(outcome.get(sent.get('bulk 10')!), 'undelivered');
  assert.equal(outcome.get(sent.get('bulk 11')!), 'delivered');
});
