/**
 * `otpgate doctor`: checks what a start needs, changes nothing, and names a fix for each problem.
 * config → database (reachable; migrations applied) → Redis (PING) → each carrier (SMPP: connect
 * and bind, then unbind; HTTP: a read-only authenticated call where the vendor has one) →
 * public_url (a URL carriers can reach; answered by this gateway when it runs).
 * A check is ok, warn (works, but worth a look) or fail; any fail makes the exit status 1.
 */
import { Migrator, sql } from 'kysely';
import type { Config } from '../config.ts';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  verdict: Verdict;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

export interface DoctorOptions {
  /** Per network check, ms (connects, binds, HTTP calls). */
  timeoutMs?: number;
}

const ok = (check: string, detail: string): Finding => ({ check, verdict: 'ok', detail });
const fail = (check: string, detail: string, fix: string): Finding => ({ check, verdict: 'fail', detail, fix });
const warn = (check: string, detail: string, fix: string): Finding => ({ check, verdict: 'warn', detail, fix });

/** Runs every check in order; later checks that need an earlier one (a valid config) are skipped when it failed. */
export async function runDoctor(load: () => Promise<Config>, opts: DoctorOptions = {}): Promise<Finding[]> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let config: Config;
  try {
    config = await load();
  } catch (e) {
    return [fail('config', (e as Error).message, 'fix the keys named above in the config file (OTPGATE_CONFIG or ./otpgate.json) or the environment')];
  }
  const out: Finding[] = [ok('config', `valid (${config.providers.length} provider${config.providers.length === 1 ? '' : 's'}, database ${config.database_url.split(':')[0]})`)];
  out.push(...(await checkDatabase(config)));
  out.push(await checkRedis(config, timeoutMs));
  for (const entry of config.providers) out.push(await checkCarrier(config, entry, timeoutMs));
  out.push(await checkPublicUrl(config, timeoutMs));
  if (!config.admin_token) out.push(warn('admin_token', 'not set: /dashboard, /admin and /metrics are off', 'set "admin_token" (24+ characters) or OTPGATE_ADMIN_TOKEN to turn on the operator console'));
  return out;
}

async function checkDatabase(config: Config): Promise<Finding[]> {
  const { openDatabase } = await import('../store/dialect.ts');
  const { migrations } = await import('../store/migrations.ts');
  let store;
  try {
    store = await openDatabase(config.database_url);
    await sql`select 1`.execute(store.db);
  } catch (e) {
    await store?.close().catch(() => {});
    const hint = config.database_url.startsWith('postgres') ? 'start PostgreSQL or fix DATABASE_URL (user, password, host, database name)' : 'make data_dir writable or fix DATABASE_URL';
    return [fail('database', `cannot open ${redact(config.database_url)}: ${(e as Error).message}`, hint)];
  }
  try {
    const all = await new Migrator({ db: store.db, provider: { getMigrations: async () => migrations(store.dialect) } }).getMigrations();
    const pending = all.filter((m) => !m.executedAt).map((m) => m.name);
    return [
      ok('database', `${store.dialect} at ${redact(config.database_url)} answers`),
      pending.length ? fail('migrations', `${pending.length} not applied: ${pending.join(', ')}`, 'run `otpgate migrate` (a start also applies them)') : ok('migrations', `all ${all.length} applied`),
    ];
  } finally {
    await store.close();
  }
}

async function checkRedis(config: Config, timeoutMs: number): Promise<Finding> {
  if (!config.redis_url) return ok('redis', 'not configured (counters in memory: fine for one instance)');
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redis_url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => {}); // reported through the PING below
  try {
    await redis.connect();
    const pong = await redis.ping();
    return ok('redis', `${redact(config.redis_url)} answers ${pong}`);
  } catch (e) {
    return fail('redis', `cannot reach ${redact(config.redis_url)}: ${(e as Error).message}`, 'start Redis or fix REDIS_URL (redis://host:6379)');
  } finally {
    redis.disconnect();
  }
}

type ProviderEntry = Config['providers'][number];

async function checkCarrier(config: Config, entry: ProviderEntry, timeoutMs: number): Promise<Finding> {
  const check = `carrier ${entry.name}`;
  const { createProviders } = await import('../providers/index.ts');
  let provider;
  try {
    const inbox = { add: async () => 0 } as never; // never called: nothing is sent
    provider = (await createProviders([entry], { inbox, devInbox: config.dev_inbox, publicUrl: config.public_url })).get(entry.name)!;
  } catch (e) {
    return fail(check, (e as Error).message, `fix providers[name=${entry.name}] in the config`);
  }
  if (entry.kind === 'devinbox') return config.dev_inbox.enabled || process.env.NODE_ENV !== 'production' ? ok(check, 'the dev inbox (delivers nothing to phones)') : warn(check, 'the dev inbox in production: no code reaches a phone', 'route to a real carrier');
  if (entry.kind === 'smpp') return checkSmpp(check, entry, provider, timeoutMs);
  const probe = credentialProbe(entry);
  if (!probe) return ok(check, `${entry.kind}: config valid; this vendor has no harmless call to test the credentials, so they are checked at the first send`);
  try {
    const res = await fetch(probe.url, { headers: probe.headers, signal: AbortSignal.timeout(timeoutMs) });
    if (res.ok) return ok(check, `${entry.kind}: credentials accepted (${probe.what})`);
    if (res.status === 401 || res.status === 403) return fail(check, `${entry.kind}: credentials refused (HTTP ${res.status} on ${probe.what})`, probe.fix);
    return warn(check, `${entry.kind}: HTTP ${res.status} on ${probe.what}`, 'check base_url and the vendor status page');
  } catch (e) {
    return fail(check, `${entry.kind}: cannot reach ${new URL(probe.url).origin}: ${(e as Error).message}`, 'check base_url, DNS and outbound firewall rules');
  }
}

