/**
 * App wiring: the one place that builds the long-lived parts (database, writer, hub, services,
 * providers, dispatcher) from a config and tears them down in order.
 */
import { webhookFormats } from './families/webhook-formats.ts';
import type { Logger } from 'pino';
import { deriveKey } from './core/code.ts';
import { createLogger } from './logging.ts';
import type { Config } from './config.ts';
import { breakerOptions, CircuitBreakers } from './dispatch/breaker.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { ReceiptDeadline } from './dispatch/receipt-deadline.ts';
import { Router } from './dispatch/router.ts';
import { createProviders } from './providers/index.ts';
import type { Provider } from './providers/types.ts';
import { createAccount, createApiKey, listAccounts } from './store/accounts.ts';
import { openDatabase, type OpenDb } from './store/dialect.ts';
import type { Redis } from 'ioredis';
import { ClusterBus } from './store/bus.ts';
import { SlotPool } from './store/leases.ts';
import { EventHub } from './store/events.ts';
import { InboxStore } from './store/inbox.ts';
import { migrate } from './store/migrations.ts';
import { GatewayMetrics } from './metrics/metrics.ts';
import { assertSecretMatches, loadServerSecret } from './store/secret.ts';
import { GroupWriter, writeStrategy } from './store/writer.ts';
import { VerifyService } from './verify/service.ts';
import { Abuse } from './abuse/index.ts';
import { putSettings } from './store/abuse.ts';
import { Webhooks } from './webhooks/index.ts';

export interface GatewayOptions {
  log?: Logger;
  /** Injectable clock (tests of expiry); epoch ms. */
  now?: () => number;
  /** Node process metrics (CPU, memory, event loop) in /metrics: on for `otpgate start`, off for in-process test gateways. */
  processMetrics?: boolean;
}

export interface Gateway {
  config: Config;
  log: Logger;
  store: OpenDb;
  hub: EventHub;
  writer: GroupWriter;
  inbox: InboxStore;
  verify: VerifyService;
  providers: Map<string, Provider>;
  breakers: CircuitBreakers;
  dispatcher: Dispatcher;
  /** Makes "sent" messages without a receipt final after dispatch.receipt_deadline_seconds. */
  receiptDeadline: ReceiptDeadline;
  webhooks: Webhooks;
  abuse: Abuse;
  metrics: GatewayMetrics;
  /** Set by a graceful drain (src/server.ts): /readyz and new sends answer 503 from then on. */
  draining: boolean;
  /** Store events to and from the other instances (PostgreSQL only; idle on SQLite). */
  bus: ClusterBus;
  /** One shared Redis client when REDIS_URL is set (counters that must hold across instances). */
  redis?: Redis;
  now: () => number;
  /** Set when this start created the dev account: its key is shown once. */
  bootstrap?: { accountId: string; token: string };
  close(): Promise<void>;
}

