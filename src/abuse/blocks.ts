/**
 * Pumping blocks: rows in the database (listable, liftable, with the figures that caused them)
 * and an in-memory copy of the active ones that the send path reads (re-read every
 * `abuse.cache_ms`, so blocks made or lifted by other instances arrive within it). A new block is
 * an event: its row, a log line, and an `abuse.block` webhook to the account in one transaction.
 */
import type { Logger } from 'pino';
import { newId } from '../core/ids.ts';
import type { PumpingVerdict } from '../core/pumping.ts';
import { accountsBlockedOn, activeBlocks, getBlock, insertBlock, liftBlock } from '../store/abuse.ts';
import type { AbuseBlock } from '../store/schema.ts';
import type { GroupWriter } from '../store/writer.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { abuseEvent } from './events.ts';

export const GLOBAL = '*';

export class BlockBook {
  private active = new Map<string, AbuseBlock>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;
  private creating = new Map<string, Promise<AbuseBlock>>();

  constructor(
    private readonly d: {
      db: Kysely<Database>;
      writer: GroupWriter;
      log: Logger;
      now: () => number;
      cacheMs: number;
      blockMs: number;
      globalAfter: number;
      /** A block that was active and is no more (lifted elsewhere, e.g. by the CLI, or expired). */
      onGone: (b: AbuseBlock) => void;
    },
  ) {}

  /** The block in force for this account (or globally) on the prefix, if any. */
  find(accountId: string, prefix: string): AbuseBlock | undefined {
    const now = this.d.now();
    for (const k of [`${accountId}|${prefix}`, `${GLOBAL}|${prefix}`]) {
      const b = this.active.get(k);
      if (b && b.expires_at > now) return b;
    }
    return undefined;
  }

  /** Re-reads the active blocks when the copy is older than cache_ms (one query, shared by concurrent callers). */
  async refresh(force = false): Promise<void> {
    const now = this.d.now();
    if (!force && Math.abs(now - this.loadedAt) < this.d.cacheMs) return;
    this.loading ??= activeBlocks(this.d.db, now)
      .then((rows) => {
        const next = new Map(rows.map((b) => [`${b.account_id}|${b.prefix}`, b]));
        for (const [k, b] of this.active) if (next.get(k)?.id !== b.id) this.d.onGone(b);
        this.active = next;
        this.loadedAt = now;
      })
      .finally(() => (this.loading = undefined));
    await this.loading;
  }

  /**
   * Blocks a prefix for an account (and for everyone when `globalAfter` accounts are blocked on
   * it), returns the account's block. Idempotent while one is active.
   */
  async block(accountId: string, prefix: string, verdict: PumpingVerdict): Promise<AbuseBlock> {
    const key = `${accountId}|${prefix}`;
    const existing = this.active.get(key) ?? this.creating.get(key);
    if (existing) return existing;
    const p = this.create(accountId, prefix, verdict).finally(() => this.creating.delete(key));
    this.creating.set(key, p);
    return p;
  }

  private async create(accountId: string, prefix: string, verdict: PumpingVerdict): Promise<AbuseBlock> {
    const now = this.d.now();
    const row: AbuseBlock = { id: newId(), account_id: accountId, prefix, reason: verdict.reason, figures: JSON.stringify(verdict.figures), created_at: now, expires_at: now + this.d.blockMs, lifted_at: null, lifted_by: null };
    let global: AbuseBlock | undefined;
    await this.d.writer.run(async ({ trx }) => {
      await insertBlock(trx, row);
      await abuseEvent(trx, accountId, 'abuse.block', { block: present(row) }, now);
      const accounts = await accountsBlockedOn(trx, prefix, now);
      if (accounts >= this.d.globalAfter && !this.active.has(`${GLOBAL}|${prefix}`)) {
        global = { ...row, id: newId(), account_id: GLOBAL, reason: 'accounts', figures: JSON.stringify({ accounts, rule: `>= ${this.d.globalAfter} accounts blocked on this prefix`, first: verdict.figures }) };
        await insertBlock(trx, global);
      }
    });
    // In the copy only once committed: a refresh in between must not see it vanish.
    this.active.set(`${accountId}|${prefix}`, row);
    this.d.log.warn({ block: row.id, account_id: accountId, prefix, reason: row.reason, figures: verdict.figures }, `abuse: blocked +${prefix} for account ${accountId} (${row.reason}) until ${new Date(row.expires_at).toISOString()}`);
    if (global) {
      this.active.set(`${GLOBAL}|${prefix}`, global);
      this.d.log.warn({ block: global.id, prefix }, `abuse: blocked +${prefix} for every account (${this.d.globalAfter}+ accounts blocked on it)`);
    }
    return row;
  }

  /** Lifts a block; the caller resets the prefix's counters. False when it was not active. */
  async lift(id: string, by: string): Promise<AbuseBlock | undefined> {
    const now = this.d.now();
    const ok = await liftBlock(this.d.db, id, by, now);
    if (!ok) return undefined;
    for (const [k, b] of this.active) if (b.id === id) this.active.delete(k);
    const row = (await getBlock(this.d.db, id))!;
    this.d.log.info({ block: id, by }, `abuse: block ${id} on +${row.prefix} lifted by ${by}`);
    return row;
  }
}

/** A block as the admin API, the CLI and the webhook show it. */
export function present(b: AbuseBlock) {
  return {
    id: b.id,
    account_id: b.account_id,
    prefix: `+${b.prefix}`,
    reason: b.reason,
    figures: JSON.parse(b.figures) as Record<string, unknown>,
    created_at: new Date(b.created_at).toISOString(),
    expires_at: new Date(b.expires_at).toISOString(),
    lifted_at: b.lifted_at === null ? null : new Date(b.lifted_at).toISOString(),
    lifted_by: b.lifted_by,
  };
}
