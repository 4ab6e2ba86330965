/**
 * Which status changes an account's webhook receives: its `events` list, as Kannel's dlr-mask
 * (1 delivered, 2 failed, 8 submitted, 16 rejected: only the masked events call the dlr-url) and
 * Twilio's StatusCallbackEvent choose a subset. Names are `message.<status>` and
 * `verification.<status>` with the statuses of src/core/status.ts, `message.final` for every
 * final message status, and `message.*`, `verification.*` or `*` for all of a kind. No list (null)
 * means every change. Pure: no I/O.
 */
import { FINAL_MESSAGE_STATUSES, MESSAGE_STATUSES, VERIFICATION_STATUSES } from './status.ts';

/** Every name an `events` list may hold, for validation and the OpenAPI enum. */
export const WEBHOOK_EVENT_NAMES: readonly string[] = [
  '*',
  'message.*',
  'message.final',
  ...MESSAGE_STATUSES.map((s) => `message.${s}`),
  'verification.*',
  ...VERIFICATION_STATUSES.map((s) => `verification.${s}`),
];

/**
 * Throws an Error naming the first unknown entry (the caller maps it to a 400 on field `events`);
 * an empty list is refused too, as it would send nothing (DELETE /v1/webhook does that).
 */
export function checkWebhookEvents(events: readonly string[]): void {
  if (events.length === 0) throw new Error('events is empty; list at least one event, or remove the webhook with DELETE /v1/webhook');
  for (const e of events)
    if (!WEBHOOK_EVENT_NAMES.includes(e)) throw new Error(`events: "${e}" is not an event; use ${WEBHOOK_EVENT_NAMES.join(', ')}`);
}

/**
 * Whether a change of `kind` ('message' | 'verification') to `status` is wanted by `events`
 * (null = every change).
 */
export function wantsEvent(events: readonly string[] | null, kind: 'message' | 'verification', status: string): boolean {
  if (events === null) return true;
  for (const e of events) {
    if (e === '*' || e === `${kind}.*` || e === `${kind}.${status}`) return true;
    if (e === 'message.final' && kind === 'message' && (FINAL_MESSAGE_STATUSES as readonly string[]).includes(status)) return true;
  }
  return false;
}