export async function createGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger(config.log_level);
  const now = opts.now ?? Date.now;
  const store = await openDatabase(config.database_url);
  let secret: Buffer;
  try {
    await migrate(store.db, store.dialect);
    secret = await loadServerSecret(store.db, store.dialect, config);
  } catch (err) {
    await store.close();
    throw err;
  }
  const hub = new EventHub();
  const bus = new ClusterBus({ dialect: store.dialect, url: config.database_url, hub, log: log.child({ component: 'cluster' }) });
  const strategy = writeStrategy(store.dialect, config.store.group_commit_max);
  const writer = new GroupWriter(store.db, hub, strategy.max, strategy.lanes, store.dialect);
  const webhooks = new Webhooks({ db: store.db, hub, options: config.webhooks, log: log.child({ component: 'webhooks' }), now, formats: webhookFormats });
  // Each status change writes its webhook rows in its own transaction (no change without its webhook).
  writer.beforeCommit = webhooks.outbox.enqueue;
  const inbox = new InboxStore(store.db, hub);
  const keys = { hash: deriveKey(secret, 'code-hash'), seal: deriveKey(secret, 'code-seal') };
  // A start with the wrong secret stops here, loudly, rather than failing each message later.
  await assertSecretMatches(store.db, secret, keys.seal).catch(async (err) => {
    log.fatal({ err }, err.message);
    await store.close();
    throw err;
  });
  // ioredis (~20 MB of RSS) is loaded only when a Redis is configured.
  const redis = config.redis_url ? (await import('./abuse/redis.ts')).openRedis(config.redis_url) : undefined;
  const abuse = new Abuse({ config: config.abuse, db: store.db, writer, hub, log: log.child({ component: 'abuse' }), now, redis });
  await abuse.start();
  const verify = new VerifyService({ db: store.db, dialect: store.dialect, writer, config, keys, now, abuse });
  const providers = await createProviders(config.providers, { inbox, devInbox: config.dev_inbox, publicUrl: config.public_url });
  const breakers = new CircuitBreakers(breakerOptions(config.dispatch.breaker), now);
  const router = new Router(config.routes, providers, breakers);
  const dispatcher = new Dispatcher({
    db: store.db,
    dialect: store.dialect,
    writer,
    hub,
    config: config.dispatch,
    router,
    breakers,
    providers,
    sealKey: keys.seal,
    log: log.child({ component: 'dispatch' }),
    now,
    // Many instances share one PostgreSQL database: carrier slots are leased across them (store/leases.ts).
    leaseSlots:
      store.dialect === 'postgres'
        ? (key, total, hooks) => {
            const pool = new SlotPool({
              db: store.db,
              prefix: key,
              total,
              holder: bus.instanceId,
              ttlMs: config.store.slot_lease_ms ?? 10_000,
              now: Date.now,
              ...hooks,
              onError: (err) => log.warn({ err, slots: key }, 'renewing or taking a cluster slot failed'),
            });
            pool.start();
            return pool;
          }
        : undefined,
    autoVoice: { afterMs: config.verify.auto_voice_after_seconds * 1000, place: (v) => verify.voiceFallback(v) },
  });

  const receiptDeadline = new ReceiptDeadline({
    db: store.db,
    writer,
    deadlineSeconds: config.dispatch.receipt_deadline_seconds,
    everyMs: Math.max(config.dispatch.poll_ms, 10_000),
    log: log.child({ component: 'receipt-deadline' }),
    now,
  });

  let bootstrap: Gateway['bootstrap'];
  if (config.bootstrap_dev_account && (await listAccounts(store.db)).length === 0) {
    const account = await createAccount(store.db, { name: 'dev', defaultRegion: 'US', balance: 1_000_000_000_000, now: now() });
    const { token } = await createApiKey(store.db, account.id, '*', now());
    // DESIGN.md: the dev account may send to every country but the high-risk list (NP, IR work out of the box).
    await putSettings(store.db, account.id, { geo: { sms: ['*'], voice: ['*'] } }, now());
    bootstrap = { accountId: account.id, token };
  }
  const metrics = new GatewayMetrics({ db: store.db, hub, verify, providers, breakers, dispatcherStats: dispatcher.stats, webhookStats: webhooks.worker.stats, processMetrics: opts.processMetrics ?? false });
  await bus.start();
  if (config.dispatch.enabled) {
    await dispatcher.start();
    receiptDeadline.start();
  }
  webhooks.start();

  return {
    config,
    log,
    store,
    hub,
    writer,
    inbox,
    verify,
    providers,
    breakers,
    dispatcher,
    receiptDeadline,
    webhooks,
    abuse,
    metrics,
    draining: false,
    bus,
    redis,
    now,
    bootstrap,
    async close() {
      metrics.close();
      await receiptDeadline.stop();
      await dispatcher.stop();
      await writer.flush();
      await webhooks.stop();
      await abuse.close();
      await bus.stop();
      await store.close();
      redis?.disconnect();
    },
  };
}
