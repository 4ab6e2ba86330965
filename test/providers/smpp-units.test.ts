// The SMPP provider's pure parts: receipt parsing, id matching across radixes, part encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from '../../src/providers/smpp/encode.ts';
import { submitError } from '../../src/providers/smpp/errors.ts';
import { IdIndex } from '../../src/providers/smpp/ids.ts';
import { errorCodeOf, parseReceipt } from '../../src/providers/smpp/receipts.ts';

const text = (s: string) => ({ esm_class: 0x04, data_coding: 0, short_message: Buffer.from(s, 'latin1') });

test('parses the Appendix B text form, the TLVs, and prefers the TLVs', () => {
  const r = parseReceipt(text('id:0A1B2C sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 stat:UNDELIV err:034 text:Your code'));
  assert.deepEqual(r, { id: '0A1B2C', stat: 'UNDELIV', err: '034', outcome: 'undelivered', final: true });
  assert.equal(errorCodeOf(r!), 'UNDELIV err:034');
  assert.equal(parseReceipt(text('ID:77 STAT:delivrd'))?.outcome, 'delivered');
  assert.equal(errorCodeOf(parseReceipt(text('id:77 stat:EXPIRED err:000'))!), 'EXPIRED');
  for (const [stat, outcome] of [['REJECTD', 'undelivered'], ['DELETED', 'undelivered'], ['UNKNOWN', 'undelivered'], ['ACCEPTD', 'enroute'], ['ENROUTE', 'enroute']])
    assert.equal(parseReceipt(text(`id:1 stat:${stat}`))?.outcome, outcome, stat);
  const both = parseReceipt({ ...text('id:999 stat:DELIVRD err:000'), receipted_message_id: 'ABC', message_state: 5 });
  assert.deepEqual([both?.id, both?.stat, both?.outcome], ['ABC', 'UNDELIV', 'undelivered']);
  assert.deepEqual(parseReceipt({ esm_class: 0x04, short_message: Buffer.alloc(0), receipted_message_id: 'X1', message_state: 2 })?.outcome, 'delivered');
  assert.equal(parseReceipt({ ...text('id:1 stat:DELIVRD'), esm_class: 0 }), null, 'an MO message is not a receipt');
  assert.equal(parseReceipt(text('stat:DELIVRD')), null, 'no id, nothing to match');
});

test('matches receipt ids across hex/decimal, case and leading zeros, reporting the submit_sm_resp string', () => {
  const ids = new IdIndex<string>(100, 60_000, 1000);
  ids.add(['1A2B']);
  ids.add(['3000000001', '3000000002']);
  assert.equal(ids.lookup('1A2B')?.primary, '1A2B');
  assert.equal(ids.lookup('6699')?.primary, '1A2B', 'decimal receipt for a hex id');
  assert.equal(ids.lookup('1a2b')?.primary, '1A2B');
  assert.equal(ids.lookup('00001A2B')?.primary, '1A2B');
  assert.equal(ids.lookup('B2D05E02')?.primary, '3000000001', 'hex receipt for the second part of a decimal id');
  assert.equal(ids.lookup('3000000002')?.primary, '3000000001');
  assert.equal(ids.lookup('777'), undefined);
});

test('holds receipts for ids not known yet, and forgets old messages by count and age', () => {
  let now = 0;
  const ids = new IdIndex<string>(3, 1000, 50, () => now);
  ids.hold('6699', 'early receipt');
  ids.hold('42', 'stranger');
  ids.hold('1a2b', 'second early receipt');
  const { message, held } = ids.add(['1A2B']);
  assert.deepEqual([message.primary, held], ['1A2B', ['early receipt', 'second early receipt']]);
  assert.deepEqual(ids.add(['C0']).held, [], 'a matched receipt is handed out once');
  assert.deepEqual(ids.expired(), []);
  now = 60;
  assert.deepEqual(ids.expired(), ['stranger']);
  for (const id of ['A1', 'A2', 'A3']) ids.add([id]);
  assert.equal(ids.lookup('1A2B'), undefined, 'evicted by count');
  ids.hold('999', 'at shutdown');
  assert.deepEqual(ids.drainHeld(), ['at shutdown']);
  assert.equal(ids.size, 3);
  now = 2000;
  ids.add(['B1']);
  assert.equal(ids.lookup('A3'), undefined, 'evicted by age');
  assert.equal(ids.lookup('B1')?.primary, 'B1');
});

test('encodes single, UDH-concatenated and payload messages', () => {
  const single = encodeMessage('x'.repeat(160), 'udh', 7);
  assert.deepEqual([single.encoding, single.parts.length, single.parts[0].short_message.length, single.parts[0].esm_class], ['gsm7', 1, 160, 0]);
  const gsm = encodeMessage('y'.repeat(152) + '€' + 'z'.repeat(10), 'udh', 7);
  assert.equal(gsm.parts.length, 2);
  assert.deepEqual([...gsm.parts[0].short_message.subarray(0, 6)], [5, 0, 3, 7, 2, 1]);
  assert.equal(gsm.parts[0].short_message.length, 6 + 152, 'the escape pair moves whole to part 2');
  assert.deepEqual([...gsm.parts[1].short_message.subarray(5, 8)], [2, 0x1b, 0x65]);
  assert.ok(gsm.parts.every((p) => p.esm_class === 0x40 && p.data_coding === 0));
  const fa = encodeMessage('س'.repeat(71), 'udh', 255);
  assert.deepEqual([fa.encoding, fa.parts.length, fa.parts[0].data_coding, fa.parts[0].short_message.length], ['ucs2', 2, 8, 6 + 134]);
  const payload = encodeMessage('س'.repeat(200), 'payload', 1);
  assert.deepEqual([payload.parts.length, payload.parts[0].short_message.length, payload.parts[0].message_payload?.length], [1, 0, 400]);
});

test('command_status classes: throttling and queue-full retry, invalid destination is permanent', () => {
  const pick = (s: number) => {
    const e = submitError(s);
    return [e.code, e.retryable, e.providerCode];
  };
  assert.deepEqual(pick(0x58), ['throttled', true, '0x00000058']);
  assert.deepEqual(pick(0x14), ['queue_full', true, '0x00000014']);
  assert.deepEqual(pick(0x0b), ['invalid_destination', false, '0x0000000b']);
  assert.deepEqual(pick(0x45), ['rejected', false, '0x00000045']);
  assert.deepEqual(pick(0x08), ['smsc_error', true, '0x00000008']);
});
