/**
 * Body formats, chosen by the account's webhook_format: `buildPayload` runs at enqueue time
 * (inside the status change's transaction) and `renderBody` at send time. A formatter may
 * return undefined for a change its format does not report; no delivery is queued then.
 */
import { bitelWebhookBody } from './bitel.ts';
import { nativeBody, nativePayload } from './native.ts';
import { type StatusChange, WEBHOOK_FORMATS, type WebhookFormat } from './types.ts';

export { type StatusChange, WEBHOOK_FORMATS, type WebhookFormat } from './types.ts';

export function isWebhookFormat(x: string): x is WebhookFormat {
  return (WEBHOOK_FORMATS as readonly string[]).includes(x);
}

/** The payload to store for this change, or undefined when the format reports no such change. */
export function buildPayload(format: string, e: StatusChange): unknown | undefined {
  return format === 'bitel' ? bitelWebhookBody(e) : nativePayload(e);
}

/** The exact bytes to POST (and sign) for a stored payload. */
export function renderBody(format: string, deliveryId: number, payload: string): string {
  return format === 'native' ? nativeBody(deliveryId, payload) : payload;
}
