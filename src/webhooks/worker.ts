/**
 * The delivery worker: claims due outbox rows (only the oldest pending row of each subject, so
 * one message's webhooks arrive in order), POSTs each signed, and records the outcome. A 2xx is
 * delivered; anything else (non-2xx, timeout, refused connection) is retried with capped,
 * jittered backoff until max_age after the change, then the row is dead. Nothing is sent
 * without a row, and a row leaves "pending" only with a recorded answer or its deadline.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { backoffDelay } from '../core/backoff.ts';
import type { DialectName } from '../store/dialect.ts';
import type { EventHub } from '../store/events.ts';
import type { Database, WebhookDelivery } from '../store/schema.ts';
import { ClaimPump } from '../store/pump.ts';
import { claimDeliveries, markDelivered, markFailed, nextDeliveryDueAt } from '../store/webhooks.ts';
import type { WebhookSettings } from './cache.ts';
import { renderBody, type WebhookFormats } from './format.ts';
import type { Config } from '../config.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export interface WebhookWorkerDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  hub: EventHub;
  settings: WebhookSettings;
  options: Config['webhooks'];
  log: Logger;
  now: () => number;
  formats: WebhookFormats;
}

type Outcome = { ok: true } | { ok: false; error: string };

export class WebhookWorker {
  private readonly pump: ClaimPump<WebhookDelivery>;
  private timer?: NodeJS.Timeout;
  private offHub?: () => void;
  /** Aborts deliveries in flight at shutdown; their rows stay leased and are retried later. */
  private shutdown = new AbortController();
  readonly stats = { attempts: 0, delivered: 0, retried: 0, dead: 0 };

  constructor(private readonly d: WebhookWorkerDeps) {
    this.pump = new ClaimPump({
      concurrency: d.options.concurrency,
      claim: (limit) => claimDeliveries(d.db, d.dialect, { limit, now: d.now(), leaseMs: this.leaseMs }),
      process: (row) => this.process(row),
      onRowError: (err, row) => d.log.error({ err, delivery: row.id }, 'recording a webhook delivery failed; its lease will retry it'),
      onClaimError: (err) => d.log.error({ err }, 'claiming due webhooks failed'),
    });
  }

  get running(): boolean {
    return this.pump.running;
  }

  /** Lease of a claimed row: past the receiver's timeout with room to record the answer. */
  private get leaseMs(): number {
    return 2 * this.d.options.timeout_ms + 5_000;
  }

  start(): void {
    if (this.running) return;
    this.pump.start();
    this.shutdown = new AbortController();
    this.offHub = this.d.hub.on((e) => {
      // Committed changes of accounts with a webhook (or not yet known) may have queued a row.
      if ((e.type === 'message.status' || e.type === 'message.created' || e.type === 'verification.status') && this.d.settings.peek(e.accountId) !== null)
        this.wake();
    });
    this.tick();
  }

  async stop(): Promise<void> {
    this.offHub?.();
    clearTimeout(this.timer);
    this.shutdown.abort();
    await this.pump.stop();
  }

  /** Something may be due: claim now rather than at the next poll. */
  wake(): void {
    this.pump.wake();
  }

  /** Resolves when nothing is being claimed or delivered (tests and graceful drain). */
  idleNow(): Promise<void> {
    return this.pump.drained();
  }

  /** When a delivery can next be claimed (tests: has everything due been tried?). */
  nextDue(): Promise<number | undefined> {
    return nextDeliveryDueAt(this.d.db);
  }

  private tick(): void {
    if (!this.running) return;
    this.wake();
    this.timer = setTimeout(() => this.tick(), this.d.options.poll_ms).unref();
  }

  private async process(row: WebhookDelivery): Promise<void> {
    this.stats.attempts++;
    const hook = await this.d.settings.get(this.d.db, row.account_id);
    // Removed meanwhile (DELETE already buries pending rows; this covers another instance's cache).
    const outcome: Outcome = hook ? await this.post(row, hook.secret) : { ok: false, error: 'webhook removed' };
    if (this.shutdown.signal.aborted) return; // interrupted by shutdown: the lease retries it
    const now = this.d.now();
    if (outcome.ok) {
      if (await markDelivered(this.d.db, row, now)) this.stats.delivered++;
      return;
    }
    const deadline = row.created_at + this.d.options.max_age_ms;
    let retryAt: number | undefined;
    if (hook && now < deadline) {
      const delay = backoffDelay(row.attempts, {
        baseMs: this.d.options.backoff_base_ms,
        maxMs: this.d.options.backoff_max_ms,
        factor: 2,
        jitter: 0.5,
      });
      // The last try falls on the deadline itself rather than past it.
      retryAt = Math.min(now + delay, deadline);
    }
    if (!(await markFailed(this.d.db, row, outcome.error, retryAt, now))) return;
    if (retryAt === undefined) {
      this.stats.dead++;
      this.d.log.warn({ delivery: row.id, account_id: row.account_id, attempts: row.attempts, error: outcome.error }, 'webhook given up: no 2xx before its deadline');
    } else {
      this.stats.retried++;
      this.d.log.info({ delivery: row.id, attempts: row.attempts, retry_in_ms: retryAt - now, error: outcome.error }, 'webhook not accepted; will retry');
    }
  }

  private async post(row: WebhookDelivery, secret: string): Promise<Outcome> {
    const body = renderBody(this.d.formats, row.format, row.id, row.payload);
    const t = Math.floor(this.d.now() / 1000);
    const timeoutMs = this.d.options.timeout_ms;
    // Our own timer, not AbortSignal.timeout() inside AbortSignal.any(): on Node 20 the composite
    // holds its timeout source weakly, so a GC before the deadline collects it and the request
    // then waits for undici's own 300 s headers timeout (nodejs/node#57736; seen under load).
    // The timer's closure keeps this controller alive until it fires or is cleared.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    try {
      const res = await fetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'otpgate-webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, body, t),
          'X-Otpgate-Event': row.event,
          'X-Otpgate-Delivery': String(row.id),
        },
        body,
        // A redirect is not an acceptance: following it would POST signed data to another place.
        redirect: 'manual',
        signal: AbortSignal.any([deadline.signal, this.shutdown.signal]),
      });
      // The answer's body is not ours to read; drop it so the connection is freed.
      await res.body?.cancel().catch(() => {});
      return res.status >= 200 && res.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${res.status} from the receiver` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') return { ok: false, error: `no answer within ${timeoutMs} ms` };
      if (e.name === 'AbortError') return { ok: false, error: 'interrupted by shutdown' };
      return { ok: false, error: `request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}` };
    } finally {
      clearTimeout(timer);
    }
  }
}
