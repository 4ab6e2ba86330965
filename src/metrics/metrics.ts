/**
 * The gateway's Prometheus instruments (prom-client), fed without touching the send path:
 * - the store's EventHub: sends (message.created), receipts by final status and the
 *   accept → delivered latency (message.status, matched to its message.created in memory);
 * - a wrapper around the verify service's send/check (accept latency, refusals by limit,
 *   checks valid/invalid, approvals);
 * - counters read at scrape time from the stats objects the dispatcher and webhook worker keep;
 * - gauges read at scrape time: outbox depth, webhook backlog, SMPP window in use and bind state.
 * Labels are low-cardinality by construction: family, channel, country (ISO region), provider,
 * status, limit (a refusal's stable code), outcome — never a number or an id.
 */
import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isFinalMessageStatus } from '../core/status.ts';
import type { CircuitBreakers } from '../dispatch/breaker.ts';
import type { Provider } from '../providers/types.ts';
import type { EventHub, StoreEvent } from '../store/events.ts';
import { getMessageById } from '../store/messages.ts';
import type { Database } from '../store/schema.ts';
import { VerifyError } from '../verify/errors.ts';
import type { VerifyService } from '../verify/service.ts';
import { countryOf } from './country.ts';

/** Seconds; an OTP accept is milliseconds, a receipt seconds to minutes. */
const ACCEPT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Messages remembered between accept and receipt (a few MB at most). */
const OPEN_MAX = 100_000;
const DELIVERY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

export interface MetricsDeps {
  db: Kysely<Database>;
  hub: EventHub;
  verify: VerifyService;
  providers: ReadonlyMap<string, Provider>;
  breakers: CircuitBreakers;
  /** Running totals kept by the dispatcher and the webhook worker (read, never written). */
  dispatcherStats: Readonly<Record<string, number>>;
  webhookStats: Readonly<{ attempts: number; delivered: number; retried: number; dead: number }>;
  /** Add Node's process metrics (CPU, memory, event loop lag, GC). Off in unit tests that build many gateways. */
  processMetrics?: boolean;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly offHub: () => void;

  private readonly sends: Counter<'family' | 'channel' | 'country'>;
  private readonly receipts: Counter<'status' | 'channel' | 'country' | 'provider'>;
  private readonly checks: Counter<'family' | 'result'>;
  private readonly approvals: Counter<'family' | 'channel'>;
  private readonly refusals: Counter<'family' | 'limit'>;
  private readonly accept: Histogram<'family' | 'channel'>;
  private readonly delivered: Histogram<'channel' | 'provider'>;

