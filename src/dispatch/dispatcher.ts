/**
 * The outbox worker: claims due message rows, fills in the code, picks providers (router.ts),
 * fails over between them (the rule is in failover.ts), and records the outcome with a guarded
 * status change. Rows stay in the outbox until a carrier accepted them, so a crash at any point
 * means a retry, never a loss.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { backoffDelay } from '../core/backoff.ts';
import { openCode } from '../core/code.ts';
import type { Config } from '../config.ts';
import { type AcceptedPart, type OutboundMessage, type Provider, type ProviderContext, ProviderError, type Receipt } from '../providers/types.ts';
import type { DialectName } from '../store/dialect.ts';
import type { EventHub } from '../store/events.ts';
import { ClaimPump } from '../store/pump.ts';
import { claimDue, messageMeta, nextDueAt, releaseOrphanedSends, transition } from '../store/messages.ts';
import { applyParked, applyReceipt, dropStaleParked, parkedReceipts, recordPart } from '../store/receipts.ts';
import type { Database, Message } from '../store/schema.ts';
import { expireDue, verificationsOfMessages } from '../store/verifications.ts';
import type { GroupWriter } from '../store/writer.ts';
import { unmaskCode } from '../verify/codemask.ts';
import { type AutoVoiceDeps, placeDueVoiceCalls } from './autovoice.ts';
import type { CircuitBreakers } from './breaker.ts';
import { describeFault, verdictOf } from './failover.ts';
import type { Router } from './router.ts';

export interface DispatcherDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  writer: GroupWriter;
  hub: EventHub;
  config: Config['dispatch'];
  router: Router;
  breakers: CircuitBreakers;
  providers: ReadonlyMap<string, Provider>;
  sealKey: Buffer;
  log: Logger;
  now: () => number;
  /** Scale-out: cluster-wide slots for providers (SMPP binds); absent when alone. */
  leaseSlots?: ProviderContext['leaseSlots'];
  /** channel "auto": the voice fallback, swept with the housekeeping. */
  autoVoice?: Pick<AutoVoiceDeps, 'afterMs' | 'place'>;
}

export class Dispatcher {
  readonly workerId = randomUUID();
  private readonly pump: ClaimPump<{ m: Message; code: string | undefined }>;
  private timer?: NodeJS.Timeout;
  private offHub?: () => void;
  readonly stats = { claimed: 0, sent: 0, retried: 0, failed: 0, expired: 0, receipts: 0 };

  constructor(private readonly d: DispatcherDeps) {
    this.pump = new ClaimPump({
      concurrency: d.config.concurrency,
      batch: d.config.batch,
      claim: (limit) => this.claim(limit),
      process: ({ m, code }) => this.process(m, code),
      onRowError: (err, { m }) => d.log.error({ err, message_id: m.id }, 'dispatch failed; the lease will retry it'),
      onClaimError: (err) => d.log.error({ err }, 'claiming due messages failed'),
    });
  }

  get running(): boolean {
    return this.pump.running;
  }

  async start(): Promise<void> {
    const ctx = { onReceipt: (r: Receipt) => this.receipt(r), log: this.d.log, leaseSlots: this.d.leaseSlots };
    for (const p of this.d.providers.values()) await p.start?.({ ...ctx, log: this.d.log.child({ provider: p.name }) });
    // One process owns an SQLite file, so whatever it left "sending" when it died is ours to retry now.
    if (this.d.dialect === 'sqlite') {
      const n = await releaseOrphanedSends(this.d.db, this.d.now());
      if (n > 0) this.d.log.warn({ count: n }, 'retrying messages left in flight by a previous run');
    }
    this.pump.start();
    this.offHub = this.d.hub.on((e) => {
      if (e.type === 'message.created') this.wake();
    });
    this.tick();
  }

  async stop(): Promise<void> {
    this.offHub?.();
    clearTimeout(this.timer);
    await this.pump.stop();
    for (const p of this.d.providers.values()) await p.stop?.();
    await this.d.writer.flush();
  }

  /** New work was committed: claim it now rather than at the next poll. */
  wake(): void {
    this.pump.wake();
  }

  private tick(): void {
    if (!this.running) return;
    void this.maintain().finally(() => {
      this.wake();
      if (this.running) this.timer = setTimeout(() => this.tick(), this.d.config.poll_ms).unref();
    });
  }

