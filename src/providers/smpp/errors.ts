/**
 * command_status → ProviderError. Which statuses are worth a retry follows Kannel's
 * smsc_smpp.c (smpp_status_to_smscconn_failure_reason: MSGQFUL, THROTTLED, X_T_APPN, SYSERR are
 * temporary, everything else is a rejection) plus 0x04 (the SMSC thinks we are not bound: a
 * link-state problem a rebind fixes). 0x45 ESME_RSUBMITFAIL is, per SMPP v3.4 §5.1.3, a generic
 * "submit_sm failed" with no hint of a transient cause, so like Kannel we treat it as permanent.
 */
import { ProviderError } from '../types.ts';
import { hexStatus, Status } from './lib.ts';

const NAMES: Record<number, string> = {
  0x01: 'invalid message length',
  0x02: 'invalid command length',
  0x03: 'invalid command id',
  0x04: 'incorrect bind status',
  0x05: 'already bound',
  0x08: 'system error',
  0x0a: 'invalid source address',
  0x0b: 'invalid destination address',
  0x0d: 'bind failed',
  0x0e: 'invalid password',
  0x0f: 'invalid system id',
  0x14: 'message queue full',
  0x15: 'invalid service type',
  0x43: 'invalid esm_class',
  0x45: 'submit failed',
  0x48: 'invalid source TON',
  0x49: 'invalid source NPI',
  0x50: 'invalid destination TON',
  0x51: 'invalid destination NPI',
  0x53: 'invalid system_type',
  0x58: 'throttled',
  0x61: 'invalid scheduled delivery time',
  0x62: 'invalid validity period',
  0x64: 'temporary application error',
  0xc0: 'invalid TLV stream',
  0xc4: 'invalid TLV value',
  0xfe: 'delivery failure',
  0xff: 'unknown error',
  0x104: 'invalid data_coding',
};

export function statusName(status: number): string {
  return NAMES[status] ?? 'error';
}

/** Stable codes for the statuses the dispatcher may want to tell apart. */
const CODES: Record<number, string> = {
  [Status.RTHROTTLED]: 'throttled',
  [Status.RMSGQFUL]: 'queue_full',
  [Status.RSYSERR]: 'smsc_error',
  [Status.RX_T_APPN]: 'smsc_error',
  [Status.RINVBNDSTS]: 'link_down',
  [Status.RINVDSTADR]: 'invalid_destination',
  [Status.RINVSRCADR]: 'invalid_sender',
  0x48: 'invalid_sender',
  0x49: 'invalid_sender',
  0x50: 'invalid_destination',
  0x51: 'invalid_destination',
};

const RETRYABLE = new Set<number>([Status.RTHROTTLED, Status.RMSGQFUL, Status.RSYSERR, Status.RX_T_APPN, Status.RINVBNDSTS]);

/** True for the statuses that mean "slow down" (pause the bind before its next submit). */
export function isThrottle(status: number): boolean {
  return status === Status.RTHROTTLED || status === Status.RMSGQFUL;
}

/** The ProviderError for a non-zero submit_sm_resp command_status. */
export function submitError(status: number): ProviderError {
  const retryable = RETRYABLE.has(status);
  const code = CODES[status] ?? (retryable ? 'smsc_error' : 'rejected');
  return new ProviderError(
    code,
    `SMSC answered submit_sm with ${statusName(status)} (${hexStatus(status)})`,
    retryable,
    hexStatus(status),
  );
}

/** Retryable transport-level failures: the message may be resent (at-least-once). */
export function linkError(code: 'link_down' | 'timeout' | 'no_bind' | 'busy' | 'stopped', detail: string): ProviderError {
  return new ProviderError(code, detail, true);
}

/** "SMPP bind refused by host:port: invalid password (0x0000000E); check providers.<name>.password" */
export function bindRefusedLine(peer: string, status: number, configName: string): string {
  const hex = '0x' + (status >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `SMPP bind refused by ${peer}: ${statusName(status)} (${hex}); check providers.${configName}.${bindFixField(status)}`;
}

/** Which config field a bind refusal points at, for the log line's "check …" hint. */
function bindFixField(status: number): string {
  switch (status) {
    case Status.RINVPASWD:
      return 'password';
    case Status.RINVSYSID:
      return 'system_id';
    case Status.RINVSYSTYP:
      return 'system_type';
    case Status.RALYBND:
      return 'binds';
    default:
      return 'system_id, password and system_type';
  }
}