/** Read-only authenticated calls: Twilio's Account fetch, Vonage's balance, Kavenegar's account info. */
function credentialProbe(entry: ProviderEntry): { url: string; headers?: Record<string, string>; what: string; fix: string } | undefined {
  const c = entry as Record<string, unknown>;
  const base = (fallback: string) => String(c.base_url ?? fallback).replace(/\/$/, '');
  if (entry.kind === 'twilio')
    return {
      // https://www.twilio.com/docs/iam/api/account#fetch-an-account-resource
      url: `${base('https://api.twilio.com')}/2010-04-01/Accounts/${encodeURIComponent(String(c.account_sid))}.json`,
      headers: { authorization: `Basic ${Buffer.from(`${c.account_sid}:${c.auth_token}`).toString('base64')}` },
      what: 'GET Account',
      fix: 'copy account_sid and auth_token again from the Twilio console (Account info)',
    };
  if (entry.kind === 'vonage' && c.api_key && c.api_secret)
    return {
      // https://developer.vonage.com/en/api/account#getAccountBalance
      url: `${base('https://rest.nexmo.com')}/account/get-balance?${new URLSearchParams({ api_key: String(c.api_key), api_secret: String(c.api_secret) })}`,
      what: 'GET account balance',
      fix: 'copy api_key and api_secret again from the Vonage dashboard (API settings)',
    };
  if (entry.kind === 'kavenegar')
    return {
      // https://kavenegar.com/rest.html#account-info
      url: `${base('https://api.kavenegar.com')}/v1/${encodeURIComponent(String(c.api_key).trim())}/account/info.json`,
      what: 'GET account info',
      fix: 'copy api_key again from the Kavenegar panel (Account → Settings)',
    };
  return undefined;
}

/** Starts the provider (connect + bind), waits for every bind to be bound or the timeout, then unbinds. */
async function checkSmpp(check: string, entry: ProviderEntry, provider: import('../providers/types.ts').Provider, timeoutMs: number): Promise<Finding> {
  const errors: string[] = [];
  const log = { info() {}, debug() {}, trace() {}, warn() {}, error: (o: unknown, msg?: string) => errors.push(typeof msg === 'string' ? msg : String(o)), child: () => log } as never;
  await provider.start?.({ onReceipt: () => {}, log });
  const binds = () => (provider.status?.().binds ?? []) as Array<{ state: string; last_error?: string | null }>;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !binds().every((b) => b.state === 'bound')) await new Promise((r) => setTimeout(r, 50));
  const state = binds();
  await provider.stop?.();
  const peer = `${(entry as Record<string, unknown>).host}:${(entry as Record<string, unknown>).port}`;
  if (state.length > 0 && state.every((b) => b.state === 'bound')) return ok(check, `smpp: ${state.length} bind${state.length === 1 ? '' : 's'} to ${peer} bound, then unbound`);
  const why = state.map((b) => b.last_error).find(Boolean) ?? errors[0] ?? `not bound within ${timeoutMs} ms`;
  return fail(check, `smpp: ${peer}: ${why}`, /password|system_id|RINVPASWD|RINVSYSID/i.test(why) ? 'fix system_id / password (the carrier gave them with the account)' : 'check host, port and that the carrier allows this address (IP allow-list)');
}

async function checkPublicUrl(config: Config, timeoutMs: number): Promise<Finding> {
  const callbacks = config.providers.filter((p) => ['twilio', 'vonage'].includes(p.kind)).map((p) => p.name);
  if (!config.public_url)
    return callbacks.length
      ? fail('public_url', `not set, so ${callbacks.join(', ')} cannot post delivery receipts`, 'set "public_url" (or OTPGATE_PUBLIC_URL) to the https address carriers reach this gateway at')
      : ok('public_url', 'not set (no configured carrier posts receipts over HTTP)');
  let u: URL;
  try {
    u = new URL(config.public_url);
  } catch {
    return fail('public_url', `"${config.public_url}" is not a URL`, 'use an absolute URL like https://otp.example.com');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return fail('public_url', `"${config.public_url}" is not http(s)`, 'use https://…');
  try {
    const res = await fetch(new URL('/healthz', u), { signal: AbortSignal.timeout(timeoutMs) });
    const body = res.ok ? ((await res.json().catch(() => ({}))) as { status?: string }) : {};
    if (body.status !== 'ok') return warn('public_url', `${u.origin}/healthz answered HTTP ${res.status}, not otpgate`, 'point public_url (and the proxy in front) at this gateway');
  } catch (e) {
    return warn('public_url', `${u.origin} did not answer (${(e as Error).message}); fine if the gateway is not running yet`, 'start the gateway, then run doctor again; check DNS and the proxy');
  }
  if (u.protocol === 'http:') return warn('public_url', `${u.origin} answers, over plain http`, 'serve it over https: carriers sign callbacks, but the codes and keys travel in the clear');
  return ok('public_url', `${u.origin} answers as otpgate`);
}

/** A URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** The report as printed: one line per check, the fix indented under each problem. */
export function formatReport(findings: Finding[]): string {
  const mark = { ok: '✓', warn: '!', fail: '✗' };
  const lines = findings.flatMap((f) => [`${mark[f.verdict]} ${f.check}: ${f.detail}`, ...(f.fix && f.verdict !== 'ok' ? [`    fix: ${f.fix}`] : [])]);
  const failed = findings.filter((f) => f.verdict === 'fail').length;
  const warned = findings.filter((f) => f.verdict === 'warn').length;
  lines.push(failed ? `${failed} problem${failed === 1 ? '' : 's'} to fix${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}` : `all good${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`);
  return lines.join('\n');
}
