/**
 * Group commit. Writes that arrive while a transaction is running (or within one event-loop
 * turn) share the next transaction, up to `max` jobs, and each caller's promise resolves after
 * that commit. Durability then costs one commit per batch, not per request.
 *
 * `lanes` batches run at once, each in its own transaction on its own connection: SQLite has
 * one writer, so one lane; PostgreSQL takes concurrent writers, and one lane would make every
 * statement of an instance wait for the round trip of the one before (writeStrategy below).
 *
 * A job must be safe to run twice: if any job in a batch throws, the batch rolls back and every
 * job is re-run alone, so one bad request never fails its neighbours. A job that meets a write
 * conflict another instance or lane caused (unique violation of a racing insert, deadlock,
 * serialization failure) is re-run alone, up to 3 times: on its second run it reads the
 * winner's row (an Idempotency-Key race then answers a replay, not a 500). Jobs that refuse
 * (low balance, cooldown) return a value instead of throwing, so the common refusals stay
 * batched. Events a job emits are delivered only after its transaction commits. An optional
 * `beforeCommit` hook sees a batch's events inside the same transaction, after its jobs ran (the
 * webhook outbox writes its rows there, so a status change and its webhook commit together); if
 * the hook throws, the batch rolls back like a failed job.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DialectName } from './dialect.ts';
import type { Database } from './schema.ts';
import type { EventHub, StoreEvent } from './events.ts';

export interface JobContext {
  trx: Transaction<Database>;
  emit(event: StoreEvent): void;
  /** For the few statements that differ (store/ only). */
  dialect: DialectName;
}

export type Job<T> = (ctx: JobContext) => Promise<T>;

export type BeforeCommit = (trx: Transaction<Database>, events: readonly StoreEvent[]) => Promise<void>;

interface Pending {
  job: Job<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/**
 * How an instance writes, per dialect: `lanes` concurrent transactions of up to `max` jobs.
 * Measured with bench:accept (POST /v1/verifications, -c 50, dispatcher on) against one local
 * PostgreSQL 15 on this 2-core machine; see the README's figures and the commit that set this.
 */
export function writeStrategy(dialect: DialectName, max: number): { lanes: number; max: number } {
  if (dialect === 'sqlite') return { lanes: 1, max };
  return { lanes: PG_LANES, max: Math.min(max, PG_MAX) };
}
const PG_LANES = Number(process.env.OTPGATE_PG_LANES ?? 4);
const PG_MAX = Number(process.env.OTPGATE_PG_BATCH ?? 64);

/** Errors of a write that lost a race and may succeed when run again (PostgreSQL SQLSTATEs). */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === '40001' || code === '40P01';
}

export class GroupWriter {
  private queue: Pending[] = [];
  private active = 0;
  private scheduled = false;
  /** Batches committed and jobs run, for the bench and metrics. */
  readonly stats = { batches: 0, jobs: 0, fallbacks: 0, conflicts: 0 };
  /** Runs in each batch's transaction after its jobs, with the events they emitted (when there are any). */
  beforeCommit?: BeforeCommit;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hub: EventHub,
    private readonly max = 512,
    private readonly lanes = 1,
    private readonly dialect: DialectName = 'sqlite',
  ) {}

  run<T>(job: Job<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      if (this.active < this.lanes && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.start());
      }
    });
  }

  /** Resolves once everything queued so far has committed (shutdown). */
  async flush(): Promise<void> {
    while (this.active > 0 || this.scheduled || this.queue.length > 0) await new Promise((r) => setImmediate(r));
  }

  private start(): void {
    this.scheduled = false;
    while (this.active < this.lanes && this.queue.length > 0) void this.lane();
  }

  private async lane(): Promise<void> {
    this.active++;
    try {
      while (this.queue.length > 0) {
        // Share what is queued among the lanes that are free now, up to max each.
        const share = Math.ceil(this.queue.length / (this.lanes - this.active + 1));
        await this.commit(this.queue.splice(0, Math.min(this.max, share)));
      }
    } finally {
      this.active--;
    }
  }

  private async commit(batch: Pending[], tries = 1): Promise<void> {
    const events: StoreEvent[] = [];
    try {
      const results = await this.db.transaction().execute(async (trx) => {
        const ctx: JobContext = { trx, emit: (e) => events.push(e), dialect: this.dialect };
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
      if (batch.length === 1) {
        if (!isConflict(err) || tries >= 3) return batch[0].reject(err);
        this.stats.conflicts++;
        return this.commit(batch, tries + 1);
      }
      this.stats.fallbacks++;
      for (const p of batch) await this.commit([p]);
    }
  }
}
