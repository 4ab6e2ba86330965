/**
 * One typed config: defaults ← JSON file (OTPGATE_CONFIG or ./otpgate.json) ← environment.
 * Validated once at start; a bad value stops the process with a line naming the key and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { templateProblem } from './core/templates.ts';
import { HIGH_RISK_PREFIXES } from './core/high-risk.ts';

const PriceRule = Type.Object({
  prefix: Type.String({ pattern: '^[0-9]*$', description: 'E.164 digits without +, "" = any' }),
  channel: Type.Union([Type.Literal('sms'), Type.Literal('voice')]),
  price: Type.Integer({ minimum: 0, description: 'micro-units per SMS segment or per call' }),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency of price; absent = pricing_currency' })),
});

/** One named limit: `points` sends per `duration_seconds`; past it, refused for `block_seconds` (0 = until the window ends). points 0 = off. */
export const LimitRule = Type.Object({
  points: Type.Integer({ minimum: 0 }),
  duration_seconds: Type.Integer({ minimum: 1 }),
  block_seconds: Type.Integer({ minimum: 0 }),
});

/** Abuse and fraud defence (src/abuse/); README "Abuse protection" lists each key and its default. */
const AbuseSection = Type.Object({
  enabled: Type.Boolean(),
  /** Redis key prefix of the counters (when redis_url is set). */
  redis_prefix: Type.String(),
  /** Digits of the E.164 number (country code included) that make the per_prefix_1m limit's key. */
  prefix_digits: Type.Integer({ minimum: 1, maximum: 15 }),
  limits: Type.Record(Type.String(), LimitRule),
  geo: Type.Object({
    /** Regions every account may send to besides its own ('*' = all). */
    countries: Type.Array(Type.String({ pattern: '^([A-Z]{2}|\\*|001)$' })),
    /** The high-risk prefix list (src/core/geo.ts HIGH_RISK_PREFIXES by default). */
    high_risk_prefixes: Type.Array(Type.String({ pattern: '^[0-9]{1,15}$' })),
  }),
  pumping: Type.Object({
    enabled: Type.Boolean(),
    /** Digits of the E.164 number (country code included) that make a prefix. */
    prefix_digits: Type.Integer({ minimum: 1, maximum: 15 }),
    window_seconds: Type.Integer({ minimum: 60 }),
    bucket_seconds: Type.Integer({ minimum: 1 }),
    floor: Type.Integer({ minimum: 1 }),
    threshold: Type.Number({ minimum: 0, maximum: 1 }),
    failure_floor: Type.Integer({ minimum: 1 }),
    failure_threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    velocity_max: Type.Integer({ minimum: 0 }),
    block_seconds: Type.Integer({ minimum: 60 }),
    /** A prefix blocked for this many accounts at once is blocked for every account. */
    global_after_accounts: Type.Integer({ minimum: 1 }),
    /** An account reporting an approval within this long is judged on conversion. */
    reporting_days: Type.Integer({ minimum: 1 }),
  }),
  spend: Type.Object({
    /** Micro-units per UTC day per account, all destinations (0 = no cap). */
    daily_cap: Type.Integer({ minimum: 0 }),
    /** Micro-units per UTC day per account and destination country (0 = no cap). */
    country_daily_cap: Type.Integer({ minimum: 0 }),
    /** The alert event fires when a cap's use crosses this share. */
    alert_ratio: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  }),
  /** How often active blocks and per-account settings are re-read (other instances' changes). */
  cache_ms: Type.Integer({ minimum: 0 }),
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
    /** A "sent" message with no final receipt this long after sending becomes "expired" (delivery unknown). */
    receipt_deadline_seconds: Type.Integer({ minimum: 60 }),
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
  }),
  prices: Type.Array(PriceRule),
  /** The currency of price rules without one. */
  pricing_currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  /** Units of a currency per unit of pricing_currency (e.g. {"NPR": 133.5}), for accounts whose currency has no rules of its own. */
  currency_rates: Type.Record(Type.String({ pattern: '^[A-Z]{3}$' }), Type.Number({ exclusiveMinimum: 0 })),
  templates: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())),
  providers: Type.Array(ProviderEntry),
  routes: Type.Array(RouteEntry),
  /** Bearer token for /admin (≥ 24 chars); unset = /admin answers 404. */
  admin_token: Type.Optional(Type.String({ minLength: 24 })),
  /** Bearer token for /metrics only (≥ 24 chars), so a Prometheus server need not hold the admin token. */
  metrics_token: Type.Optional(Type.String({ minLength: 24 })),
  /** Graceful drain on SIGTERM/SIGINT (src/server.ts). */
  shutdown: Type.Object({
    /** /readyz answers 503 and the listener stays open this long, so load balancers see the drain. */
    grace_ms: Type.Integer({ minimum: 0, maximum: 300_000 }),
    /** Past this (from the signal), the process exits 1 whatever is still in flight. */
    timeout_ms: Type.Integer({ minimum: 1_000, maximum: 600_000 }),
  }),
  abuse: AbuseSection,
});

