/**
 * The one interface every carrier sits behind (DESIGN.md: providers/).
 * A provider turns an outbound message into a carrier message id, and turns the carrier's
 * receipts (SMPP deliver_sm, HTTP status callbacks) into `Receipt`s. It never touches SQL or
 * HTTP routes: the dispatcher owns the outbox, the http layer owns routes.
 */
import type { Logger } from 'pino';

export type Channel = 'sms' | 'voice';
export type Encoding = 'gsm7' | 'ucs2';

export interface OutboundMessage {
  /** Our message id (32 lowercase hex, time-ordered). Stable across retries: an idempotency key. */
  id: string;
  /** Destination in E.164, e.g. "+9779851023212". */
  to: string;
  /** Sender id or gateway number; undefined lets the provider use its configured default. */
  from?: string;
  channel: Channel;
  /** SMS: the final text (code included). Voice: the script to speak. */
  text: string;
  encoding: Encoding;
  /** Segments charged for SMS (1 for voice). */
  segments: number;
  /** BCP-47-ish language of the text, e.g. "en", "fa", "ne". Voice providers pick a TTS voice from it. */
  locale: string;
  /** The OTP inside `text`, for vendors whose API takes it apart (Kavenegar lookup, TingTing, Bitel voice). */
  code?: string;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
  /** Voice options (voice only). `retries`: re-dials on no answer or busy, done by the dispatcher. */
  voice?: { voiceId?: string; repeat?: number; retries?: number };
  /** Voice: 1 for the first call, 2 for the first re-dial after no answer or busy, … */
  dial?: number;
}

export interface SendResult {
  /** The carrier's id for this message (the first part's), as the carrier wrote it; shown to users. */
  providerMessageId: string;
  /**
   * A message the carrier split: the key of each part, in order, as receipts name them (SMPP:
   * one submit_sm per part; an HTTP API whose answer lists several message ids). Absent = one
   * part keyed by providerMessageId. The message is delivered only when every part is.
   */
  parts?: string[];
}

/** One part the carrier accepted, reported by `send()` as its answer arrives (SendHooks.accepted). */
export interface AcceptedPart {
  /** 0-based part number, and how many parts the message has. */
  index: number;
  total: number;
  /** The id as the carrier wrote it. */
  providerMessageId: string;
  /** The key receipts are matched under (providers/smpp/ids.ts idKey for SMPP). */
  key: string;
}

export interface SendHooks {
  /**
   * A part was accepted (the carrier's promise): record it durably. A provider with a window
   * (SMPP) holds the part's window slot until this settles, so after a crash at most a window
   * of accepted-but-unrecorded submits can be sent again.
   */
  accepted?(part: AcceptedPart): Promise<void>;
}

/**
 * What a carrier said finally (or on the way) about a message it accepted. A call that was not
 * picked up (`no_answer`) or met a busy line (`busy`) is undelivered, but may be re-dialed.
 */
export type ReceiptOutcome = 'delivered' | 'undelivered' | 'enroute' | 'no_answer' | 'busy';

export interface Receipt {
  /** The provider instance name (config name), e.g. "devinbox", "smpp-main". */
  provider: string;
  /** The key of the message (or part) it reports on. */
  providerMessageId: string;
  /**
   * Every key the receipt may name, best first, when the provider's id formats leave more than
   * one reading (SMPP `auto`); applied only when exactly one open message matches.
   */
  candidates?: string[];
  /** The destination the receipt is about (digits; '+' optional), when the carrier says: the match must agree. */
  to?: string;
  outcome: ReceiptOutcome;
  /** Carrier detail, e.g. "UNDELIV", "REJECTD", "err:001", "no_answer", "busy". */
  errorCode?: string;
  /** Voice: seconds billed by the carrier. */
  billSec?: number;
  at: Date;
}

export interface ProviderContext {
  /**
   * Report a receipt; the dispatcher matches it to the message (even if it arrives before
   * send() resolved). The promise settles once it is recorded (SMPP answers deliver_sm then).
   */
  onReceipt(receipt: Receipt): unknown;
  log: Logger;
}

/** A carrier-side HTTP request (status callback) handed to a provider by /hooks/<provider name>. */
export interface CallbackRequest {
  method: string;
  /** Full public URL the carrier called (needed for Twilio's signature). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed body (JSON object or form fields). */
  body: unknown;
  rawBody: string;
  query: Record<string, string>;
}

export interface Provider {
  /** Instance name from config (unique); also the key receipts are matched under. */
  readonly name: string;
  /** Implementation, e.g. "smpp", "twilio", "devinbox". */
  readonly kind: string;
  readonly channels: readonly Channel[];
  /** Resolves with the carrier id once the carrier accepted the message; rejects with ProviderError. */
  send(msg: OutboundMessage, hooks?: SendHooks): Promise<SendResult>;
  /** Connect / bind; called once before the first send. */
  start?(ctx: ProviderContext): Promise<void>;
  /** Close links; in-flight sends may reject with a retryable error. */
  stop?(): Promise<void>;
  /** State for the admin status page (binds, window, rates, errors). */
  status?(): Record<string, unknown>;
  /** Parse (and verify the signature of) a carrier status callback. Throws ProviderError(code 'bad_signature') if forged. */
  handleCallback?(req: CallbackRequest): Promise<Receipt[]>;
}

/** A carrier fault. `retryable` decides between a retry with backoff (or failover) and a failed message. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    /** The carrier's own code, e.g. SMPP command_status "0x0000000b" or an HTTP status + vendor code. */
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** A provider's config is wrong; thrown from its constructor so startup fails with a clear line. */
export class ProviderConfigError extends Error {
  constructor(readonly provider: string, readonly field: string, fix: string) {
    super(`provider "${provider}": ${field} ${fix}`);
    this.name = 'ProviderConfigError';
  }
}

/** Every provider module exports a factory of this shape; providers/index.ts maps `kind` to it. */
export type ProviderFactory<C> = (name: string, config: C) => Provider;
