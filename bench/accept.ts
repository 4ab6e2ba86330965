/**
 * npm run bench:accept — otpgate's accept and check paths against two baselines in the same run,
 * every server on one core (taskset), loaded by autocannon from this process (-c 50, 10 s, 3 rounds):
 * bare Fastify POST→JSON (the ceiling of the HTTP stack) and the yardstick (bench/yardstick-server.ts:
 * a lean durable accept writing the same rows with the same crypto and hand-written prepared
 * statements, issue 13 P1). Prints req/s, p50/p99, the ratios with their goals (met / not met), and
 * the p99 of sends at half of otpgate's own capacity with delivery (dispatcher on: a saturated
 * round's accepted sends ÷ the round plus the time to deliver what it left), begun once the
 * dispatcher has delivered the backlog of the rounds before, under an evenly paced open-loop load
 * (bench/paced.ts; half the burst rate, and autocannon's bursty rate mode, are printed beside it).
 * Before the ratios it checks the yardstick writes what otpgate's send writes (rows per send in
 * verifications, messages, message_events, ledger, and the balance debit), so the ratio is honest.
 * The abuse decision (src/abuse/) is measured in the same run: accept with every check on (limits
 * out of reach, so each send pays for the whole decision and none is refused), with it off, and
 * with its counters in Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379; skipped when down).
 * Then the scale-out runs: the same accept load on PostgreSQL (BENCH_PG_URL), one instance and
 * three on one database (the load split over them), printing PostgreSQL/SQLite and 3/1.
 * BENCH_SECONDS and BENCH_ROUNDS shorten it; BENCH_PG=0 leaves PostgreSQL out.
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LIMIT_NAMES } from '../src/config.ts';
import { FINAL_MESSAGE_STATUSES } from '../src/core/status.ts';
import { benchDatabase, hasTaskset, startBare, startCluster, startOtpgate } from './servers.ts';
import { startYardstick } from './yardstick.ts';
import { paced } from './paced.ts';

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

async function load(url: string, path: string, body: (i: number) => unknown, headers: Record<string, string>, rate?: number, conns = connections): Promise<Figures> {
  let i = 0;
  const r = await autocannon({
    url: url + path,
    method: 'POST',
    connections: conns,
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

/**
 * What the sends wrote, per verification: messages, their events, ledger charges, and the balance
 * taken (the account debited most: the bench's). Read from a SQLite file after a send run.
 */
function rowsPerSend(file: string): string {
  const d = new Database(file, { readonly: true });
  try {
    const one = (sql: string) => d.prepare(sql).pluck().get() as number;
    const v = one('select count(*) from verifications') || 1;
    const m = one('select count(*) from messages');
    // The first event of each message ('queued'); later ones are the dispatcher's.
    const e = one("select count(*) from message_events where status = 'queued'");
    const l = one("select count(*) from ledger where reason = 'message'");
    const charged = one("select coalesce(-sum(amount), 0) from ledger where reason = 'message'");
    const price = one('select coalesce(sum(price), 0) from messages');
    return `verifications 1, messages ${(m / v).toFixed(2)}, first events ${(e / v).toFixed(2)}, ledger ${(l / v).toFixed(2)}, debited = charged ${charged === price ? 'yes' : `NO (${charged} vs ${price})`}`;
  } finally {
    d.close();
  }
}

/**
 * Waits (up to 120 s) until no message of the SQLite file is left to deliver; returns how many
 * there were when it began and the seconds it took.
 */
async function drained(file: string): Promise<{ open: number; seconds: number }> {
  const d = new Database(file, { readonly: true });
  try {
    const left = d.prepare(`select count(*) from messages where status not in (${FINAL_MESSAGE_STATUSES.map((x) => `'${x}'`).join(', ')})`).pluck();
    const open = left.get() as number;
    const t0 = Date.now();
    while ((left.get() as number) > 0 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 250));
    return { open, seconds: (Date.now() - t0) / 1000 };
  } finally {
    d.close();
  }
}

