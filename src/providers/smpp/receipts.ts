/**
 * Delivery receipts (deliver_sm with a receipt message type in esm_class): the TLVs
 * receipted_message_id / message_state (SMPP v3.4 §5.3.2.12, §5.3.2.35) and the text form of
 * Appendix B, `id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…`.
 * When both are present the TLVs win for id and state; err comes from the text.
 */
import type { ReceiptOutcome } from '../types.ts';
import { DC_UCS2 } from './encode.ts';

/** esm_class bits 2–5: 0x04 SMSC delivery receipt, 0x20 intermediate delivery notification. */
const ESM_TYPE_MASK = 0x3c;
export const ESM_RECEIPT = 0x04;
const ESM_INTERMEDIATE = 0x20;

export function isReceipt(esmClass: number): boolean {
  const type = esmClass & ESM_TYPE_MASK;
  return type === ESM_RECEIPT || type === ESM_INTERMEDIATE;
}

/** message_state TLV values → the stat words of the text form. */
export const MESSAGE_STATES: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};
export const STATE_OF_STAT: Record<string, number> = Object.fromEntries(
  Object.entries(MESSAGE_STATES).map(([n, w]) => [w, Number(n)]),
);

export interface ParsedReceipt {
  /** The carrier's message id as the receipt carries it (the TLV's when present, else the text's). */
  id: string;
  /** Where `id` came from: receipted_message_id is written like the submit answer (SMPP v3.4 §5.3.2.12), the text in the receipt's own form. */
  idFrom: 'tlv' | 'text';
  /** The text form's id when the TLV's was taken (a fallback when the TLV's does not parse). */
  textId?: string;
  /** source_addr: the handset the message went to (our destination), digits as the SMSC writes them. */
  from: string;
  /** Stat word, upper case (DELIVRD, UNDELIV, …). */
  stat: string;
  /** The text form's err field, when present. */
  err?: string;
  outcome: ReceiptOutcome;
  final: boolean;
}

/** DELIVRD → delivered; UNDELIV/EXPIRED/REJECTD/DELETED/UNKNOWN → undelivered; ACCEPTD/ENROUTE → enroute. */
export function outcomeOf(stat: string): { outcome: ReceiptOutcome; final: boolean } {
  const s = stat.toUpperCase();
  if (s.startsWith('DELIV')) return { outcome: 'delivered', final: true };
  if (/^(UNDEL|EXPIR|REJECT|DELET|UNKNOWN|FAIL)/.test(s)) return { outcome: 'undelivered', final: true };
  // ACCEPTD, ENROUTE, BUFFRED and words we do not know: not final, the message keeps waiting.
  return { outcome: 'enroute', final: false };
}

export interface ReceiptPdu {
  [field: string]: unknown;
  esm_class?: unknown;
  data_coding?: unknown;
  short_message?: unknown;
  message_payload?: unknown;
  receipted_message_id?: unknown;
  message_state?: unknown;
  source_addr?: unknown;
}

/** The receipt in a deliver_sm, or null when it is not one (or names no message id). */
export function parseReceipt(pdu: ReceiptPdu): ParsedReceipt | null {
  if (!isReceipt(Number(pdu.esm_class ?? 0))) return null;
  const body = Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.length > 0 ? pdu.message_payload : pdu.short_message;
  const text = Buffer.isBuffer(body) ? receiptText(body, Number(pdu.data_coding ?? 0)) : '';
  const fields = parseReceiptText(text);
  const tlvId = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id.replace(/\0+$/, '').trim() : '';
  const tlvState = typeof pdu.message_state === 'number' ? MESSAGE_STATES[pdu.message_state] : undefined;
  const id = tlvId || fields.id;
  const stat = tlvState ?? fields.stat ?? ((Number(pdu.esm_class) & ESM_TYPE_MASK) === ESM_INTERMEDIATE ? 'ENROUTE' : undefined);
  if (!id || !stat) return null;
  const from = typeof pdu.source_addr === 'string' ? pdu.source_addr.replace(/\0+$/, '').trim() : '';
  return { id, idFrom: tlvId ? 'tlv' : 'text', ...(tlvId && fields.id ? { textId: fields.id } : {}), from, stat, err: fields.err, ...outcomeOf(stat) };
}

function receiptText(body: Buffer, dataCoding: number): string {
  if ((dataCoding & 0x0f) === DC_UCS2) return Buffer.from(body.subarray(0, body.length & ~1)).swap16().toString('utf16le');
  return body.toString('latin1');
}

/** The fields of the Appendix B text form; tolerant of case and of missing fields. */
export function parseReceiptText(text: string): { id?: string; stat?: string; err?: string } {
  const id = /(?:^|\s)id:(\S+)/i.exec(text)?.[1];
  const stat = /(?:^|\s)stat:(\w+)/i.exec(text)?.[1]?.toUpperCase();
  const err = /(?:^|\s)err:(\w+)/i.exec(text)?.[1];
  return { id, stat, err };
}

/** Our Receipt.errorCode for a non-delivered outcome: the stat word, plus err when it says something. */
export function errorCodeOf(r: ParsedReceipt): string | undefined {
  if (r.outcome !== 'undelivered') return undefined;
  return r.err && !/^0+$/.test(r.err) ? `${r.stat} err:${r.err}` : r.stat;
}
