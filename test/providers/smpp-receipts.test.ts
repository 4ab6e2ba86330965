// Receipts against carriers that behave like real ones (issue 9): the simulator as a real SMSC
// over TCP, the gateway through its dispatcher, a few hundred codes per habit, some in parallel.
// Every message must end with exactly the outcome the simulator gave it: none stuck, none with
// another message's outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numbers, score, sendAll, settleAll, smppRig } from '../helpers/smpp-rig.ts';
import type { SmscOptions } from '../../tools/smsc/server.ts';

interface Case {
  name: string;
  smsc: SmscOptions;
  provider?: Record<string, unknown>;
  n?: number;
}

// Low first ids make the numbers collide across radixes (0x10 vs 10), as in the field reports.
const CASES: Case[] = [
  { name: 'receipt in the same TCP write as the submit answer, 10-digit hex ids', smsc: { same_write: true, id_format: 'hex10', id_start: 1 } },
  { name: 'same TCP write, decimal ids', smsc: { same_write: true, id_format: 'decimal', id_start: 1 } },
  { name: 'hex submit ids, decimal receipt ids (text only), declared', smsc: { id_format: 'hex10', receipt_id_format: 'decimal', receipt_format: 'text', id_start: 1, receipt_delay_ms: 300 }, provider: { submit_id_format: 'hex', receipt_id_format: 'decimal' } },
  { name: 'decimal submit ids, hex receipt ids (text only), declared', smsc: { id_format: 'decimal', receipt_id_format: 'hex', receipt_format: 'text', id_start: 1, receipt_delay_ms: 300 }, provider: { submit_id_format: 'decimal', receipt_id_format: 'hex' } },
  { name: 'hex submit ids, decimal receipt ids, auto', smsc: { id_format: 'hex', receipt_id_format: 'decimal', receipt_format: 'text', id_start: 1, receipt_delay_ms: 300 } },
  { name: 'UUID-like ids', smsc: { id_format: 'uuid', receipt_format: 'text' }, provider: { submit_id_format: 'string', receipt_id_format: 'string' } },
  { name: 'receipt only in TLVs', smsc: { id_format: 'hex10', receipt_format: 'tlv', id_start: 1, receipt_delay_ms: 300 } },
  { name: 'receipt in text and TLVs disagreeing in case and padding', smsc: { id_format: 'hex10', receipt_id_format: 'decimal', receipt_format: 'mixed', id_start: 1, receipt_delay_ms: 300 }, provider: { submit_id_format: 'hex', receipt_id_format: 'decimal' } },
];

for (const c of CASES) {
  test(`${c.name}: every message ends with the simulator's outcome`, async (t) => {
    const rig = await smppRig(t, c.smsc, c.provider);
    const ids = await sendAll(rig.h, numbers(c.n ?? 200), 16);
    const s = score(rig.smsc, ids, await settleAll(rig, ids));
    t.diagnostic(`${c.name}: wrong ${s.wrong}, stuck ${s.stuck} of ${s.total}`);
    assert.deepEqual({ wrong: s.wrong, stuck: s.stuck }, { wrong: 0, stuck: 0 }, s.examples.join('\n'));
  });
}

