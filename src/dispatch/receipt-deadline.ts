/**
 * The receipt deadline: a message the carrier accepted ("sent") but never reported on becomes
 * final ("expired", error_code "receipt_deadline": its fate is unknown) once
 * `dispatch.receipt_deadline_seconds` have passed since it was sent, so one lost callback or
 * delivery receipt cannot hold a message (and its webhooks, its dashboard line) open forever.
 *
 * Its own small sweeper beside the dispatcher: one indexed read of overdue rows, then one guarded
 * status change per row through the writer (the change, its event and its webhook commit together;
 * a receipt or a peer instance that moved the row first wins, as `transition` matches on status).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { transition } from '../store/messages.ts';
import type { Database } from '../store/schema.ts';
import type { GroupWriter } from '../store/writer.ts';

export interface ReceiptDeadlineDeps {
  db: Kysely<Database>;
  writer: GroupWriter;
  /** Seconds after `sent_at` without a final receipt. */
  deadlineSeconds: number;
  /** How often to look, ms. */
  everyMs: number;
  log: Logger;
  now: () => number;
}

/** Rows handled per sweep; the rest wait for the next one. */
const BATCH = 500;

export class ReceiptDeadline {
  private timer?: NodeJS.Timeout;
  private running = false;
  private inflight: Promise<unknown> = Promise.resolve();
  /** Messages made final by this process (for the admin status page and tests). */
  expired = 0;

  constructor(private readonly d: ReceiptDeadlineDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const loop = () => {
      this.inflight = this.sweep()
        .catch((err) => this.d.log.error({ err }, 'receipt deadline sweep failed'))
        .finally(() => {
          if (this.running) this.timer = setTimeout(loop, this.d.everyMs).unref();
        });
    };
    this.timer = setTimeout(loop, this.d.everyMs).unref();
  }

  /** Stops the timer and waits for a sweep in flight (the database closes after this). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inflight;
  }

  /** Makes overdue "sent" messages final; resolves with how many moved. */
  async sweep(): Promise<number> {
    const now = this.d.now();
    const cutoff = now - this.d.deadlineSeconds * 1000;
    const overdue = await this.d.db
      .selectFrom('messages')
      .selectAll()
      .where('status', '=', 'sent')
      .where('sent_at', '<=', cutoff)
      .orderBy('sent_at')
      .limit(BATCH)
      .execute();
    let moved = 0;
    for (const m of overdue) {
      const ok = await this.d.writer.run((ctx) =>
        transition(ctx, m, {
          to: 'expired',
          now,
          provider: m.provider,
          detail: `no delivery receipt within ${this.d.deadlineSeconds} s of sending; delivery unknown`,
          set: { final_at: now, error_code: 'receipt_deadline' },
        }),
      );
      if (ok) moved++;
    }
    this.expired += moved;
    if (moved > 0) this.d.log.warn({ count: moved, deadline_seconds: this.d.deadlineSeconds }, 'messages without a receipt made final (expired)');
    return moved;
  }
}
