/**
 * channel "auto": SMS first; when the SMS is not delivered within `afterMs` of being queued, or
 * fails or comes back undelivered sooner, the same code is called out by voice. Run from the
 * dispatcher's housekeeping tick and driven only by database rows (store/autovoice.ts), so a
 * restart, or another instance, picks up exactly where the last one stopped.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { dueVoiceFallbacks } from '../store/autovoice.ts';
import type { Database, Verification } from '../store/schema.ts';

export interface AutoVoiceDeps {
  db: Kysely<Database>;
  afterMs: number;
  /** Places the call on the verification (VerifyService.voiceFallback); an Error value is a refusal. */
  place(v: Verification): Promise<unknown>;
  log: Logger;
}

/** One sweep: places the due calls, at most `limit`; returns how many were due. */
export async function placeDueVoiceCalls(d: AutoVoiceDeps, now: number, limit = 100): Promise<number> {
  const due = await dueVoiceFallbacks(d.db, now, now - d.afterMs, limit);
  for (const v of due) {
    try {
      const out = await d.place(v);
      if (out instanceof Error) d.log.warn({ verification_id: v.id, err: out.message }, 'channel auto: the voice call was not placed');
      else if (out) d.log.info({ verification_id: v.id }, 'channel auto: SMS not delivered in time, calling with the same code');
    } catch (err) {
      d.log.error({ err, verification_id: v.id }, 'channel auto: placing the voice call failed; the next sweep retries');
    }
  }
  return due.length;
}
