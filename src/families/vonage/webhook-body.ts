/**
 * Vonage's Verify v2 status callback (accounts with webhook_format 'vonage'): one "summary" POST
 * when a Vonage request is finalized (developer.vonage.com/en/verify/concepts/webhooks):
 *
 *   { request_id, submitted_at, status, type: "summary", channel_timeout,
 *     workflow: [{ channel, initiated_at?, status }], finalized_at, client_ref? }
 *
 * status: completed (approved), failed (too many wrong codes), expired, cancelled. A workflow step
 * that went out before the last one reads expired (its channel timed out or was skipped), the
 * last one the request's status, and a step never reached unused. Message steps and requests of
 * other families send nothing: Vonage has no callback for them.
 */
import type { StatusChange } from '../../webhooks/format.ts';
import { requestId, vonageMeta } from './workflow.ts';

const STATUS: Record<string, string> = { approved: 'completed', max_attempts_reached: 'failed', expired: 'expired', canceled: 'cancelled' };
const iso = (ms: number) => new Date(ms).toISOString();

export function vonageWebhookBody(e: StatusChange): unknown | undefined {
  const v = e.verification;
  const status = STATUS[e.status];
  if (e.kind !== 'verification' || !v || !status) return undefined;
  const meta = vonageMeta(v);
  if (!meta) return undefined;
  const sent = Math.min(v.send_count, meta.workflow.length);
  return {
    request_id: requestId(v.id),
    submitted_at: iso(v.created_at),
    status,
    type: 'summary',
    channel_timeout: meta.channel_timeout,
    workflow: meta.workflow.map((s, i) => ({
      channel: s.channel,
      ...(i === 0 ? { initiated_at: iso(v.created_at) } : i === sent - 1 ? { initiated_at: iso(v.last_sent_at) } : {}),
      status: i < sent - 1 ? 'expired' : i === sent - 1 ? status : 'unused',
    })),
    finalized_at: iso(e.at),
    ...(meta.client_ref !== undefined ? { client_ref: meta.client_ref } : {}),
  };
}
