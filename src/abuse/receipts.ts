/**
 * Delivery receipts into the pumping windows (the fallback signal for accounts that never report
 * approvals): final message statuses arrive as store events; their numbers are read in batches
 * (one query per batch, off the send path) and counted as delivered or failed.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { StoreEvent } from '../store/events.ts';
import type { Database } from '../store/schema.ts';

const FAILED = new Set(['undelivered', 'failed', 'expired']);
const BATCH_MS = 200;

export class ReceiptTally {
  private pending = new Map<string, 'd' | 'f'>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly count: (accountId: string, to: string, kind: 'd' | 'f') => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  onEvent(e: StoreEvent): void {
    if (e.type !== 'message.status') return;
    const kind = e.status === 'delivered' ? 'd' : FAILED.has(e.status) ? 'f' : undefined;
    if (!kind) return;
    this.pending.set(e.messageId, kind);
    this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  /** Counts what has arrived so far (tests and shutdown call it directly). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.running = (async () => {
      try {
        const ids = [...batch.keys()];
        for (let i = 0; i < ids.length; i += 500) {
          const rows = await this.db.selectFrom('messages').select(['id', 'account_id', 'to_number']).where('id', 'in', ids.slice(i, i + 500)).execute();
          await Promise.all(rows.map((r) => this.count(r.account_id, r.to_number, batch.get(r.id)!)));
        }
      } catch (err) {
        this.log.error({ err }, 'abuse: receipts not counted');
      }
    })();
    await this.running;
    this.running = undefined;
  }
}
