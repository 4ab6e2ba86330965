/**
 * The slice of node-smpp (`smpp` 0.5.1) we use, typed structurally (kysely style: a minimal
 * interface instead of the package's full surface; the package ships no typings).
 *
 * One deliberate adjustment: node-smpp runs short_message and message_payload through its own
 * text filter, which guesses an alphabet on encode and turns bytes into text on decode (lossy
 * for GSM-7: unknown septets become spaces). otpgate encodes and decodes text itself
 * (core/encoding.ts), so we drop that filter and both fields stay raw Buffers in and out.
 * node-smpp's tables are module state; otpgate (provider and simulator) is its only user in the
 * process, and the adjustment is idempotent.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { EventEmitter } from 'node:events';

/** A decoded PDU: header fields plus whatever mandatory params and TLVs the command carries. */
export interface Pdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  isResponse(): boolean;
  response(options?: Record<string, unknown>): Pdu;
  toBuffer(): Buffer;
  [field: string]: unknown;
}

export interface SmppSessionLike extends EventEmitter {
  socket: Socket;
  /** Returns false when the socket is no longer writable. */
  send(pdu: Pdu): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
}

export interface SmppServerLike extends EventEmitter {
  listen(port: number, host: string, callback: () => void): this;
  address(): { port: number } | string | null;
  close(callback?: (err?: Error) => void): this;
  sessions: SmppSessionLike[];
}

interface SmppLib {
  PDU: new (command: string, options?: Record<string, unknown>) => Pdu;
  connect(options: { host: string; port: number }): SmppSessionLike;
  createServer(listener: (session: SmppSessionLike) => void): SmppServerLike;
  commands: Record<string, { params?: Record<string, { filter?: unknown }> }>;
  tlvs: Record<string, { filter?: unknown }>;
}

const require = createRequire(import.meta.url);
export const smpp = require('smpp') as SmppLib;

for (const command of ['submit_sm', 'deliver_sm', 'submit_multi', 'replace_sm']) {
  const field = smpp.commands[command]?.params?.short_message;
  if (field) delete field.filter;
}
if (smpp.tlvs.message_payload) delete smpp.tlvs.message_payload.filter;

/** Build a request or response PDU (sequence numbers are assigned by the session on send). */
export function pdu(command: string, fields: Record<string, unknown> = {}): Pdu {
  return new smpp.PDU(command, fields);
}

/** The SMPP command_status values we act on (SMPP v3.4 §5.1.3). */
export const Status = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RSUBMITFAIL: 0x45,
  RINVSYSTYP: 0x53,
  RTHROTTLED: 0x58,
  RX_T_APPN: 0x64,
} as const;

/** "0x0000000e" — the form carriers' documents and our ProviderError.providerCode use. */
export function hexStatus(status: number): string {
  return '0x' + (status >>> 0).toString(16).padStart(8, '0');
}