export type Config = Static<typeof ConfigSchema>;
export type PriceRuleConfig = Static<typeof PriceRule>;
export type RouteConfig = Static<typeof RouteEntry>;
/** The named limits (src/abuse/limits.ts gives each its key). */
export const LIMIT_NAMES = Object.keys(defaultAbuse().limits);
export type AbuseConfig = Static<typeof AbuseSection>;
export type LimitRuleConfig = Static<typeof LimitRule>;

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
      // Carriers keep retrying a handset for up to 48 h (SMSC validity periods); a receipt later than that is lost.
      receipt_deadline_seconds: 172_800,
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
    pricing_currency: 'USD',
    currency_rates: {},
    templates: {},
    providers: [{ name: 'devinbox', kind: 'devinbox' }],
    routes: [{ providers: [{ name: 'devinbox' }] }],
    shutdown: { grace_ms: 5_000, timeout_ms: 30_000 },
    abuse: defaultAbuse(),
  };
}

/** Defaults of the abuse section: on, sized for one app's sign-in traffic (README "Abuse protection"). */
export function defaultAbuse(): AbuseConfig {
  const l = (points: number, duration_seconds: number, block_seconds = 0) => ({ points, duration_seconds, block_seconds });
  return {
    enabled: true,
    redis_prefix: 'otpgate:',
    prefix_digits: 6,
    limits: {
      per_number_10m: l(5, 600),
      per_number_24h: l(10, 86_400),
      per_account_1s: l(50, 1),
      per_account_24h: l(10_000, 86_400),
      per_key_1m: l(1_200, 60),
      per_prefix_1m: l(20, 60),
      per_ip_10m: l(10, 600, 600),
      wrong_checks_per_number_1h: l(10, 3_600),
    },
    geo: { countries: [], high_risk_prefixes: [...HIGH_RISK_PREFIXES] },
    pumping: {
      enabled: true,
      prefix_digits: 7,
      window_seconds: 3_600,
      bucket_seconds: 60,
      floor: 30,
      threshold: 0.1,
      failure_floor: 20,
      failure_threshold: 0.6,
      velocity_max: 300,
      block_seconds: 43_200,
      global_after_accounts: 3,
      reporting_days: 7,
    },
    spend: { daily_cap: 0, country_daily_cap: 0, alert_ratio: 0.8 },
    cache_ms: 2_000,
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
  ['OTPGATE_METRICS_TOKEN', (c, v) => (c.metrics_token = v)],
  ['OTPGATE_SHUTDOWN_GRACE_MS', (c, v) => (c.shutdown.grace_ms = Number(v))],
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
  // A template without {code} would send (and charge) a message with no code in it.
  for (const [id, byLocale] of Object.entries(c.templates))
    for (const [locale, text] of Object.entries(byLocale)) {
      const problem = templateProblem(text);
      if (problem) throw new ConfigError(`templates.${id}.${locale}: ${problem} (template "${id}", locale ${locale})`);
    }
  for (const name of Object.keys(c.abuse.limits))
    if (!LIMIT_NAMES.includes(name)) throw new ConfigError(`abuse.limits.${name}: no such limit; use one of ${LIMIT_NAMES.join(', ')}`);
  const names = new Set(c.providers.map((p) => p.name));
  for (const r of c.routes)
    for (const p of r.providers)
      if (!names.has(p.name))
        throw new ConfigError(`routes: provider "${p.name}" is not defined; add it to "providers" or fix the route`);
  return c;
}
