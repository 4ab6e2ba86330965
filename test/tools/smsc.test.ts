// The SMSC simulator over real TCP, driven by a bare node-smpp client (not our provider), so a
// bug shared by both sides cannot hide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { pdu, smpp, type Pdu, type SmppSessionLike } from '../../src/providers/smpp/lib.ts';
import { encodeGsm7, encodeUcs2 } from '../../src/core/encoding.ts';
import { startSmsc, type Smsc } from '../../tools/smsc/server.ts';

async function client(smsc: Smsc): Promise<{ s: SmppSessionLike; req(p: Pdu): Promise<Pdu>; delivered: Pdu[] }> {
  const s = smpp.connect({ host: '127.0.0.1', port: smsc.port });
  s.on('error', () => undefined);
  const waiting = new Map<number, (p: Pdu) => void>();
  const delivered: Pdu[] = [];
  s.on('pdu', (p: Pdu) => {
    if (p.isResponse()) return waiting.get(p.sequence_number)?.(p);
    if (p.command === 'deliver_sm') {
      s.send(p.response());
      delivered.push(p);
    }
  });
  await once(s, 'connect');
  const req = (p: Pdu) =>
    new Promise<Pdu>((resolve) => {
      s.send(p);
      waiting.set(p.sequence_number, resolve);
    });
  return { s, req, delivered };
}

const bind = (system_id: string, password: string) => pdu('bind_transceiver', { system_id, password, interface_version: 0x34 });
const submit = (to: string, body: Buffer, extra: Record<string, unknown> = {}) =>
  pdu('submit_sm', { source_addr: 'OTP', destination_addr: to, short_message: body, registered_delivery: 1, ...extra });

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('binds with the right password and refuses a wrong one with ESME_RINVPASWD / ESME_RINVSYSID', async (t) => {
  const smsc = await startSmsc({ password: 'pw1' });
  t.after(() => smsc.close());
  const a = await client(smsc);
  assert.equal((await a.req(bind('otpgate', 'nope'))).command_status, 0x0e);
  await once(a.s, 'close');
  const b = await client(smsc);
  assert.equal((await b.req(bind('someone', 'pw1'))).command_status, 0x0f);
  const c = await client(smsc);
  const ok = await c.req(bind('otpgate', 'pw1'));
  assert.equal(ok.command_status, 0);
  assert.equal(ok.command, 'bind_transceiver_resp');
  assert.equal((await c.req(pdu('enquire_link'))).command, 'enquire_link_resp');
  assert.equal(smsc.stats().binds, 1);
  assert.equal(smsc.stats().bind_refusals, 2);
  b.s.destroy();
  c.s.destroy();
});

test('answers submits with ids, decodes GSM-7 and UDH-concatenated UCS-2, sends text+TLV receipts', async (t) => {
  const smsc = await startSmsc({ id_format: 'decimal', outcomes: { '0': 'UNDELIV' } });
  t.after(() => smsc.close());
  const c = await client(smsc);
  t.after(() => c.s.destroy());
  assert.equal((await c.req(submit('9771', encodeGsm7('hi')))).command_status, 0x04, 'submit before bind is refused');
  await c.req(bind('otpgate', 'secret'));

  const r1 = await c.req(submit('9779800000001', encodeGsm7('Code 1234 @£_{€}')));
  assert.equal(r1.command_status, 0);
  assert.match(String(r1.message_id), /^\d+$/);
  const parts = ['سلام ', 'دنیا'];
  const ids: string[] = [];
  for (const [i, text] of parts.entries()) {
    const udh = Buffer.from([5, 0, 3, 42, 2, i + 1]);
    const r = await c.req(submit('989120000000', Buffer.concat([udh, encodeUcs2(text)]), { esm_class: 0x40, data_coding: 8 }));
    ids.push(String(r.message_id));
  }
  await until(() => c.delivered.length === 3);
  assert.deepEqual(
    smsc.messages.map((m) => [m.text, m.data_coding, m.parts, m.to]),
    [['Code 1234 @£_{€}', 0, 1, '9779800000001'], ['سلام دنیا', 8, 2, '989120000000']],
  );
  assert.deepEqual(smsc.messages[1].ids, ids);

  const byId = new Map(c.delivered.map((p) => [String(p.receipted_message_id), p]));
  const first = byId.get(String(r1.message_id))!;
  assert.equal(first.esm_class, 0x04);
  assert.equal(first.message_state, 2);
  assert.match(String(first.short_message), new RegExp(`^id:${r1.message_id} sub:001 dlvrd:001 .* stat:DELIVRD err:000`));
  const undeliv = byId.get(ids[0])!;
  assert.equal(undeliv.message_state, 5);
  assert.match(String(undeliv.short_message), /stat:UNDELIV err:001/);
  await until(() => smsc.stats().receipts_acked === 3);
  assert.equal(smsc.stats().receipts_pending, 0);
});

test('throttle_every, drop_after and id formats shape the answers', async (t) => {
  const smsc = await startSmsc({ throttle_every: 2, drop_after: 5, id_format: 'hex', receipt_id_format: 'decimal', receipt_format: 'text', receipt_delay_ms: 150 });
  t.after(() => smsc.close());
  const c = await client(smsc);
  await c.req(bind('otpgate', 'secret'));
  const statuses: number[] = [];
  for (let i = 1; i <= 4; i++) statuses.push((await c.req(submit('9771', encodeGsm7(`m${i}`)))).command_status);
  assert.deepEqual(statuses, [0, 0x58, 0, 0x58]);
  c.s.send(submit('9771', encodeGsm7('m5')));
  await once(c.s, 'close');
  assert.equal(smsc.stats().drops, 1);
  assert.equal(smsc.stats().accepted, 2);
  assert.equal(c.delivered.length, 0);
  // The link is gone: the receipts wait for the next bind and arrive there, ids in decimal text.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(smsc.stats().receipts_pending, 2);
  const d = await client(smsc);
  t.after(() => d.s.destroy());
  await d.req(bind('otpgate', 'secret'));
  await until(() => d.delivered.length === 2);
  assert.equal(c.delivered.length, 0);
  const hexIds = smsc.messages.map((m) => m.id);
  for (const id of hexIds) assert.match(id, /^[0-9A-F]+$/);
  const textIds = d.delivered.map((p) => /id:(\d+)/.exec(String(p.short_message))![1]);
  assert.deepEqual(textIds.sort(), hexIds.map((h) => String(parseInt(h, 16))).sort());
  assert.equal(d.delivered[0].receipted_message_id, undefined, "receipt_format 'text' sends no TLVs");
});
