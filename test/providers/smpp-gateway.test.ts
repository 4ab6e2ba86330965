// The whole send path against the SMSC simulator over TCP: HTTP accept → outbox → dispatcher →
// SMPP provider → deliver_sm receipt → message status. The link is cut many times meanwhile, and
// every accepted message must still end final, none lost, duplicates bounded by the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Harness } from '../helpers/gateway.ts';
import { startSmsc, type Smsc, type SmscOptions } from '../../tools/smsc/server.ts';

const WINDOW = 10;

async function rig(t: Parameters<typeof build>[0], smscOpts: SmscOptions): Promise<{ h: Harness; smsc: Smsc }> {
  const smsc = await startSmsc(smscOpts);
  t.after(() => smsc.close());
  const h = await build(
    t,
    {
      providers: [
        {
          name: 'carrier',
          kind: 'smpp',
          host: '127.0.0.1',
          port: smsc.port,
          system_id: 'otpgate',
          password: 'secret',
          source_addr: 'OTPGate',
          window: WINDOW,
          reconnect_min_ms: 20,
          reconnect_max_ms: 200,
          response_timeout_ms: 2000,
        },
      ],
      routes: [{ providers: [{ name: 'carrier' }] }],
      dispatch: { backoff_base_ms: 10, backoff_max_ms: 50, poll_ms: 20 },
      verify: { resend_cooldown_seconds: 0 },
      // Thousands of sends from one account to one prefix: the point here is the link, not the limits.
      abuse: { limits: { per_account_1s: { points: 100_000 }, per_account_24h: { points: 100_000 }, per_key_1m: { points: 100_000 }, per_prefix_1m: { points: 100_000 } }, pumping: { enabled: false } },
    },
    { region: 'NP' },
  );
  return { h, smsc };
}

async function send(h: Harness, to: string, body: Record<string, unknown> = {}): Promise<{ id: string; message: { id: string } }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to, channel: 'sms', ...body } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** Moves the injected clock on (so backoffs fall due) until every message is final. */
async function untilFinal(h: Harness, ids: string[], ms: number): Promise<Map<string, string>> {
  const end = Date.now() + ms;
  for (;;) {
    await h.gw.writer.flush();
    const rows = await h.gw.store.db.selectFrom('messages').select(['id', 'status']).where('id', 'in', ids).execute();
    const status = new Map(rows.map((r) => [r.id, r.status]));
    const open = rows.filter((r) => !['delivered', 'undelivered', 'failed', 'expired'].includes(r.status));
    if (rows.length === ids.length && open.length === 0) return status;
    if (Date.now() > end) throw new Error(`${open.length} of ${ids.length} messages not final: ${open.slice(0, 5).map((r) => `${r.id}=${r.status}`).join(', ')}`);
    h.advance(100);
    h.gw.dispatcher.wake();
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a long Persian code message goes out as UCS-2 parts and its receipt delivers it', async (t) => {
  const { h, smsc } = await rig(t, {});
  const v = await send(h, '9851023211', { locale: 'fa', app_name: 'فروشگاه اینترنتی بزرگ ایران با ارسال رایگان به سراسر کشور' });
  const status = await untilFinal(h, [v.message.id], 10_000);
  assert.equal(status.get(v.message.id), 'delivered');
  const got = smsc.messages.find((m) => m.to === '9779851023211');
  assert.ok(got, 'the SMSC received it');
  assert.equal(got.data_coding, 8);
  const inDb = await h.gw.store.db.selectFrom('messages').select(['segments', 'encoding']).where('id', '=', v.message.id).executeTakeFirstOrThrow();
  assert.equal(inDb.encoding, 'ucs2');
  assert.equal(got.parts, inDb.segments, 'the parts sent are the segments charged');
  assert.ok(inDb.segments > 1);
  assert.match(got.text, /فروشگاه/);
});

test('an UNDELIV receipt ends undelivered; a permanent SMSC error fails without retry', async (t) => {
  const { h, smsc } = await rig(t, { invalid_prefixes: ['97798510239'] });
  const undeliv = await send(h, '9851023210'); // suffix 0 → UNDELIV in the simulator
  const invalid = await send(h, '9851023901');
  const status = await untilFinal(h, [undeliv.message.id, invalid.message.id], 10_000);
  assert.equal(status.get(undeliv.message.id), 'undelivered');
  assert.equal(status.get(invalid.message.id), 'failed');
  const failed = await h.gw.store.db.selectFrom('messages').select(['error_code']).where('id', '=', invalid.message.id).executeTakeFirstOrThrow();
  assert.match(String(failed.error_code), /0x0*b|RINVDSTADR|invalid/i);
  assert.equal(smsc.messages.filter((m) => m.to === '9779851023901').length, 0, 'the refused submit was not accepted');
});

test('5,000 sends while the link is cut again and again: every message final, none lost, duplicates ≤ window × cuts', async (t) => {
  const { h, smsc } = await rig(t, { drop_after: 450 });
  const ids: string[] = [];
  const numbers = Array.from({ length: 5000 }, (_, i) => `98${String(i + 1).padStart(8, '0')}`);
  const queue = [...numbers];
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      for (let n = queue.shift(); n; n = queue.shift()) ids.push((await send(h, n)).message.id);
    }),
  );
  assert.equal(ids.length, 5000);
  const status = await untilFinal(h, ids, 120_000);
  const cuts = smsc.stats().drops;
  assert.ok(cuts >= 10, `the link was cut ${cuts} times`);
  const counts = { delivered: 0, undelivered: 0 };
  for (const s of status.values()) counts[s as keyof typeof counts]++;
  // The simulator's outcome follows the number's last digit: 0 → UNDELIV, 9 → REJECTD.
  assert.equal(counts.undelivered, 1000, JSON.stringify(counts));
  assert.equal(counts.delivered, 4000, JSON.stringify(counts));
  const received = new Set(smsc.messages.map((m) => m.to));
  for (const n of numbers) assert.ok(received.has(`977${n}`), `977${n} never reached the SMSC`);
  const duplicates = smsc.messages.length - numbers.length;
  assert.ok(duplicates <= WINDOW * cuts, `duplicates ${duplicates} > ${WINDOW} × ${cuts}`);
});