  /** Periodic housekeeping: parked receipts another instance may now match, expiring verifications, auto voice calls. */
  private async maintain(): Promise<void> {
    try {
      const now = this.d.now();
      for (const p of await parkedReceipts(this.d.db, 100))
        await this.d.writer.run((ctx) => applyParked(ctx, p.provider, p.provider_message_id, now));
      await dropStaleParked(this.d.db, now - 3_600_000);
      // Through the writer: the events reach the hub after commit and the webhook outbox within it.
      await this.d.writer.run((ctx) => expireDue(ctx, now));
      if (this.d.autoVoice) await placeDueVoiceCalls({ ...this.d.autoVoice, db: this.d.db, log: this.d.log }, now);
    } catch (err) {
      this.d.log.error({ err }, 'dispatcher housekeeping failed');
    }
  }

  /** Due rows leased to this worker as "sending" (announced like every status change), with their codes. */
  private async claim(limit: number): Promise<Array<{ m: Message; code: string | undefined }>> {
    // No carrier capacity here (scale-out: the bind slots are other instances'): leave the rows to them.
    if (![...this.d.providers.values()].some((p) => p.canSend?.() ?? true)) return [];
    const now = this.d.now();
    const rows = await this.d.writer.run(async ({ trx, emit }) => {
      const claimed = await claimDue(trx, this.d.dialect, { limit, workerId: this.workerId, leaseMs: this.d.config.lease_ms, now });
      for (const m of claimed)
        emit({ type: 'message.status', messageId: m.id, accountId: m.account_id, verificationId: m.verification_id, status: 'sending', at: now });
      return claimed;
    });
    this.stats.claimed += rows.length;
    const codes = await this.codesFor(rows);
    const out: Array<{ m: Message; code: string | undefined }> = [];
    for (const m of rows) {
      const code = codes.get(m.verification_id ?? '');
      // A code this instance cannot open (another secret sealed it) is never sent masked: the row fails alone.
      if (code === null) await this.fail(m, new ProviderError('code_unreadable', 'the sealed code does not open with this instance\'s server secret; every instance must share OTPGATE_SECRET', false));
      else out.push({ m, code });
    }
    return out;
  }

  /** Codes by verification id; null where the sealed code does not open. */
  private async codesFor(rows: Message[]): Promise<Map<string, string | null>> {
    const vs = await verificationsOfMessages(this.d.db, rows);
    return new Map(
      [...vs.values()].map((v) => {
        try {
          return [v.id, openCode(this.d.sealKey, v.code_sealed)];
        } catch {
          return [v.id, null];
        }
      }),
    );
  }

  private async process(m: Message, code: string | undefined): Promise<void> {
    const now = this.d.now();
    if (now >= m.deadline_at) {
      await this.d.writer.run((ctx) =>
        transition(ctx, m, { to: 'expired', now, lockedBy: this.workerId, detail: 'delivery deadline passed', set: { final_at: now, error_code: m.error_code ?? 'deadline' } }),
      );
      this.stats.expired++;
      return;
    }
    const candidates = this.d.router.candidates(m.to_number, m.channel as 'sms' | 'voice');
    if (candidates.length === 0) return this.fail(m, new ProviderError('no_route', `no route for ${m.channel} to ${m.to_number}; add a route to the config`, false));
    const out = this.outbound(m, code);
    // Who refused, in order: the event history then says which provider and which try sent it.
    const faults: string[] = [];
    let transient: ProviderError | undefined;
    let refusal: { err: ProviderError; provider: string } | undefined;
    for (const provider of candidates) {
      try {
        const detail = `attempt ${m.attempts}` + (faults.length ? `, provider ${faults.length + 1} after ${faults.join('; ')}` : '');
        // Each part's answer is recorded as it arrives (the carrier's promise), not after send()
        // resolves: a crash then re-sends only what had no answer (bounded by the SMPP window).
        const recorded = new Map<number, Promise<void>>();
        const record = (part: AcceptedPart) => {
          const write = this.d.writer.run((ctx) => recordPart(ctx, m, provider.name, part, { now: this.d.now(), lockedBy: this.workerId, detail }));
          recorded.set(part.index, write);
          return write;
        };
        const res = await provider.send(out, { accepted: record });
        this.d.breakers.record(provider.name, true);
        // Providers that report no parts (HTTP: one answer) are recorded here. A part the provider
        // already reported (SMPP, as each submit_sm_resp arrives) is not written again: recording
        // it twice was a no-op that still cost 5 statements a message (insert, parts read, guarded
        // update, parked-receipt read); its first write is awaited instead, and redone if it failed.
        const keys = res.parts ?? [res.providerMessageId];
        await Promise.all(
          keys.map((key, index) => {
            const again = () => record({ index, total: keys.length, key, providerMessageId: index === 0 ? res.providerMessageId : key });
            const earlier = recorded.get(index);
            return earlier ? earlier.catch(again) : again();
          }),
        );
        this.stats.sent++;
        return;
      } catch (err) {
        const pe = asProviderError(err);
        const verdict = verdictOf(pe);
        this.d.breakers.record(provider.name, !verdict.carrierFault);
        this.d.log.warn({ message_id: m.id, provider: provider.name, code: pe.code, provider_code: pe.providerCode }, pe.message);
        if (!verdict.failover) return this.fail(m, pe, provider.name);
        faults.push(describeFault(provider.name, pe));
        if (pe.retryable) transient ??= pe;
        else refusal ??= { err: pe, provider: provider.name };
      }
    }
    const tried = faults.length > 1 ? ` (${faults.join('; ')})` : '';
    if (transient) return this.retry(m, transient, tried);
    await this.fail(m, refusal!.err, refusal!.provider, tried);
  }

