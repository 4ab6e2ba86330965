/**
 * App wiring: the one place that builds the long-lived parts (database, writer, hub, services,
 * providers, dispatcher) from a config and tears them down in order.
 */
import { webhookFormats } from './families/webhook-formats.ts';
import pino, { type Logger } from 'pino';
import { deriveKey } from './core/code.ts';
import type { Config } from './config.ts';
import { breakerOptions, CircuitBreakers } from './dispatch/breaker.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { Router } from './dispatch/router.ts';
import { createProviders } from './providers/index.ts';
import type { Provider } from './providers/types.ts';
import { createAccount, createApiKey, listAccounts } from './store/accounts.ts';
import { openDatabase, type OpenDb } from './store/dialect.ts';
import { Redis } from 'ioredis';
import { ClusterBus } from './store/bus.ts';
import { SlotPool } from './store/leases.ts';
import { EventHub } from './store/events.ts';
import { InboxStore } from './store/inbox.ts';
import { migrate } from './store/migrations.ts';
import { assertSecretMatches, loadServerSecret } from './store/secret.ts';
import { GroupWriter, writeStrategy } from './store/writer.ts';
import { VerifyService } from './verify/service.ts';
import { Webhooks } from './webhooks/index.ts';

export interface GatewayOptions {
  log?: Logger;
  /** Injectable clock (tests of expiry); epoch ms. */
  now?: () => number;
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
  webhooks: Webhooks;
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
  const log = opts.log ?? pino({ level: config.log_level });
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
  const webhooks = new Webhooks({ db: store.db, dialect: store.dialect, hub, options: config.webhooks, log: log.child({ component: 'webhooks' }), now, formats: webhookFormats });
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
  const redis = config.redis_url ? new Redis(config.redis_url, { maxRetriesPerRequest: 2 }) : undefined;
  redis?.on('error', (err) => log.warn({ err }, 'redis connection error'));
  const verify = new VerifyService({ db: store.db, dialect: store.dialect, writer, config, keys, now });
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

  let bootstrap: Gateway['bootstrap'];
  if (config.bootstrap_dev_account && (await listAccounts(store.db)).length === 0) {
    const account = await createAccount(store.db, { name: 'dev', defaultRegion: 'US', balance: 1_000_000_000_000, now: now() });
    const { token } = await createApiKey(store.db, account.id, '*', now());
    bootstrap = { accountId: account.id, token };
  }
  await bus.start();
  if (config.dispatch.enabled) await dispatcher.start();
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
    webhooks,
    bus,
    redis,
    now,
    bootstrap,
    async close() {
      await dispatcher.stop();
      await writer.flush();
      await webhooks.stop();
      await bus.stop();
      redis?.disconnect();
      await store.close();
    },
  };
}
