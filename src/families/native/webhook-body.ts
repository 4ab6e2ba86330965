/**
 * The native webhook body. Built at enqueue time from the event and the row it concerns, except
 * its `id` (the delivery id, known once the outbox row exists), which the worker puts first.
 *
 *   { id, type: 'message.status' | 'verification.status', created_at: ISO,
 *     data: { message: {...} } | { verification: {...} } }
 *
 * status, error_code and updated_at come from the event, not the row: when two changes of one
 * message commit in the same batch, each webhook still reports its own step.
 */
import type { Message, Verification } from '../../store/schema.ts';
import type { StatusChange } from '../../webhooks/format.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function nativePayload(e: StatusChange): unknown | undefined {
  if (e.kind === 'message' && e.message) return { type: 'message.status', created_at: iso(e.at), data: { message: messageData(e.message, e) } };
  if (e.kind === 'verification' && e.verification)
    return { type: 'verification.status', created_at: iso(e.at), data: { verification: verificationData(e.verification, e) } };
  return undefined;
}

function messageData(m: Message, e: StatusChange) {
  return {
    id: m.id,
    verification_id: m.verification_id,
    to: m.to_number,
    channel: m.channel,
    status: e.status,
    error_code: e.errorCode !== undefined ? e.errorCode : m.status === e.status ? m.error_code : null,
    segments: m.segments,
    /** Integer micro-units of the account currency, as in the native API. */
    price: m.price,
    provider: m.provider,
    updated_at: iso(e.at),
  };
}

function verificationData(v: Verification, e: StatusChange) {
  return { id: v.id, to: v.to_number, channel: v.channel, status: e.status, updated_at: iso(e.at) };
}

/** The body as sent: the stored payload with the delivery id first. */
export function nativeBody(deliveryId: number, payload: string): string {
  return JSON.stringify({ id: String(deliveryId), ...(JSON.parse(payload) as object) });
}