  private outbound(m: Message, code: string | undefined): OutboundMessage {
    const meta = messageMeta(m);
    return {
      id: m.id,
      to: m.to_number,
      from: m.from_number ?? undefined,
      channel: m.channel as 'sms' | 'voice',
      text: code === undefined ? m.body : unmaskCode(m.body, code),
      code,
      encoding: m.encoding as 'gsm7' | 'ucs2',
      segments: m.segments,
      locale: m.locale,
      attempt: m.attempts,
      voice: meta.voice,
      ...(m.channel === 'voice' ? { dial: meta.dials ?? 1 } : {}),
    };
  }

  private async retry(m: Message, err: ProviderError, tried = ''): Promise<void> {
    const now = this.d.now();
    const delay = backoffDelay(m.attempts, { baseMs: this.d.config.backoff_base_ms, maxMs: this.d.config.backoff_max_ms, factor: 2, jitter: 0.5 });
    await this.d.writer.run((ctx) =>
      transition(ctx, m, {
        to: 'queued',
        now,
        lockedBy: this.workerId,
        detail: `retry in ${delay} ms: ${err.code}${tried}`,
        set: { next_attempt_at: now + delay, error_code: err.code, error_message: err.message, locked_by: null },
      }),
    );
    this.stats.retried++;
  }

  private async fail(m: Message, err: ProviderError, provider?: string, tried = ''): Promise<void> {
    const now = this.d.now();
    await this.d.writer.run((ctx) =>
      transition(ctx, m, {
        to: 'failed',
        now,
        lockedBy: this.workerId,
        provider: provider ?? null,
        detail: (err.providerCode ? `${err.code} (${err.providerCode})` : err.code) + tried,
        set: { final_at: now, error_code: err.providerCode ? `${err.code}:${err.providerCode}` : err.code, error_message: err.message, provider: provider ?? m.provider },
      }),
    );
    this.stats.failed++;
  }

  private async receipt(r: Receipt): Promise<void> {
    this.stats.receipts++;
    this.receiptsInFlight++;
    try {
      await this.d.writer.run((ctx) => applyReceipt(ctx, r, this.d.now()));
    } catch (err) {
      this.d.log.error({ err, provider: r.provider, provider_message_id: r.providerMessageId }, 'recording a receipt failed');
    } finally {
      this.receiptsInFlight--;
    }
  }

  /** Receipts handed over by providers and not yet recorded (tests and graceful drain). */
  receiptsInFlight = 0;

  /** For receipts that arrive over HTTP (/hooks/<provider>). */
  recordReceipts(receipts: Receipt[]): Promise<unknown> {
    return Promise.all(receipts.map((r) => this.receipt(r)));
  }

  /** Idle means nothing claimable is due now (tests and graceful drain). */
  async nextDue(): Promise<number | undefined> {
    return nextDueAt(this.d.db);
  }
}

function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  return new ProviderError('provider_exception', (err as Error)?.message ?? String(err), true);
}
