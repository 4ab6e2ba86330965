/**
 * One typed config: defaults ← JSON file (OTPGATE_CONFIG or ./otpgate.json) ← environment.
 * Validated once at start; a bad value stops the process with a line naming the key and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const PriceRule = Type.Object({
  prefix: Type.String({ pattern: '^[0-9]*$', description: 'E.164 digits without +, "" = any' }),
  channel: Type.Union([Type.Literal('sms'), Type.Literal('voice')]),
  price: Type.Integer({ minimum: 0, description: 'micro-units per SMS segment or per call' }),
});

const ProviderEntry = Type.Object(
  { name: Type.String({ minLength: 1 }), kind: Type.String({ minLength: 1 }) },
  { additionalProperties: true },
);

const RouteEntry = Type.Object({
  prefix: Type.Optional(Type.String({ pattern: '^[0-9]*$' })),
  channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('voice')])),
  providers: Type.Array(
    Type.Object({ name: Type.String(), weight: Type.Optional(Type.Integer({ minimum: 1 })) }),
    { minItems: 1 },
  ),
});

export const ConfigSchema = Type.Object({
  host: Type.String(),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  public_url: Type.Optional(Type.String()),
  data_dir: Type.String(),
  /** "sqlite:<path>" (default) or "postgres://…". */
  database_url: Type.String(),
  /** Server secret (≥ 32 chars); generated into data_dir/secret.key when absent. */
  secret: Type.Optional(Type.String({ minLength: 32 })),
  redis_url: Type.Optional(Type.String()),
  log_level: Type.Union([
    Type.Literal('fatal'),
    Type.Literal('error'),
    Type.Literal('warn'),
    Type.Literal('info'),
    Type.Literal('debug'),
    Type.Literal('trace'),
    Type.Literal('silent'),
  ]),
  bootstrap_dev_account: Type.Boolean(),
  dev_inbox: Type.Object({
    enabled: Type.Boolean(),
    delivery_delay_ms: Type.Integer({ minimum: 0 }),
    undelivered_numbers: Type.Array(Type.String()),
    /** Slow each send down (tests of crash recovery). */
    send_delay_ms: Type.Integer({ minimum: 0 }),
  }),
  verify: Type.Object({
    code_length: Type.Integer({ minimum: 4, maximum: 10 }),
    ttl_seconds: Type.Integer({ minimum: 60, maximum: 86400 }),
    max_attempts: Type.Integer({ minimum: 1, maximum: 100 }),
    resend_cooldown_seconds: Type.Integer({ minimum: 0 }),
    max_sends: Type.Integer({ minimum: 1, maximum: 100 }),
    default_locale: Type.String(),
    /** channel "auto": call with the same code when the SMS is not delivered within this time. */
    auto_voice_after_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
  }),
  dispatch: Type.Object({
    enabled: Type.Boolean(),
    concurrency: Type.Integer({ minimum: 1, maximum: 10000 }),
    batch: Type.Integer({ minimum: 1, maximum: 10000 }),
    poll_ms: Type.Integer({ minimum: 10 }),
    lease_ms: Type.Integer({ minimum: 1000 }),
    deadline_seconds: Type.Integer({ minimum: 1 }),
    backoff_base_ms: Type.Integer({ minimum: 1 }),
    backoff_max_ms: Type.Integer({ minimum: 1 }),
    /** Per-provider circuit: opens when `threshold` of the last `window` calls (≥ min_calls) were carrier faults. */
    breaker: Type.Object({
      window: Type.Integer({ minimum: 1, maximum: 10000 }),
      min_calls: Type.Integer({ minimum: 1 }),
      threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      open_seconds: Type.Integer({ minimum: 1 }),
    }),
  }),
  webhooks: Type.Object({
    /** Run the delivery worker in this process. */
    enabled: Type.Boolean(),
    /** Receivers must answer within this. */
    timeout_ms: Type.Integer({ minimum: 100, maximum: 60_000 }),
    /** Deliveries are retried for this long after the status change, then marked dead. */
    max_age_ms: Type.Integer({ minimum: 1 }),
    backoff_base_ms: Type.Integer({ minimum: 1 }),
    backoff_max_ms: Type.Integer({ minimum: 1 }),
    /** How often due rows are looked for when nothing woke the worker (retries come due this way). */
    poll_ms: Type.Integer({ minimum: 5 }),
    /** Deliveries in flight at once (to different subjects by construction). */
    concurrency: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** How long an account's webhook settings are cached by the hot path. */
    cache_ttl_ms: Type.Integer({ minimum: 0 }),
  }),
  store: Type.Object({
    /** Group commit: at most this many writes share one transaction. */
    group_commit_max: Type.Integer({ minimum: 1, maximum: 10000 }),
    /** Scale-out: how long an instance's lease on a cluster slot (an SMPP bind) lasts unless renewed; a dead instance's slot is taken over after it. */
    slot_lease_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
  }),
  prices: Type.Array(PriceRule),
  templates: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())),
  providers: Type.Array(ProviderEntry),
  routes: Type.Array(RouteEntry),
  /** Bearer token for /admin (≥ 24 chars); unset = /admin answers 404. */
  admin_token: Type.Optional(Type.String({ minLength: 24 })),
});