const bare = await startBare();
const bareAccept = summary(await best(() => load(bare.url, '/v1/verifications', sendBody, {})));
const bareCheck = summary(await best(() => load(bare.url, '/v1/verifications/check', () => ({ id: 'x', code: '000000' }), {})));
await bare.stop();

const yard = await startYardstick();
const yardAccept = summary(await best(() => load(yard.url, '/v1/verifications', sendBody, { authorization: `Bearer ${yard.key}` })));
const yardRows = rowsPerSend(yard.dbFile);
await yard.stop();

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
// Latency under a load it can carry (above capacity p99 only measures the queue): half of its
// capacity with delivery. A round at saturation accepts faster than the dispatcher on the same core
// delivers, so the burst rate is not a rate it can carry; capacity = what one saturated round
// accepted ÷ (the round + the time to deliver what it left). Each run starts once the backlog before
// it is delivered, or it measures the dispatcher draining it on the same core (CPU at 100%).
const ogFile = join(og.dataDir, 'otpgate.db');
const backlog = await drained(ogFile);
const capacityRound = await load(og.url, '/v1/verifications', sendBody, auth);
const capacityTail = await drained(ogFile);
const capacity = (capacityRound.rps * seconds) / (seconds + capacityTail.seconds);
const halfRate = Math.max(1, Math.round(capacity / 2));
// Paced: one request every 1/halfRate s, latency from its scheduled start (bench/paced.ts).
const pacedAt = async (rate: number) => {
  const r = await paced(og.url, '/v1/verifications', rate, seconds, () => JSON.stringify(sendBody()), auth);
  return { rps: r.rps, p50: r.p50, p99: r.p99, non2xx: r.non2xx + r.errors };
};
const half = await pacedAt(halfRate);
// What this line measured before, for comparison: half of the burst rate, which is above the
// capacity with delivery, so its p99 is mostly the queue; and autocannon's rate mode, which sends
// each connection's quota for the second back to back.
await drained(ogFile);
const halfBurstRate = Math.max(1, Math.round(accept.rps / 2));
const halfBurst = await pacedAt(halfBurstRate);
await drained(ogFile);
const halfBursts = summary([await load(og.url, '/v1/verifications', sendBody, auth, halfBurstRate)]);
await og.stop();

// The same accept path with the dispatcher off: what the durable accept costs without the
// delivery pipeline (claim, dev inbox, receipt) sharing its core.
const acceptOnly = await startOtpgate({ prices, dispatch: { enabled: false }, abuse: abuseOn }, 'warn');
const acceptAlone = summary(await best(() => load(acceptOnly.url, '/v1/verifications', sendBody, { authorization: `Bearer ${acceptOnly.key}` })));
const ogRows = rowsPerSend(join(acceptOnly.dataDir, 'otpgate.db'));
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

/** A ratio (or figure) beside its goal, and whether it is met. */
const goal = (label: string, value: number, op: '≥' | '≤', target: number, digits = 2) =>
  console.log(`${label.padEnd(52)} ${value.toFixed(digits).padStart(7)}   goal ${op} ${target}   ${(op === '≥' ? value >= target : value <= target) ? 'met' : 'NOT MET'}`);

