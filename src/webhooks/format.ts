/**
 * What a webhook body format is, shape-neutral: the API families own their bodies
 * (src/families/<name>/webhook-body.ts) and hand them to the webhook outbox through gateway wiring.
 */
import type { Account, Message, Verification } from '../store/schema.ts';

/** What a body formatter gets: one status change with the rows it concerns, read in its transaction. */
export interface StatusChange {
  kind: 'message' | 'verification';
  status: string;
  /** Epoch ms of the change. */
  at: number;
  /** The error code the change set, when the event carries one (undefined: not told). */
  errorCode?: string | null;
  message?: Message;
  verification?: Verification;
  account: Account;
}

/** One body format, named by the account's webhook_format. */
export interface WebhookBodyFormat {
  /**
   * The payload to store for this change (run at enqueue time, inside the status change's
   * transaction), or undefined when the format reports no such change: no delivery is queued then.
   */
  build(e: StatusChange): unknown | undefined;
  /** The exact bytes to POST (and sign) for a stored payload; the stored JSON itself when absent. */
  render?(deliveryId: number, payload: string): string;
}

/** Formats by name; the native one is the fallback for an unknown name. */
export type WebhookFormats = Readonly<Record<string, WebhookBodyFormat>> & { native: WebhookBodyFormat };

/** The payload to store for a change in `format`. */
export function buildPayload(formats: WebhookFormats, format: string, e: StatusChange): unknown | undefined {
  return (formats[format] ?? formats.native).build(e);
}

/** The exact bytes to POST for a stored payload in `format`. */
export function renderBody(formats: WebhookFormats, format: string, deliveryId: number, payload: string): string {
  const f = formats[format] ?? formats.native;
  return f.render ? f.render(deliveryId, payload) : payload;
}
