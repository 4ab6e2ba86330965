/**
 * The webhook body formats of the API families, chosen by the account's webhook_format and handed
 * to the (shape-neutral) webhook outbox by the gateway's wiring.
 */
import type { WebhookFormats } from '../webhooks/format.ts';
import { bitelWebhookBody } from './bitel/webhook-body.ts';
import { nativeBody, nativePayload } from './native/webhook-body.ts';
import { vonageWebhookBody } from './vonage/webhook-body.ts';

export const WEBHOOK_FORMATS = ['native', 'bitel', 'vonage'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export function isWebhookFormat(x: string): x is WebhookFormat {
  return (WEBHOOK_FORMATS as readonly string[]).includes(x);
}

export const webhookFormats: WebhookFormats = {
  native: { build: nativePayload, render: nativeBody },
  bitel: { build: bitelWebhookBody },
  vonage: { build: vonageWebhookBody },
};
