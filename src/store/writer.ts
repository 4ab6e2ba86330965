/**
 * Group commit. Writes that arrive while a transaction is running (or within one event-loop
 * turn) share the next transaction, up to `max` jobs, and each caller's promise resolves after
 * that commit. Durability then costs one commit per batch, not per request.
 *
 * A job must be safe to run twice: if any job in a batch throws, the batch rolls back and every
 * job is re-run alone, so one bad request never fails its neighbours. Jobs that refuse (low
 * balance, cooldown) return a value instead of throwing, so the common refusals stay batched.
 * Events a job emits are delivered only after its transaction commits. An optional
 * `beforeCommit` hook sees a batch's events inside the same transaction, after its jobs ran (the
 * webhook outbox writes its rows there, so a status change and its webhook commit together); if
 * the hook throws, the batch rolls back like a failed job.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { EventHub, StoreEvent } from './events.ts';

export interface JobContext {
  trx: Transaction<Database>;
  emit(event: StoreEvent): void;
}

export type Job<T> = (ctx: JobContext) => Promise<T>;

export type BeforeCommit = (trx: Transaction<Database>, events: readonly StoreEvent[]) => Promise<void>;

interface Pending {
  job: Job<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class GroupWriter {
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  /** Batches committed and jobs run, for the bench and metrics. */
  readonly stats = { batches: 0, jobs: 0, fallbacks: 0 };
  /** Runs in each batch's transaction after its jobs, with the events they emitted (when there are any). */
  beforeCommit?: BeforeCommit;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hub: EventHub,
    private readonly max = 512,
  ) {}

  run<T>(job: Job<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves once everything queued so far has committed (shutdown). */
  async flush(): Promise<void> {
    while (this.running || this.scheduled || this.queue.length > 0) await new Promise((r) => setImmediate(r));
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    try {
      while (this.queue.length > 0) await this.commit(this.queue.splice(0, this.max));
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const events: StoreEvent[] = [];
    try {
      const results = await this.db.transaction().execute(async (trx) => {
        const ctx: JobContext = { trx, emit: (e) => events.push(e) };
        const out: unknown[] = [];
        for (const p of batch) out.push(await p.job(ctx));
        if (this.beforeCommit && events.length > 0) await this.beforeCommit(trx, events);
        return out;
      });
      this.stats.batches++;
      this.stats.jobs += batch.length;
      for (const e of events) this.hub.emit(e);
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      this.stats.fallbacks++;
      for (const p of batch) await this.commit([p]);
    }
  }
}
