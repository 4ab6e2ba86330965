/**
 * Cluster leases: a row per slot of something the deployment as a whole may hold only so many
 * of (SMPP binds per system_id). An instance holds a slot until `expires_at` and renews it while
 * it uses it; a dead instance's slot is free once its lease runs out. Each operation is one
 * statement, the same on both dialects (INSERT … ON CONFLICT … DO UPDATE … WHERE).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

/** Takes `name` for `holder` until now + ttlMs when it is free, expired or already this holder's. */
export async function acquireLease(db: Db, name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
  const row = await db
    .insertInto('cluster_leases')
    .values({ name, holder, expires_at: now + ttlMs, acquired_at: now })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: now + ttlMs, acquired_at: now })
        .where((eb) => eb.or([eb('cluster_leases.expires_at', '<=', now), eb('cluster_leases.holder', '=', holder)])),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Extends a lease this holder still has; false when it lapsed and another took it (stop using it now). */
export async function renewLease(db: Db, name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
  const r = await db
    .updateTable('cluster_leases')
    .set({ expires_at: now + ttlMs })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives up this holder's leases among `names` at once (clean shutdown: peers need not wait out the lease). */
export async function releaseLeases(db: Db, names: readonly string[], holder: string): Promise<void> {
  if (names.length === 0) return;
  await db.deleteFrom('cluster_leases').where('name', 'in', names).where('holder', '=', holder).execute();
}

/** The current holders of the slots named `prefix…` (admin status, tests). */
export function leasesLike(db: Db, prefix: string) {
  return db.selectFrom('cluster_leases').selectAll().where('name', 'like', `${prefix}%`).orderBy('name').execute();
}

export interface SlotPoolOptions {
  db: Db;
  /** Slot names are `${prefix}${i}` for i in 1..total. */
  prefix: string;
  total: number;
  holder: string;
  /** A lease's length; renewed every ttlMs / 3. */
  ttlMs: number;
  now: () => number;
  /** This instance now holds slot i: use it (open the bind). */
  onAcquire(slot: number): void;
  /** Slot i is no longer this instance's (lapsed, or stopping): stop using it at once. */
  onLose(slot: number): void;
  onError(err: unknown): void;
}

/**
 * Keeps this instance's share of `total` slots. Each instance also leases a member row
 * (`member:${prefix}${holder}`), so the live instances are counted: an instance takes free slots
 * up to its share, ceil(total / live instances), at once; a dead peer's member row and slots
 * lapse together, so the survivors' shares grow and they take its slots over. An instance over
 * its share (it started first and took them all) closes the excess bind and lets that lease
 * lapse, so peers joining later get a bind each rather than idling. A slot is
 * dropped locally when its lease could have lapsed (no successful renewal within the lease),
 * even if the database is unreachable, so the deployment never holds more than `total` at once.
 */
export class SlotPool {
  private held = new Map<number, number>(); // slot → local expiry (epoch ms)
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;

  constructor(private readonly o: SlotPoolOptions) {}

  get slots(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops every slot and releases the leases (peers take them over without waiting). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const names = [...this.slots.map((i) => this.name(i)), this.member];
    for (const i of this.slots) this.lose(i);
    await releaseLeases(this.o.db, names, this.o.holder).catch((err) => this.o.onError(err));
  }

  private name(i: number): string {
    return `${this.o.prefix}${i}`;
  }

  private get member(): string {
    return `member:${this.o.prefix}${this.o.holder}`;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule(Math.max(250, Math.floor(this.o.ttlMs / 3))));
    }, ms);
    this.timer.unref();
  }

  private lose(i: number): void {
    if (this.held.delete(i)) this.o.onLose(i);
  }

  private async tick(): Promise<void> {
    const { db, holder, ttlMs } = this.o;
    for (const [i, expiry] of [...this.held]) {
      const now = this.o.now();
      if (now >= expiry - ttlMs / 6) {
        this.lose(i); // could have lapsed: another instance may own it by now
        continue;
      }
      try {
        if (await renewLease(db, this.name(i), holder, ttlMs, now)) this.held.set(i, now + ttlMs);
        else this.lose(i);
      } catch (err) {
        this.o.onError(err);
      }
    }
    try {
      const now = this.o.now();
      await acquireLease(db, this.member, holder, ttlMs, now);
      const live = await db
        .selectFrom('cluster_leases')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('name', 'like', `member:${this.o.prefix}%`)
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      const share = Math.ceil(this.o.total / Math.max(1, Number(live.n)));
      // Over our share: we took every slot while alone (first started) and peers joined since.
      // Hand the excess over, or one instance keeps two binds while another idles and a kill of
      // it loses both. The bind closes now (unbind; the answers in flight come first); the lease
      // is not released but left to lapse, so a peer binds only after our session is gone and the
      // deployment never holds more than `total` at once. The highest slots go: the same ones on
      // every tick, so a share never flaps.
      for (const i of this.slots.reverse()) if (this.held.size > share) this.lose(i);
      for (let i = 1; i <= this.o.total && this.held.size < share && !this.stopped; i++) {
        if (this.held.has(i)) continue;
        if (await acquireLease(db, this.name(i), holder, ttlMs, now)) {
          this.held.set(i, now + ttlMs);
          this.o.onAcquire(i);
        }
      }
    } catch (err) {
      this.o.onError(err);
    }
  }
}
