/**
 * npm run bench:accept — otpgate's accept and check paths against a bare Fastify POST→JSON server,
 * both on one core (taskset), loaded by autocannon from this process (-c 50, 10 s, 3 rounds).
 * Prints req/s, p50/p99 and the ratios; then otpgate's latency at half of bare's rate.
 * The abuse decision (src/abuse/) is measured in the same run: accept with every check on (limits
 * out of reach, so each send pays for the whole decision and none is refused), with it off, and
 * with its counters in Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379; skipped when down).
 * BENCH_SECONDS and BENCH_ROUNDS shorten it.
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LIMIT_NAMES } from '../src/config.ts';
import { hasTaskset, startBare, startOtpgate } from './servers.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = 50;

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, path: string, body: (i: number) => unknown, headers: Record<string, string>, rate?: number): Promise<Figures> {
  let i = 0;
  const r = await autocannon({
    url: url + path,
    method: 'POST',
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(body(i++)) }) }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function best(run: () => Promise<Figures>): Promise<Figures[]> {
  const out: Figures[] = [];
  for (let k = 0; k < rounds; k++) out.push(await run());
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = (f: Figures[]) => ({ rps: median(f.map((x) => x.rps)), p50: median(f.map((x) => x.p50)), p99: median(f.map((x) => x.p99)), non2xx: f.reduce((s, x) => s + x.non2xx, 0) });
const fmt = (name: string, s: ReturnType<typeof summary>) =>
  `${name.padEnd(28)} ${s.rps.toFixed(0).padStart(7)} req/s   p50 ${String(s.p50).padStart(3)} ms   p99 ${String(s.p99).padStart(3)} ms   non-2xx ${s.non2xx}`;

// Nepal mobiles 98400xxxxx…: a distinct number per request, so no resend cooldown interferes.
let n = 0;
const sendBody = () => ({ to: `+977984${String(n++).padStart(7, '0')}`, channel: 'sms' });

console.log(`bench:accept  ${rounds} rounds × ${seconds} s, -c ${connections}, server pinned to one core: ${hasTaskset ? 'yes (taskset -c 0)' : 'no (taskset missing)'}`);

const bare = await startBare();
const bareAccept = summary(await best(() => load(bare.url, '/v1/verifications', sendBody, {})));
const bareCheck = summary(await best(() => load(bare.url, '/v1/verifications/check', () => ({ id: 'x', code: '000000' }), {})));
await bare.stop();

// Log level warn, like the bare server that logs nothing (at info Fastify logs every request).
const prices = [{ prefix: '', channel: 'sms', price: 1 }, { prefix: '', channel: 'voice', price: 1 }];
// max_attempts 100: every wrong guess of the check rounds is counted, none meets a capped verification.
// Every abuse check runs (velocity off: the bench account never reports approvals and sends to one prefix).
const abuseOn = { limits: Object.fromEntries(LIMIT_NAMES.map((name) => [name, { points: 1_000_000_000 }])), pumping: { velocity_max: 0 } };
const og = await startOtpgate({ prices, verify: { max_attempts: 100 }, abuse: abuseOn }, 'warn');
const auth = { authorization: `Bearer ${og.key}` };
const accept = summary(await best(() => load(og.url, '/v1/verifications', sendBody, auth)));
const db = new Database(join(og.dataDir, 'otpgate.db'), { readonly: true });
const ids = db.prepare('select id from verifications').pluck().all() as string[];
const delivered = db.prepare("select count(*) from messages where status = 'delivered'").pluck().get() as number;
db.close();
// Wrong codes, round-robin: each verification takes a few guesses of its 100.
const check = summary(await best(() => load(og.url, '/v1/verifications/check', (i) => ({ id: ids[i % ids.length], code: '000000' }), auth)));
const half = summary([await load(og.url, '/v1/verifications', sendBody, auth, Math.round(bareAccept.rps / 2))]);
await og.stop();

// The same accept path with the dispatcher off: what the durable accept costs without the
// delivery pipeline (claim, dev inbox, receipt) sharing its core.
const acceptOnly = await startOtpgate({ prices, dispatch: { enabled: false }, abuse: abuseOn }, 'warn');
const acceptAlone = summary(await best(() => load(acceptOnly.url, '/v1/verifications', sendBody, { authorization: `Bearer ${acceptOnly.key}` })));
await acceptOnly.stop();

// The abuse decision's cost, on the accept path alone (dispatcher off, as the row above, whose
// abuse checks are on): the same with them off, and with their counters in Redis.
const noAbuse = await startOtpgate({ prices, dispatch: { enabled: false }, abuse: { enabled: false } }, 'warn');
const acceptNoAbuse = summary(await best(() => load(noAbuse.url, '/v1/verifications', sendBody, { authorization: `Bearer ${noAbuse.key}` })));
await noAbuse.stop();
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisPrefix = `bench:${randomBytes(4).toString('hex')}:`;
let acceptRedis: ReturnType<typeof summary> | undefined;
const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
if (await probe.connect().then(() => true, () => false)) {
  const withRedis = await startOtpgate({ prices, dispatch: { enabled: false }, redis_url: redisUrl, abuse: { ...abuseOn, redis_prefix: redisPrefix } }, 'warn');
  acceptRedis = summary(await best(() => load(withRedis.url, '/v1/verifications', sendBody, { authorization: `Bearer ${withRedis.key}` })));
  await withRedis.stop();
  for (let cursor = '0'; ; ) {
    const [next, keys] = await probe.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
    if (keys.length) await probe.del(...keys);
    if ((cursor = next) === '0') break;
  }
}
probe.disconnect();

console.log(fmt('bare POST→JSON (send)', bareAccept));
console.log(fmt('otpgate POST /v1/verifications', accept));
console.log(fmt('  … with the dispatcher off', acceptAlone));
console.log(fmt('  … dispatcher off, abuse off', acceptNoAbuse));
if (acceptRedis) console.log(fmt('  … dispatcher off, Redis', acceptRedis));
console.log(fmt('bare POST→JSON (check)', bareCheck));
console.log(fmt('otpgate check', check));
console.log(fmt(`otpgate send @ ${Math.round(bareAccept.rps / 2)}/s`, half));
console.log(`ratio accept  otpgate/bare = ${(accept.rps / bareAccept.rps).toFixed(2)}  (goal ≥ 0.50)`);
console.log(`abuse checks: accept with/without = ${(acceptAlone.rps / acceptNoAbuse.rps).toFixed(2)} (memory counters)${acceptRedis ? `, ${(acceptRedis.rps / acceptNoAbuse.rps).toFixed(2)} (Redis counters)` : ', Redis not reachable'}`);
console.log(`ratio accept without delivery work otpgate/bare = ${(acceptAlone.rps / bareAccept.rps).toFixed(2)}`);
console.log(`ratio check   otpgate/bare = ${(check.rps / bareCheck.rps).toFixed(2)}  (goal ≥ 0.50)`);
console.log(`p99 at half of bare's rate = ${half.p99} ms (goal ≤ 10 ms); verifications checked from: ${ids.length}; delivered by the dev inbox during the send rounds: ${delivered}`);
