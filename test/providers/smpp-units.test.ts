// The SMPP provider's pure parts: receipt parsing, id matching across radixes, part encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from '../../src/providers/smpp/encode.ts';
import { submitError } from '../../src/providers/smpp/errors.ts';
import { idKey, ReceiptGate, receiptKeys } from '../../src/providers/smpp/ids.ts';
import { errorCodeOf, parseReceipt } from '../../src/providers/smpp/receipts.ts';

const text = (s: string) => ({ esm_class: 0x04, data_coding: 0, short_message: Buffer.from(s, 'latin1') });

test('parses the Appendix B text form, the TLVs, and prefers the TLVs', () => {
  const r = parseReceipt(text('id:0A1B2C sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 stat:UNDELIV err:034 text:Your code'));
  assert.deepEqual(r, { id: '0A1B2C', idFrom: 'text', from: '', stat: 'UNDELIV', err: '034', outcome: 'undelivered', final: true });
  assert.equal(errorCodeOf(r!), 'UNDELIV err:034');
  assert.equal(parseReceipt(text('ID:77 STAT:delivrd'))?.outcome, 'delivered');
  assert.equal(errorCodeOf(parseReceipt(text('id:77 stat:EXPIRED err:000'))!), 'EXPIRED');
  for (const [stat, outcome] of [['REJECTD', 'undelivered'], ['DELETED', 'undelivered'], ['UNKNOWN', 'undelivered'], ['ACCEPTD', 'enroute'], ['ENROUTE', 'enroute']])
    assert.equal(parseReceipt(text(`id:1 stat:${stat}`))?.outcome, outcome, stat);
  const both = parseReceipt({ ...text('id:999 stat:DELIVRD err:000'), receipted_message_id: 'ABC', message_state: 5 });
  assert.deepEqual([both?.id, both?.idFrom, both?.textId, both?.stat, both?.outcome], ['ABC', 'tlv', '999', 'UNDELIV', 'undelivered']);
  assert.equal(parseReceipt({ ...text('id:1 stat:DELIVRD'), source_addr: '9779851000001' })?.from, '9779851000001');
  assert.deepEqual(parseReceipt({ esm_class: 0x04, short_message: Buffer.alloc(0), receipted_message_id: 'X1', message_state: 2 })?.outcome, 'delivered');
  assert.equal(parseReceipt({ ...text('id:1 stat:DELIVRD'), esm_class: 0 }), null, 'an MO message is not a receipt');
  assert.equal(parseReceipt(text('stat:DELIVRD')), null, 'no id, nothing to match');
});

test('ids are keyed as written; a receipt id names the key its declared formats say, never a guess', () => {
  assert.equal(idKey('0000000A1F'), 'a1f');
  assert.equal(idKey('0000000031'), '31');
  assert.equal(idKey('0\0\0'), '0');
  assert.equal(idKey('5F1C0000-9A0E-4C1B-8D2F-00000000002A'), '5f1c0000-9a0e-4c1b-8d2f-00000000002a', 'a UUID keeps its zeros');
  // Kannel msg-id-type 1: submit answer hex, receipt decimal.
  assert.deepEqual(receiptKeys('10', 'hex', 'decimal'), ['a']);
  assert.deepEqual(receiptKeys('6699', 'hex', 'decimal'), ['1a2b']);
  // msg-id-type 2: submit decimal, receipt hex.
  assert.deepEqual(receiptKeys('B2D05E02', 'decimal', 'hex'), ['3000000002']);
  assert.deepEqual(receiptKeys('0000000031', 'hex', 'hex'), ['31']);
  assert.deepEqual(receiptKeys('49', 'hex', 'decimal'), ['31'], 'the same message, written in decimal');
  assert.deepEqual(receiptKeys('1a', 'hex', 'decimal'), [], 'not decimal: names nothing');
  assert.deepEqual(receiptKeys('ABC-def', 'string', 'string'), ['abc-def']);
  // auto: the id as written first, then every other reading; the store refuses a choice among several.
  assert.deepEqual(receiptKeys('10', 'auto', 'auto'), ['10', 'a', '16']);
  assert.deepEqual(receiptKeys('1f', 'auto', 'auto'), ['1f', '31']);
  assert.deepEqual(receiptKeys('10', 'hex', 'auto'), ['10', 'a']);
});

test('the receipt gate: a receipt waits for its answer\'s record, strangers wait a bounded time, the hold is bounded', async () => {
  let now = 0;
  const out: string[] = [];
  const gate = new ReceiptGate<string>((p) => out.push(p), 50, 3, 2, () => now);
  let recorded!: () => void;
  gate.answered('a', new Promise<void>((r) => (recorded = r)));
  gate.receipt(['a'], 'for a (answer being recorded)');
  gate.receipt(['b'], 'for b (answer not read yet)');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out, [], 'nothing goes out before the record');
  recorded();
  gate.answered('b', Promise.resolve());
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([...out].sort(), ['for a (answer being recorded)', 'for b (answer not read yet)']);
  gate.receipt(['a'], 'a again');
  assert.equal(out.at(-1), 'a again', 'a recorded key passes at once');
  gate.receipt(['x'], 'x1');
  gate.receipt(['y'], 'y1');
  gate.receipt(['z'], 'z1');
  assert.equal(out.at(-1), 'x1', 'beyond maxHeld the oldest goes out early');
  assert.equal(gate.waiting, 2);
  now = 100;
  gate.expire();
  assert.deepEqual(out.slice(-2), ['y1', 'z1']);
  assert.equal(gate.waiting, 0);
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
