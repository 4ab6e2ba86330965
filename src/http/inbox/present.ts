/** Inbox rows → the JSON the page and tests read: the code revealed (dev only), text direction, audio link. */
import { Type } from 'typebox';
import { textDirection } from '../../core/templates.ts';
import type { InboxView } from '../../store/inbox.ts';

export const InboxItem = Type.Object({
  id: Type.Integer(),
  message_id: Type.String(),
  to: Type.String(),
  channel: Type.String(),
  text: Type.String(),
  code: Type.Union([Type.String(), Type.Null()]),
  locale: Type.String(),
  direction: Type.String(),
  encoding: Type.String(),
  segments: Type.Integer(),
  status: Type.Union([Type.String(), Type.Null()]),
  /** Voice messages: the call rendered to sound (503 audio_unavailable without espeak-ng). */
  audio_url: Type.Union([Type.String(), Type.Null()]),
  received_at: Type.String(),
});

/** The plain code, or null when it cannot be opened (one bad row never fails the list). */
export type RevealCode = (sealed: string) => string | null;

export function presentInboxItem(e: InboxView, reveal: RevealCode) {
  return {
    id: e.id,
    message_id: e.message_id,
    to: e.to_number,
    channel: e.channel,
    text: e.text,
    code: e.code_sealed ? reveal(e.code_sealed) : null,
    locale: e.locale,
    direction: textDirection(e.locale),
    encoding: e.encoding,
    segments: e.segments,
    status: e.status,
    audio_url: e.channel === 'voice' ? `/inbox/api/messages/${e.id}/audio.wav` : null,
    received_at: new Date(e.created_at).toISOString(),
  };
}
