/**
 * Message rows → Bitel's result objects. Bitel echoes the text it sent (the caller chose the
 * code), so the stored body, masked at rest, is shown with its code filled back in.
 */
import type { Gateway } from '../../gateway.ts';
import { getMessage } from '../../store/messages.ts';
import type { Message } from '../../store/schema.ts';
import { getVerification } from '../../store/verifications.ts';
import { redactedBody, unmaskCode } from '../../verify/codemask.ts';
import { notFound } from './envelope.ts';
import { callStatus, cdrStatus, charged, epochSeconds, nationalNumber, signedPrice, smsStatus, statusText } from './status-codes.ts';

/** The account's message of this channel, or NotFound (malformed, unknown, another account's, other channel). */
export async function findMessage(gw: Gateway, accountId: string, rawId: string, channel: 'sms' | 'voice'): Promise<Message> {
  const id = rawId.toLowerCase();
  const m = /^[0-9a-f]{32}$/.test(id) ? await getMessage(gw.store.db, accountId, id) : undefined;
  if (!m || m.channel !== channel) throw notFound(rawId);
  return m;
}

/** The text as sent: the masked body with its verification's code filled back in. */
export async function sentText(gw: Gateway, m: Message): Promise<string> {
  if (!m.verification_id) return m.body;
  const v = await getVerification(gw.store.db, m.account_id, m.verification_id);
  const code = v ? gw.verify.tryRevealCode(v) : null;
  return code === null ? redactedBody(m.body) : unmaskCode(m.body, code);
}

export function smsObject(m: Message, text: string) {
  const s = smsStatus(m, 2);
  return {
    id: m.id,
    gatewayNumber: m.from_number ?? '',
    phoneNumber: nationalNumber(m.to_number),
    message: text,
    requestDate: epochSeconds(m.created_at),
    status: s.code,
    statusText: statusText(s.name),
    partCount: m.segments,
    price: signedPrice(m, s.code === 0),
  };
}

export function smsDetailV1(m: Message, text: string) {
  const s = smsStatus(m, 1);
  return {
    id: m.id,
    message: text,
    phoneNumber: nationalNumber(m.to_number),
    requestDate: epochSeconds(m.created_at),
    result: 'ok',
    smsCount: m.segments,
    balanceSubtracted: charged(m),
    deliveryStatus: s.name,
    deliveryStatusCode: s.code,
  };
}

export function smsStatusV2(m: Message, text: string) {
  const s = smsStatus(m, 2);
  return {
    id: m.id,
    message: text,
    phoneNumber: nationalNumber(m.to_number),
    requestDate: epochSeconds(m.created_at),
    statusCode: s.code,
    status: s.name,
    smsCount: m.segments,
    price: signedPrice(m, s.code === 0),
  };
}

export function callObject(m: Message) {
  const s = callStatus(m);
  return {
    id: m.id,
    phoneNumber: nationalNumber(m.to_number),
    status: s.name,
    statusCode: s.code,
    billSec: m.bill_sec ?? 0,
    requestDate: epochSeconds(m.created_at),
    executionDate: epochSeconds(m.sent_at),
    price: signedPrice(m, s.code === 0),
  };
}

export function cdrV1(m: Message, transactionId: number) {
  return {
    requestId: m.id,
    targetNumber: nationalNumber(m.to_number),
    status: cdrStatus(m),
    billSec: m.bill_sec ?? 0,
    requestDate: epochSeconds(m.created_at),
    executionDate: epochSeconds(m.sent_at),
    transactionId,
    balanceSubtracted: charged(m),
  };
}
