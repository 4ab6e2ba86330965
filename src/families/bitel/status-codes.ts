/**
 * Bitel's numbers and units read off our message rows: SMS delivery statuses, call statuses,
 * Toman amounts, epoch seconds and national-format numbers. Pure (types only), so the routes and
 * the Bitel webhook formatter share one table.
 *
 * SMS (Bitel "Delivery Status Table"): 0 WAITING, 1 DELIVERED, 2 CHECK_OK (v2 only; v1 shows 0),
 * 4 DELIVERY_FAILED, 5 BLACKLIST, 9 ERROR, 10 CHECK_ERROR.
 * Calls (Bitel "Call Status"): 0 WAITING, 1 NORMAL, 2 NO_ANSWER, 3 USER_BUSY, 10 EXPIRED, 11 ERROR,
 * 20 UNKNOWN; v1's CDR knows only NORMAL, NO_ANSWER, USER_BUSY and WAITING.
 */
import type { Message } from '../../store/schema.ts';

export const SMS_STATUS = { WAITING: 0, DELIVERED: 1, CHECK_OK: 2, DELIVERY_FAILED: 4, BLACKLIST: 5, ERROR: 9, CHECK_ERROR: 10 } as const;
export type SmsStatusName = keyof typeof SMS_STATUS;

export const CALL_STATUS = { WAITING: 0, NORMAL: 1, NO_ANSWER: 2, USER_BUSY: 3, EXPIRED: 10, ERROR: 11, UNKNOWN: 20 } as const;
export type CallStatusName = keyof typeof CALL_STATUS;
export type CdrStatusName = 'NORMAL' | 'NO_ANSWER' | 'USER_BUSY' | 'WAITING';

export interface BitelStatus<N extends string> {
  code: number;
  name: N;
}

type Row = Pick<Message, 'status' | 'error_code' | 'sent_at'>;

/**
 * The kind of a carrier detail, letters only: "invalid_number:InvalidPhoneNumber" → "invalidnumber",
 * "USER_BUSY" → "userbusy". Our own codes (blocked, rejected, no_answer, busy) and the labels the
 * Bitel carrier reports (BLACKLIST, CHECK_ERROR, NO_ANSWER, …) read alike.
 */
function kind(errorCode: string | null): string {
  return (errorCode ?? '').split(':')[0].toLowerCase().replace(/[^a-z]/g, '');
}

const BLOCKED = new Set(['blocked', 'blacklist']);
/** The operator refused the message (SMPP REJECTD, a carrier's access denial). */
const REFUSED = new Set(['rejected', 'rejectd', 'checkerror', 'authfailed', 'invalidsender']);

export function smsStatus(m: Row, version: 1 | 2): BitelStatus<SmsStatusName> {
  const name = smsStatusName(m, version);
  return { code: SMS_STATUS[name], name };
}

function smsStatusName(m: Row, version: 1 | 2): SmsStatusName {
  const k = kind(m.error_code);
  switch (m.status) {
    case 'delivered':
      return 'DELIVERED';
    case 'sent':
      return version === 2 ? 'CHECK_OK' : 'WAITING';
    case 'undelivered':
      if (BLOCKED.has(k)) return 'BLACKLIST';
      if (REFUSED.has(k)) return 'CHECK_ERROR';
      return k === 'error' ? 'ERROR' : 'DELIVERY_FAILED';
    case 'failed':
      if (BLOCKED.has(k)) return 'BLACKLIST';
      return REFUSED.has(k) ? 'CHECK_ERROR' : 'ERROR';
    case 'expired':
      return m.sent_at ? 'DELIVERY_FAILED' : 'ERROR';
    case 'canceled':
      return 'ERROR'; // never sent (its code was approved or canceled first)
    default:
      return 'WAITING'; // queued, sending
  }
}

/** v2's SMS object spells the status the .NET way: WAITING → "Waiting", CHECK_OK → "CheckOk". */
export function statusText(name: string): string {
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export function callStatus(m: Row): BitelStatus<CallStatusName> {
  const name = callStatusName(m);
  return { code: CALL_STATUS[name], name };
}

function callStatusName(m: Row): CallStatusName {
  const k = kind(m.error_code);
  switch (m.status) {
    case 'delivered':
      return 'NORMAL';
    case 'undelivered':
      if (k === 'busy' || k === 'userbusy') return 'USER_BUSY';
      if (k === 'expired') return 'EXPIRED';
      if (k === 'error') return 'ERROR';
      if (k === 'unknown') return 'UNKNOWN';
      return 'NO_ANSWER'; // a call placed and not picked up (no_answer, or a carrier's generic UNDELIV)
    case 'failed':
      return 'ERROR';
    case 'expired':
    case 'canceled':
      return 'EXPIRED'; // never placed
    default:
      return 'WAITING'; // queued, sending, sent (the call is under way)
  }
}

/** v1's CDR status: its four names; a call that was never placed reads as not reached. */
export function cdrStatus(m: Row): CdrStatusName {
  const { name } = callStatus(m);
  return name === 'NORMAL' || name === 'USER_BUSY' || name === 'WAITING' ? name : 'NO_ANSWER';
}

/** Micro-units of the account currency → Toman as Bitel shows it (a float). */
export function toman(micros: number): number {
  return micros / 1_000_000;
}

/** What the request cost: its price, or nothing once refunded (canceled before sending). */
export function charged(m: Pick<Message, 'status' | 'price'>): number {
  return m.status === 'canceled' ? 0 : toman(m.price);
}

/** v2's `price`: 0.0 while waiting (as Bitel shows it), then the charge as a negative amount. */
export function signedPrice(m: Pick<Message, 'status' | 'price'>, waiting: boolean): number {
  const c = charged(m);
  return waiting || c === 0 ? 0 : -c;
}

export function epochSeconds(ms: number | null): number {
  return ms ? Math.floor(ms / 1000) : 0;
}

/** Bitel shows Iranian numbers in national format ("0912…"); others stay E.164. */
export function nationalNumber(e164: string): string {
  return e164.startsWith('+98') ? `0${e164.slice(3)}` : e164;
}