export type Config = Static<typeof ConfigSchema>;
export type PriceRuleConfig = Static<typeof PriceRule>;
export type RouteConfig = Static<typeof RouteEntry>;

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = env.OTPGATE_DATA_DIR ?? './data';
  const production = env.NODE_ENV === 'production';
  return {
    host: '127.0.0.1',
    port: 8080,
    data_dir: dataDir,
    database_url: `sqlite:${dataDir}/otpgate.db`,
    log_level: 'info',
    bootstrap_dev_account: !production,
    dev_inbox: { enabled: !production, delivery_delay_ms: 0, undelivered_numbers: [], send_delay_ms: 0 },
    verify: {
      code_length: 6,
      ttl_seconds: 600,
      max_attempts: 5,
      resend_cooldown_seconds: 30,
      max_sends: 5,
      default_locale: 'en',
      auto_voice_after_seconds: 60,
    },
    dispatch: {
      enabled: true,
      concurrency: 64,
      batch: 256,
      poll_ms: 1000,
      lease_ms: 60_000,
      deadline_seconds: 3600,
      backoff_base_ms: 1000,
      backoff_max_ms: 300_000,
      breaker: { window: 50, min_calls: 10, threshold: 0.5, open_seconds: 30 },
    },
    webhooks: {
      enabled: true,
      timeout_ms: 5_000,
      max_age_ms: 24 * 3_600_000,
      backoff_base_ms: 5_000,
      backoff_max_ms: 3_600_000,
      poll_ms: 1_000,
      concurrency: 32,
      cache_ttl_ms: 5_000,
    },
    store: { group_commit_max: 512 },
    // Micro-units of the account currency. Illustrative defaults; operators set their own.
    prices: [
      { prefix: '', channel: 'sms', price: 50_000 },
      { prefix: '', channel: 'voice', price: 200_000 },
      { prefix: '977', channel: 'sms', price: 20_000 },
      { prefix: '977', channel: 'voice', price: 100_000 },
      { prefix: '98', channel: 'sms', price: 10_000 },
      { prefix: '98', channel: 'voice', price: 50_000 },
    ],
    templates: {},
    providers: [{ name: 'devinbox', kind: 'devinbox' }],
    routes: [{ providers: [{ name: 'devinbox' }] }],
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ENV_KEYS: Array<[string, (c: Config, v: string) => void]> = [
  ['PORT', (c, v) => (c.port = Number(v))],
  ['HOST', (c, v) => (c.host = v)],
  ['DATABASE_URL', (c, v) => (c.database_url = v)],
  ['OTPGATE_SECRET', (c, v) => (c.secret = v)],
  ['REDIS_URL', (c, v) => (c.redis_url = v)],
  ['LOG_LEVEL', (c, v) => (c.log_level = v as Config['log_level'])],
  ['OTPGATE_PUBLIC_URL', (c, v) => (c.public_url = v)],
  ['OTPGATE_ADMIN_TOKEN', (c, v) => (c.admin_token = v)],
  ['OTPGATE_DEV_INBOX', (c, v) => (c.dev_inbox.enabled = v === '1' || v === 'true')],
];

function merge(base: any, over: any): any {
  if (Array.isArray(over) || typeof over !== 'object' || over === null) return over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}

/** Builds the config from defaults, an optional file, env and explicit overrides (tests). */
export function loadConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  let config: any = defaultConfig(env);
  const file = env.OTPGATE_CONFIG ?? (existsSync('otpgate.json') ? 'otpgate.json' : undefined);
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(resolve(file), 'utf8'));
    } catch (e) {
      throw new ConfigError(`config file ${file}: ${(e as Error).message}; fix the JSON or unset OTPGATE_CONFIG`);
    }
    config = merge(config, parsed);
  }
  for (const [key, apply] of ENV_KEYS) if (env[key] !== undefined && env[key] !== '') apply(config, env[key]!);
  if (env.OTPGATE_DATA_DIR && !env.DATABASE_URL && !file) config.database_url = `sqlite:${config.data_dir}/otpgate.db`;
  config = merge(config, overrides);
  return validateConfig(config);
}

export function validateConfig(config: unknown): Config {
  const errors = [...Value.Errors(ConfigSchema, config)];
  if (errors.length > 0) {
    const lines = errors.slice(0, 5).map((e) => {
      const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)';
      return `  ${path}: ${e.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}\nfix these keys in the config file or environment`);
  }
  const c = config as Config;
  if (c.dispatch.breaker.min_calls > c.dispatch.breaker.window)
    throw new ConfigError('dispatch.breaker.min_calls: must not exceed dispatch.breaker.window, or the circuit can never open');
  const names = new Set(c.providers.map((p) => p.name));
  for (const r of c.routes)
    for (const p of r.providers)
      if (!names.has(p.name))
        throw new ConfigError(`routes: provider "${p.name}" is not defined; add it to "providers" or fix the route`);
  return c;
}