console.log(fmt('bare POST→JSON (send)', bareAccept));
console.log(fmt('yardstick (lean durable accept)', yardAccept));
console.log(fmt('otpgate POST /v1/verifications', accept));
console.log(fmt('  … with the dispatcher off', acceptAlone));
console.log(fmt('  … dispatcher off, abuse off', acceptNoAbuse));
if (acceptRedis) console.log(fmt('  … dispatcher off, Redis', acceptRedis));
console.log(fmt('bare POST→JSON (check)', bareCheck));
console.log(fmt('otpgate check', check));
console.log(`capacity with delivery: ${capacityRound.rps.toFixed(0)} req/s for ${seconds} s, then ${capacityTail.seconds.toFixed(1)} s to deliver the ${capacityTail.open} left open = ${capacity.toFixed(0)} sends/s`);
console.log(fmt(`otpgate send @ ${halfRate}/s (half capacity)`, half));
console.log(fmt(`  … @ ${halfBurstRate}/s (half the burst rate)`, halfBurst));
console.log(fmt(`  … same, autocannon rate mode`, halfBursts));
console.log(`  (begun once the dispatcher had delivered the ${backlog.open} messages the rounds before left open: ${backlog.seconds.toFixed(1)} s)`);
console.log(`rows per send  otpgate:   ${ogRows}`);
console.log(`rows per send  yardstick: ${yardRows}`);
goal('P1 accept otpgate/yardstick, dispatcher off', acceptAlone.rps / yardAccept.rps, '≥', 0.8);
goal('P1 accept otpgate/yardstick, dispatcher on (same core)', accept.rps / yardAccept.rps, '≥', 0.5);
goal('P3 check  otpgate/bare', check.rps / bareCheck.rps, '≥', 0.5);
goal(`Latency p99 of sends at ${halfRate}/s, half capacity (ms)`, half.p99, '≤', 20, 0);
console.log(`ratio accept otpgate/bare = ${(accept.rps / bareAccept.rps).toFixed(2)} (dispatcher on), ${(acceptAlone.rps / bareAccept.rps).toFixed(2)} (off); yardstick/bare = ${(yardAccept.rps / bareAccept.rps).toFixed(2)}`);
console.log(`abuse checks: accept with/without = ${(acceptAlone.rps / acceptNoAbuse.rps).toFixed(2)} (memory counters)${acceptRedis ? `, ${(acceptRedis.rps / acceptNoAbuse.rps).toFixed(2)} (Redis counters)` : ', Redis not reachable'}`);
if (process.env.BENCH_PG !== '0') {
  // The same 50 connections split over the instances; figures summed (rates) or worst (latency).
  const loadAll = async (urls: string[], headers: Record<string, string>): Promise<Figures> => {
    const parts = await Promise.all(urls.map((u) => load(u, '/v1/verifications', sendBody, headers, undefined, Math.ceil(connections / urls.length))));
    return {
      rps: parts.reduce((s, p) => s + p.rps, 0),
      p50: Math.max(...parts.map((p) => p.p50)),
      p99: Math.max(...parts.map((p) => p.p99)),
      non2xx: parts.reduce((s, p) => s + p.non2xx, 0),
      errors: parts.reduce((s, p) => s + p.errors, 0),
    };
  };
  const pgRun = async (n: number) => {
    const database = await benchDatabase();
    try {
      // Abuse as the SQLite rows above (limits out of reach): default limits would refuse most of the load.
      const cluster = await startCluster(n, { prices, verify: { max_attempts: 100 }, abuse: abuseOn }, 'warn', database.url);
      try {
        return summary(await best(() => loadAll(cluster.nodes.map((x) => x.url), { authorization: `Bearer ${cluster.key}` })));
      } finally {
        await cluster.stop();
      }
    } finally {
      await database.drop();
    }
  };
  // A start that times out on a loaded machine (migrations on PostgreSQL) is reported, not fatal:
  // the SQLite figures above are already printed.
  const tryRun = (n: number) => pgRun(n).catch((e: unknown) => (console.log(`PostgreSQL, ${n} instance(s): run failed: ${(e as Error).message}`), undefined));
  const pg1 = await tryRun(1);
  const pg3 = await tryRun(3);
  if (pg1) console.log(fmt('PostgreSQL, 1 instance', pg1));
  if (pg3) console.log(fmt('PostgreSQL, 3 instances', pg3));
  if (pg1) console.log(`ratio accept  PostgreSQL/SQLite (1 instance each) = ${(pg1.rps / accept.rps).toFixed(2)} (dispatcher on), ${(pg1.rps / acceptAlone.rps).toFixed(2)} to SQLite with it off`);
  if (pg1 && pg3) console.log(`ratio accept  PostgreSQL 3 instances/1 = ${(pg3.rps / pg1.rps).toFixed(2)}  (2 cores shared by the instances, PostgreSQL and the load)`);
}
console.log(`verifications checked from: ${ids.length}; delivered by the dev inbox during the send rounds: ${delivered}`);
