/**
 * Bitel-style webhook bodies (accounts with webhook_format 'bitel'): one JSON POST per status
 * change of a message, in Bitel's shapes and numbers (./status-codes.ts).
 *
 *   SMS:   {requestId, batchId, balanceSubtracted, smsCount, requestDate, deliveryStatus}
 *   voice: {requestId, campaignId, balanceSubtracted, cause, billSec, number, requestDate}
 *
 * deliveryStatus and cause are Bitel's numeric codes (SMS: 1 DELIVERED, 2 CHECK_OK, 4 …; calls:
 * 1 NORMAL, 2 NO_ANSWER, 3 USER_BUSY, …); balanceSubtracted is Toman; requestDate epoch seconds.
 * A single request has no batch or campaign: batchId/campaignId are null. Bitel reports outcomes,
 * so a change that still reads WAITING (queued, sending, a retry, a call under way) sends nothing,
 * and neither do verification changes, which Bitel has no event for.
 */
import { callStatus, charged, epochSeconds, nationalNumber, smsStatus } from './status-codes.ts';
import { isMessageStatus } from '../../core/status.ts';
import type { StatusChange } from '../../webhooks/format.ts';

export function bitelWebhookBody(e: StatusChange): unknown | undefined {
  const m = e.message;
  if (e.kind !== 'message' || !m) return undefined;
  // The event's step, not the row's: two changes committed together each report their own.
  const status = isMessageStatus(e.status) ? e.status : m.status;
  const errorCode = e.errorCode !== undefined ? e.errorCode : m.status === status ? m.error_code : null;
  const row = { ...m, status, error_code: errorCode };
  const balanceSubtracted = charged(row);

  if (m.channel === 'voice') {
    const cause = callStatus(row);
    if (cause.code === 0) return undefined;
    return {
      requestId: m.id,
      campaignId: null,
      balanceSubtracted,
      cause: cause.code,
      billSec: m.bill_sec ?? 0,
      number: nationalNumber(m.to_number),
      requestDate: epochSeconds(m.created_at),
    };
  }
  const delivery = smsStatus(row, 2);
  if (delivery.code === 0) return undefined;
  return {
    requestId: m.id,
    batchId: null,
    balanceSubtracted,
    smsCount: m.segments,
    requestDate: epochSeconds(m.created_at),
    deliveryStatus: delivery.code,
  };
}
