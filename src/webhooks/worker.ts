/**
 * The delivery worker: claims due outbox rows (only the oldest pending row of each subject, so
 * one message's webhooks arrive in order), POSTs each signed, and records the outcome. A 2xx is
 * delivered; anything else (non-2xx, timeout, refused connection) is retried with capped,
 * jittered backoff until max_age after the change, then the row is dead. Nothing is sent
 * without a row, and a row leaves "pending" only with a recorded answer or its deadline.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { backoffDelay } from '../core/backoff.ts';
import type { EventHub } from '../store/events.ts';
import type { Database, WebhookDelivery } from '../store/schema.ts';
import { ClaimPump } from '../store/pump.ts';
import { claimDeliveries, markDeliveredMany, markFailed, nextDeliveryDueAt } from '../store/webhooks.ts';
import type { WebhookSettings } from './cache.ts';
import { renderBody, type WebhookFormats } from './format.ts';
import { mayHaveQueued } from './outbox.ts';
import type { Config } from '../config.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export interface WebhookWorkerDeps {
  db: Kysely<Database>;
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
  /** 2xx answers waiting to be recorded together (see recordDelivered). */
  private delivered: Array<{ row: WebhookDelivery; done: (recorded: boolean) => void; fail: (err: unknown) => void }> = [];
  // Keep-alive connections to receivers: a new TCP (and TLS) handshake per delivery cost more than the POST.
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(private readonly d: WebhookWorkerDeps) {
    const agent = { keepAlive: true, maxSockets: d.options.concurrency };
    this.agents = { http: new HttpAgent(agent), https: new HttpsAgent(agent) };
    this.pump = new ClaimPump({
      concurrency: d.options.concurrency,
      claim: (limit) => claimDeliveries(d.db, { limit, now: d.now(), leaseMs: this.leaseMs }),
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
      // Committed changes that the account's webhook filter wants (or of settings not yet known) may have queued a row.
      if ('accountId' in e && mayHaveQueued(e, this.d.settings.peek(e.accountId))) this.wake();
    });
    this.tick();
  }

  async stop(): Promise<void> {
    this.offHub?.();
    clearTimeout(this.timer);
    this.shutdown.abort();
    await this.pump.stop();
    this.agents.http.destroy();
    this.agents.https.destroy();
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
      if (await this.recordDelivered(row)) this.stats.delivered++;
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

  /**
   * Records a 2xx. The answers of one event-loop turn share one UPDATE (markDeliveredMany): the
   * row stays leased until then, so a crash before it only repeats the POST, as before. Resolves
   * false when the claim was lost meanwhile.
   */
  private recordDelivered(row: WebhookDelivery): Promise<boolean> {
    return new Promise((done, fail) => {
      if (this.delivered.push({ row, done, fail }) > 1) return;
      setImmediate(() => {
        const batch = this.delivered;
        this.delivered = [];
        markDeliveredMany(this.d.db, batch.map((b) => b.row), this.d.now()).then(
          (ids) => batch.forEach((b) => b.done(ids.has(b.row.id))),
          (err) => batch.forEach((b) => b.fail(err)),
        );
      });
    });
  }

  /**
   * POSTs one delivery with node:http on a keep-alive agent (fetch cost several times the CPU per
   * request: a Request, an AbortSignal.any and a web stream each). Redirects are not followed: a
   * redirect is not an acceptance, and following it would POST signed data to another place.
   */
  private post(row: WebhookDelivery, secret: string): Promise<Outcome> {
    const body = renderBody(this.d.formats, row.format, row.id, row.payload);
    const t = Math.floor(this.d.now() / 1000);
    const timeoutMs = this.d.options.timeout_ms;
    let url: URL;
    try {
      url = new URL(row.url);
    } catch {
      return Promise.resolve({ ok: false, error: 'request failed: invalid URL' });
    }
    const https = url.protocol === 'https:';
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: https ? this.agents.https : this.agents.http,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'otpgate-webhooks/1',
            [SIGNATURE_HEADER]: signatureHeader(secret, body, t),
            'X-Otpgate-Event': row.event,
            'X-Otpgate-Delivery': String(row.id),
          },
          signal: this.shutdown.signal,
        },
        (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          // The answer's body is not ours to read; it is drained so the connection can be reused.
          res.resume();
          res.once('end', () => finish(status >= 200 && status < 300 ? { ok: true } : { ok: false, error: `HTTP ${status} from the receiver` }));
          res.once('close', () => finish(res.complete ? (status >= 200 && status < 300 ? { ok: true } : { ok: false, error: `HTTP ${status} from the receiver` }) : { ok: false, error: 'request failed: the connection closed mid-answer' }));
          res.once('error', (err) => finish({ ok: false, error: `request failed: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
        },
      );
      const timer = setTimeout(() => {
        finish({ ok: false, error: `no answer within ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') finish({ ok: false, error: 'interrupted by shutdown' });
        else finish({ ok: false, error: `request failed: ${err.code ?? err.message}` });
      });
      req.end(body);
    });
  }
}
