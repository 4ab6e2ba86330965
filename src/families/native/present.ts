/** Rows → native JSON: ISO 8601 instants, E.164 numbers, the code never shown. */
import type { Message, MessageEvent, Verification } from '../../store/schema.ts';
import { redactedBody } from '../../verify/codemask.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function presentMessage(m: Message, currency: string, events?: MessageEvent[]) {
  return {
    id: m.id,
    verification_id: m.verification_id,
    to: m.to_number,
    channel: m.channel,
    status: m.status,
    encoding: m.encoding,
    segments: m.segments,
    price: m.price,
    currency,
    provider: m.provider,
    attempts: m.attempts,
    error_code: m.error_code,
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
    ...(events
      ? {
          body: redactedBody(m.body),
          events: events.map((e) => ({ status: e.status, at: iso(e.at), provider: e.provider, detail: e.detail })),
        }
      : {}),
  };
}

export function presentVerification(v: Verification, message?: Message, currency = 'USD') {
  return {
    id: v.id,
    to: v.to_number,
    channel: v.channel,
    status: v.status,
    locale: v.locale,
    app_name: v.app_name,
    expires_at: iso(v.expires_at),
    send_count: v.send_count,
    attempts: v.attempts,
    max_attempts: v.max_attempts,
    created_at: iso(v.created_at),
    updated_at: iso(v.updated_at),
    ...(message ? { message: presentMessage(message, currency) } : {}),
  };
}