  constructor(private readonly d: MetricsDeps) {
    const registers = [this.registry];
    if (d.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'otpgate_' });
    this.sends = new Counter({ name: 'otpgate_sends_total', help: 'Messages accepted into the outbox (codes, resends, voice fallbacks)', labelNames: ['family', 'channel', 'country'], registers });
    this.receipts = new Counter({ name: 'otpgate_receipts_total', help: 'Messages reaching a final status (delivered, undelivered, failed, expired, canceled)', labelNames: ['status', 'channel', 'country', 'provider'], registers });
    this.checks = new Counter({ name: 'otpgate_checks_total', help: 'Code checks by result (valid or invalid)', labelNames: ['family', 'result'], registers });
    this.approvals = new Counter({ name: 'otpgate_approvals_total', help: 'Verifications approved by a valid code', labelNames: ['family', 'channel'], registers });
    this.refusals = new Counter({ name: 'otpgate_refusals_total', help: 'Sends refused by a limit (the refusal code: resend_cooldown, max_sends_reached, insufficient_balance, rate limits, …)', labelNames: ['family', 'limit'], registers });
    this.accept = new Histogram({ name: 'otpgate_accept_seconds', help: 'Time the verify service takes to accept a send (validation to commit)', labelNames: ['family', 'channel'], buckets: ACCEPT_BUCKETS, registers });
    this.delivered = new Histogram({ name: 'otpgate_accept_to_delivered_seconds', help: 'Time from accepting a message to its delivery receipt', labelNames: ['channel', 'provider'], buckets: DELIVERY_BUCKETS, registers });
    this.statsCounter('otpgate_webhook_deliveries_total', 'Webhook delivery attempts by outcome (delivered, retried, dead)', 'outcome', () => ({
      delivered: d.webhookStats.delivered,
      retried: d.webhookStats.retried,
      dead: d.webhookStats.dead,
    }));
    this.statsCounter('otpgate_dispatch_total', 'Dispatcher work by kind (claimed, sent, retried, failed, expired, receipts)', 'kind', () => d.dispatcherStats);
    this.gauges();
    this.offHub = d.hub.on((e) => this.onEvent(e));
    this.wrapVerify(d.verify);
  }

  /** The scrape body and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  close(): void {
    this.offHub();
  }

  /** Refusals counted since this process started, by limit and family (the console's Abuse page). */
  async refusalsByLimit(): Promise<Array<{ limit: string; family: string; count: number }>> {
    const { values } = await this.refusals.get();
    return values.map((v) => ({ limit: String(v.labels.limit), family: String(v.labels.family), count: v.value }));
  }

  /**
   * Accepted messages not yet final: what a receipt needs for its labels and latency, kept from
   * message.created so the common case costs no read. Bounded: past MAX the oldest are dropped and
   * their receipts fall back to one primary-key read (as do messages accepted by another instance).
   */
  private readonly open = new Map<string, { at: number; channel: string; country: string }>();

  private onEvent(e: StoreEvent): void {
    if (e.type === 'message.created') {
      if (!e.to) return;
      const country = countryOf(e.to);
      const channel = e.channel ?? 'unknown';
      this.sends.inc({ family: e.family ?? 'unknown', channel, country });
      if (e.at !== undefined) {
        if (this.open.size >= OPEN_MAX) this.open.delete(this.open.keys().next().value!);
        this.open.set(e.messageId, { at: e.at, channel, country });
      }
      return;
    }
    if (e.type !== 'message.status' || !isFinalMessageStatus(e.status)) return;
    const known = this.open.get(e.messageId);
    // 'undelivered' may still turn 'delivered' (core/status.ts): keep the entry until then.
    if (known && e.status !== 'undelivered') this.open.delete(e.messageId);
    const record = (m: { at: number; channel: string; country: string }, provider: string) => {
      this.receipts.inc({ status: e.status, channel: m.channel, country: m.country, provider });
      if (e.status === 'delivered') this.delivered.observe({ channel: m.channel, provider }, Math.max(0, e.at - m.at) / 1000);
    };
    if (known && e.provider !== undefined) return record(known, e.provider ?? 'none');
    // Off the write path: the event is emitted after commit; a failed read only loses one sample.
    void getMessageById(this.d.db, e.messageId)
      .then((m) => m && record({ at: m.created_at, channel: m.channel, country: countryOf(m.to_number) }, m.provider ?? 'none'))
      .catch(() => {});
  }

  /**
   * Times send() and counts check() outcomes by wrapping the one service instance, so the verify
   * core carries no metrics code. Refusals are the 402/403/429 VerifyErrors: the client must wait
   * or pay, and the code names the limit.
   */
  private wrapVerify(verify: VerifyService): void {
    const send = verify.send.bind(verify);
    const check = verify.check.bind(verify);
    verify.send = async (req) => {
      const t0 = performance.now();
      try {
        const r = await send(req);
        if (!r.replayed) this.accept.observe({ family: req.family, channel: req.channel }, (performance.now() - t0) / 1000);
        return r;
      } catch (err) {
        if (err instanceof VerifyError && [402, 403, 429].includes(err.status)) this.refusals.inc({ family: req.family, limit: limitOf(err) });
        throw err;
      }
    };
    verify.check = async (account, input) => {
      const r = await check(account, input);
      this.checks.inc({ family: r.verification.family, result: r.valid ? 'valid' : 'invalid' });
      if (r.valid) this.approvals.inc({ family: r.verification.family, channel: r.verification.channel });
      return r;
    };
  }

  /** A counter that mirrors a stats object kept elsewhere: each scrape adds what grew since the last. */
  private statsCounter(name: string, help: string, label: string, read: () => Readonly<Record<string, number>>): void {
    const seen = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        for (const [k, v] of Object.entries(read())) {
          const grew = v - (seen.get(k) ?? 0);
          if (grew > 0) this.inc({ [label]: k }, grew);
          seen.set(k, v);
        }
      },
    });
  }

  private gauges(): void {
    const { db, providers, breakers } = this.d;
    const registers = [this.registry];
    new Gauge({
      name: 'otpgate_outbox_depth',
      help: 'Messages queued or in flight (not yet accepted by a carrier)',
      registers,
      async collect() {
        const r = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['queued', 'sending']).executeTakeFirst();
        this.set(Number(r?.n ?? 0));
      },
    });
    new Gauge({
      name: 'otpgate_webhook_backlog',
      help: 'Webhook deliveries pending (due or waiting for a retry)',
      registers,
      async collect() {
        const r = await db.selectFrom('webhook_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirst();
        this.set(Number(r?.n ?? 0));
      },
    });
    new Gauge({
      name: 'otpgate_smpp_window_in_use',
      help: 'SMPP submits awaiting their response, per bind',
      labelNames: ['provider', 'bind'],
      registers,
      collect() {
        this.reset();
        for (const { provider, bind } of smppBinds(providers)) this.set({ provider, bind: String(bind.bind) }, Number(bind.window_in_use ?? 0));
      },
    });
    new Gauge({
      name: 'otpgate_smpp_bind_up',
      help: 'SMPP bind state: 1 for the state the bind is in (bound, connecting, closed, …), per bind',
      labelNames: ['provider', 'bind', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { provider, bind } of smppBinds(providers)) this.set({ provider, bind: String(bind.bind), state: String(bind.state) }, 1);
      },
    });
    new Gauge({
      name: 'otpgate_provider_circuit_open',
      help: '1 while a provider\'s circuit breaker is open (calls are not sent to it)',
      labelNames: ['provider'],
      registers,
      collect() {
        for (const name of providers.keys()) this.set({ provider: name }, breakers.status(name).state === 'open' ? 1 : 0);
      },
    });
  }
}

/**
 * The limit a refusal names: an abuse refusal's named rate limit (its `details.limit`, e.g.
 * sends_per_number), else the stable code (resend_cooldown, suspected_fraud, spend_cap_reached,
 * geo_permission_denied, insufficient_balance, …): a fixed, small set either way.
 */
function limitOf(err: VerifyError): string {
  const named = (err as VerifyError & { details?: { limit?: unknown } }).details?.limit;
  return typeof named === 'string' && /^[a-z0-9_]{1,40}$/.test(named) ? named : err.code;
}

function* smppBinds(providers: ReadonlyMap<string, Provider>): Generator<{ provider: string; bind: Record<string, unknown> }> {
  for (const p of providers.values()) {
    const binds = p.status?.().binds;
    if (Array.isArray(binds)) for (const b of binds as Array<Record<string, unknown>>) yield { provider: p.name, bind: b };
  }
}