test('ids restarting after an SMSC restart: the new message gets its receipt, last batch keeps its own', async (t) => {
  const rig = await smppRig(t, { id_format: 'hex10', id_start: 1 }, { submit_id_format: 'hex', receipt_id_format: 'hex' });
  const tos = numbers(250);
  const first = await sendAll(rig.h, tos, 16);
  const s1 = score(rig.smsc, first, await settleAll(rig, first));
  t.diagnostic(`ids restarting, first run: wrong ${s1.wrong}, stuck ${s1.stuck} of ${s1.total}`);
  assert.deepEqual({ wrong: s1.wrong, stuck: s1.stuck }, { wrong: 0, stuck: 0 }, s1.examples.join('\n'));
  const since = rig.smsc.messages.length;
  rig.smsc.restart();
  // The same numbers again: the same ids, the same destinations; only "newest non-final" tells them apart.
  const second = await sendAll(rig.h, tos, 16);
  const s2 = score(rig.smsc, second, await settleAll(rig, second), since);
  t.diagnostic(`ids restarting: wrong ${s2.wrong}, stuck ${s2.stuck} of ${s2.total}`);
  assert.deepEqual({ wrong: s2.wrong, stuck: s2.stuck }, { wrong: 0, stuck: 0 }, s2.examples.join('\n'));
  const before = new Set(rig.smsc.messages.slice(0, since).map((m) => m.id));
  assert.ok(rig.smsc.messages.slice(since).some((m) => before.has(m.id)), 'ids really were reused');
});

const LONG_FA = 'فروشگاه اینترنتی بزرگ ایران با ارسال رایگان به سراسر کشور';

test('multipart: delivered only when every part is, undelivered when any part fails, each part in the events', async (t) => {
  const rig = await smppRig(t, {
    id_format: 'hex10', id_start: 1,
    outcomes: { '0': 'UNDELIV' },
    part_outcomes: { '3': ['DELIVRD', 'UNDELIV'], '4': ['UNDELIV', 'DELIVRD'], '5': ['DELIVRD', 'DELIVRD', 'EXPIRED'] },
  });
  const ids = await sendAll(rig.h, numbers(150), 12, { locale: 'fa', app_name: LONG_FA });
  const s = score(rig.smsc, ids, await settleAll(rig, ids));
  t.diagnostic(`multipart: wrong ${s.wrong}, stuck ${s.stuck} of ${s.total}`);
  assert.ok(rig.smsc.messages.every((m) => m.parts > 1), 'every message went as several parts');
  assert.deepEqual({ wrong: s.wrong, stuck: s.stuck }, { wrong: 0, stuck: 0 }, s.examples.join('\n'));
  const events = await rig.h.gw.store.db.selectFrom('message_events').select(['detail']).where('message_id', '=', ids[2]).execute();
  const parts = events.map((e) => e.detail ?? '').filter((d) => /part \d+\/\d+/.test(d));
  assert.ok(parts.length >= 2, `each part's outcome is an event: ${JSON.stringify(events)}`);
  assert.ok(parts.some((d) => /UNDELIV/.test(d)), JSON.stringify(parts));
});

test('the same numbers again and again, ids that collide across radixes: each receipt closes its own part', async (t) => {
  // Hex submit ids, decimal receipt ids, each handset several times: "16" is 0x10 for us, never 0x16.
  const rig = await smppRig(
    t,
    { id_format: 'hex10', receipt_id_format: 'decimal', receipt_format: 'text', id_start: 1, receipt_delay_ms: 300, outcomes: {} },
    { submit_id_format: 'hex', receipt_id_format: 'decimal' },
  );
  // A verification allows 5 sends: 12 numbers, 5 codes each, interleaved.
  const ids = await sendAll(rig.h, Array.from({ length: 60 }, (_, i) => numbers(12)[i % 12]), 8);
  const status = await settleAll(rig, ids);
  assert.deepEqual([...status.values()].filter((s) => s.status !== 'delivered'), [], 'every one delivered');
  const parts = await rig.h.gw.store.db.selectFrom('message_parts').select(['message_id', 'carrier_key', 'outcome']).where('message_id', 'in', ids).execute();
  // Each message's part carries the id the SMSC gave that very message, and was closed by a receipt.
  const sent = new Map(rig.smsc.messages.map((m) => [m.id.replace(/^0+/, '').toLowerCase(), m]));
  assert.equal(parts.length, 60);
  assert.ok(parts.every((p) => p.outcome === 'delivered' && sent.has(p.carrier_key)), JSON.stringify(parts.slice(0, 3)));
  assert.equal(new Set(parts.map((p) => p.carrier_key)).size, 60);
});
