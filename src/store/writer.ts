/**
 * Group commit. Writes that arrive while a transaction is running (or within one event-loop
 * turn) share the next transaction, up to `max` jobs, and each caller's promise resolves after
 * that commit. Durability then costs one commit per batch, not per request.
 *
 * `lanes` batches may run at once, each in its own transaction on its own connection (SQLite:
 * one; PostgreSQL: measured, see writeStrategy below).
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
 * SQLite has one writer: one lane. On PostgreSQL, measured (POST /v1/verifications, -c 50, 8 s,
 * dispatcher and dev inbox on, one instance pinned to one core, local PostgreSQL 15, this 2-core
 * machine shared by other jobs at load ~9; bench/servers.ts startOtpgate with OTPGATE_PG_LANES /
 * OTPGATE_PG_BATCH set):
 *
 *   lanes 1 × batch 512 (group commit)   88 req/s  p50  513 ms  p99  833 ms
 *   lanes 4 × batch 64                   51 req/s  p50  856 ms  p99 2403 ms
 *   lanes 4 × batch 16                   44 req/s  p50  905 ms  p99 1934 ms
 *   lanes 8 × batch 16                   31 req/s  p50 1074 ms  p99 3467 ms
 *   lanes 8 × batch 1 (a transaction per request from the pool)   27 req/s  p50 1853 ms
 *
 * Group commit wins: every send debits its account's balance row, so concurrent transactions
 * queue on that row lock (and hold it across their other statements and their commit), while
 * one batch takes it once per commit. The absolute rates are the loaded machine's; the order
 * held. OTPGATE_PG_LANES / OTPGATE_PG_BATCH override it for such measurements.
 */
export function writeStrategy(dialect: DialectName, max: number, env: NodeJS.ProcessEnv = process.env): { lanes: number; max: number } {
  if (dialect === 'sqlite') return { lanes: 1, max };
  return { lanes: Number(env.OTPGATE_PG_LANES ?? 1), max: Math.min(max, Number(env.OTPGATE_PG_BATCH ?? max)) };
}

/** Errors of a write that lost a race and may succeed when run again (PostgreSQL SQLSTATEs). */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === '40001' || code === '40P01';
}

/**
 * SQLite's statements run synchronously (better-sqlite3), and so does a whole batch: the event
 * loop takes no request, answer or socket read until it commits. A batch there stops taking jobs
 * once it has run SQLITE_SLICE_MS (the rest go first into the next batch) and the lane yields to
 * the event loop between batches, so a request waits for at most about one slice. Measured
 * (bench:accept's half-rate run, dispatcher on, 1,230 sends/s): unbounded batches of up to 115
 * jobs held the loop 12–20 ms (event-loop delay p99 about 20 ms); a commit costs little in WAL
 * with synchronous = NORMAL (no fsync), so smaller batches cost little throughput.
 */
export const SQLITE_SLICE_MS = 4;

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
    /**
     * Time budget of one batch (SQLite only by default; PostgreSQL's batches wait on the network,
     * not the loop). `null` = no slice: a batch takes everything queued, up to max. (Not
     * `undefined`: an explicit undefined takes the default, so on SQLite it meant a 4 ms slice.)
     */
    private readonly sliceMs: number | null = dialect === 'sqlite' ? SQLITE_SLICE_MS : null,
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
        const batch = this.queue.splice(0, Math.min(this.max, share));
        const settled = await this.commit(batch);
        // Jobs the slice had no time for go first into the next batch, in their order.
        if (settled < batch.length) this.queue.unshift(...batch.slice(settled));
        if (this.sliceMs !== null) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.active--;
    }
  }

  /**
   * Runs jobs of `batch` in one transaction, in order, and commits; with a slice (SQLite) it stops
   * taking jobs once sliceMs have passed (at least one job runs). Returns how many jobs were
   * settled (resolved or rejected): the first `n` of `batch`.
   */
  private async commit(batch: Pending[], tries = 1): Promise<number> {
    const events: StoreEvent[] = [];
    const started = performance.now();
    try {
      const results = await this.db.transaction().execute(async (trx) => {
        const ctx: JobContext = { trx, emit: (e) => events.push(e), dialect: this.dialect };
        const out: unknown[] = [];
        for (const p of batch) {
          if (out.length > 0 && this.sliceMs !== null && performance.now() - started >= this.sliceMs) break;
          out.push(await p.job(ctx));
        }
        if (this.beforeCommit && events.length > 0) await this.beforeCommit(trx, events);
        return out;
      });
      this.stats.batches++;
      this.stats.jobs += results.length;
      for (const e of events) this.hub.emit(e);
      results.forEach((r, i) => batch[i].resolve(r));
      return results.length;
    } catch (err) {
      if (batch.length === 1) {
        if (!isConflict(err) || tries >= 3) {
          batch[0].reject(err);
          return 1;
        }
        this.stats.conflicts++;
        return this.commit(batch, tries + 1);
      }
      this.stats.fallbacks++;
      for (const p of batch) await this.commit([p]);
      return batch.length;
    }
  }
}
