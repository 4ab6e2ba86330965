/**
 * npm run bench:e2e — BENCH_N codes (default 20,000) accepted over HTTP and carried through to
 * delivered by otpgate → SMPP → the SMSC simulator; then, where Debian's `kannel` is installed,
 * the same load through Kannel's sendsms → the same simulator with dlr-url.
 * Servers (otpgate, Kannel's boxes) are pinned to core 0, the simulator and this client to core 1.
 * Prints accepted/s, delivered/s, p99 accept→delivered, peak RSS, server CPU per message (which
 * a busy machine does not distort as it does the rates), lost, and the ratios otpgate/Kannel.
 * BENCH_CONNECTIONS (50, both) and BENCH_WINDOW (50, the SMPP window of both) tune it;
 * BENCH_MAX_SECONDS bounds the whole run. Loopback only; every process it starts ends with it.
 * Then the PostgreSQL runs (BENCH_PG=0 leaves them out): 1 and 3 instances on one database,
 * printing PostgreSQL/SQLite and 3/1.
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { FINAL_MESSAGE_STATUSES } from '../src/core/status.ts';
import { idleLine, idleRssMb } from './idle.ts';
import { hasKannel, startDlrReceiver, startKannel } from './kannel.ts';
import { LIMIT_NAMES } from '../src/config.ts';
import { openDatabase } from '../src/store/dialect.ts';
import { benchDatabase, cpuSeconds, hasTaskset, peakRssMb, setWebhook, startCluster, startOtpgate, startSmsc, startWebhookReceiver, type SmscReport, type WebhookReceiver } from './servers.ts';

const N = Number(process.env.BENCH_N ?? 20_000);
/**
 * The webhook filter of otpgate's account: the final status only (default), as the Kannel run's
 * dlr-mask=1 asks for the final DLR only; BENCH_WEBHOOK_EVENTS=all POSTs every status change.
 */
const webhookEvents = process.env.BENCH_WEBHOOK_EVENTS === 'all' ? null : ['message.final'];
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const window = Number(process.env.BENCH_WINDOW ?? 50);
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 120 + N / 20);
setTimeout(() => {
  console.error(`bench:e2e gave up after ${maxSeconds} s (BENCH_MAX_SECONDS)`);
  process.exit(1);
}, maxSeconds * 1000).unref();
// The servers run what `npm start` runs: the bundle (bin/build.mjs), not the sources through tsx.
spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'build.mjs')], { stdio: 'inherit' });
// This client shares core 1 with the simulator, off the servers' core.
if (hasTaskset) spawnSync('taskset', ['-apc', '1', String(process.pid)]);
/** Give up waiting for final statuses after this long without progress. */
const STALL_MS = 15_000;

interface Run {
  accepted: number;
  rejected: number;
  acceptPerSec: number;
  delivered: number;
  deliveredPerSec: number;
  p99: number;
  rssMb: number;
  /** Server CPU (user + system) per delivered message, from /proc: holds on a busy machine. */
  cpuMs: number;
  lost: number;
  neverReceived: number;
  /** Messages the SMSC received more than once (a resend after a lost submit_sm_resp). */
  duplicates: number;
  /** otpgate only: accepted messages whose final-status webhook never reached the receiver. */
  missingWebhooks?: number;
  /** otpgate only: messages whose final status was POSTed to the receiver more than once. */
  duplicateWebhooks?: number;
  /** otpgate only: webhook POSTs received in all (every status change), per message. */
  webhooksPerMessage?: number;
}

/**
 * What the receiver saw against the messages the store holds: delivered (first final webhook
 * saying delivered), its rate to the last one, latencies from the message's creation, and the
 * final webhooks missing or repeated. `created` maps message id → created_at (epoch ms).
 */
function webhookFigures(hooks: WebhookReceiver, created: Map<string, number>, started: number) {
  const latencies: number[] = [];
  let lastAt = started;
  let missing = 0;
  let repeated = 0;
  for (const [id, at] of created) {
    const finals = hooks.finals.get(id);
    if (!finals) {
      missing++;
      continue;
    }
    if (finals.length > 1) repeated++;
    if (finals[0] !== 'delivered') continue;
    const arrived = hooks.firstFinalAt.get(id)!;
    latencies.push(arrived - at);
    if (arrived > lastAt) lastAt = arrived;
  }
  return {
    delivered: latencies.length, deliveredPerSec: latencies.length / ((lastAt - started) / 1000), p99: p99(latencies),
    missingWebhooks: missing, duplicateWebhooks: repeated, webhooksPerMessage: hooks.total / Math.max(1, created.size),
  };
}

const duplicates = (r: SmscReport) => r.to.length - new Set(r.to).size;

// Nepal mobiles +977984xxxxxxx: a distinct number per request, so no resend cooldown interferes.
const number = (i: number) => `977984${String(i).padStart(7, '0')}`;

async function load(url: string, method: 'GET' | 'POST', headers: Record<string, string>, request: (i: number) => { path?: string; body?: string }, amount = N, conns = connections, first = 0) {
  let i = first;
  const started = Date.now();
  // Timed to the last response: autocannon itself resolves a while later.
  let lastAt = started;
  const r = await autocannon({
    url, method, connections: conns, amount, timeout: 30,
    headers,
    requests: [{ setupRequest: (req) => ({ ...req, ...request(i++) }), onResponse: () => void (lastAt = Date.now()) }],
  });
  const seconds = (lastAt - started) / 1000;
  return { started, ok: r['2xx'], rejected: r.non2xx + r.errors + r.timeouts, perSec: r['2xx'] / seconds };
}

/** Polls `progress` until it reaches `target` or stops moving for STALL_MS. */
async function until(target: number, progress: () => number): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const now = progress();
    if (now >= target) return;
    if (now !== last) [last, movedAt] = [now, Date.now()];
    if (Date.now() - movedAt > STALL_MS) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Every abuse check runs, as in bench:accept, with its limits raised past the bench's load (one
 * account sends N codes to one prefix) and velocity off (the bench never reports approvals).
 */
const abuseOn = { limits: Object.fromEntries(LIMIT_NAMES.map((name) => [name, { points: 1_000_000_000 }])), pumping: { velocity_max: 0 } };

const p99 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.99) - 1] : NaN);

async function runOtpgate(): Promise<Run> {
  const smsc = await startSmsc();
  const hooks = await startWebhookReceiver(FINAL_MESSAGE_STATUSES);
  const og = await startOtpgate(
    {
      dev_inbox: { enabled: false },
      providers: [{ name: 'sim', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', source_addr: 'OTPGate', window }],
      routes: [{ providers: [{ name: 'sim' }] }],
      // Twice the window in flight: the next submits are ready while the last results are recorded.
      dispatch: { concurrency: 2 * window, batch: window, poll_ms: 200 },
      abuse: abuseOn,
    },
    'warn',
  );
  const db = new Database(join(og.dataDir, 'otpgate.db'), { readonly: true });
  try {
    await setWebhook(og.url, og.key, hooks.url, webhookEvents);
    const cpu0 = cpuSeconds(og.child.pid);
    const auth = { authorization: `Bearer ${og.key}`, 'content-type': 'application/json' };
    const sent = await load(`${og.url}/v1/verifications`, 'POST', auth, (i) => ({ body: JSON.stringify({ to: `+${number(i)}`, channel: 'sms' }) }));
    const finals = db.prepare(`select count(*) from messages where status in (${FINAL_MESSAGE_STATUSES.map(() => '?').join()})`).pluck();
    // Done when every accepted message's final status has reached the receiver (Kannel: its DLR).
    await until(sent.ok, () => hooks.finals.size);
    const rssMb = peakRssMb(og.child.pid);
    const cpu = cpuSeconds(og.child.pid) - cpu0;
    const final = finals.get(...FINAL_MESSAGE_STATUSES) as number;
    const rows = db.prepare('select id, created_at, to_number from messages').all() as Array<{ id: string; created_at: number; to_number: string }>;
    const w = webhookFigures(hooks, new Map(rows.map((m) => [m.id, m.created_at])), sent.started);
    const to = rows.map((m) => m.to_number.replace(/^\+/, ''));
    await og.stop();
    const report = await smsc.stop();
    const got = new Set(report.to);
    return {
      accepted: sent.ok, rejected: sent.rejected, acceptPerSec: sent.perSec,
      ...w, rssMb, cpuMs: (1000 * cpu) / w.delivered,
      lost: sent.ok - final, neverReceived: to.filter((t) => !got.has(t)).length, duplicates: duplicates(report),
    };
  } finally {
    db.close();
    await og.stop();
    await smsc.stop().catch(() => undefined);
    await hooks.close();
  }
}

/**
 * The same load on PostgreSQL: `n` instances on one database (the SMPP binds, 1, shared by lease),
 * the N requests split over them. RSS and CPU are summed over the instances.
 */
async function runCluster(n: number): Promise<Run> {
  const smsc = await startSmsc();
  const hooks = await startWebhookReceiver(FINAL_MESSAGE_STATUSES);
  const database = await benchDatabase();
  const cluster = await startCluster(
    n,
    {
      dev_inbox: { enabled: false },
      providers: [{ name: 'sim', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', source_addr: 'OTPGate', window }],
      routes: [{ providers: [{ name: 'sim' }] }],
      dispatch: { concurrency: 2 * window, batch: window, poll_ms: 200 },
      abuse: abuseOn,
    },
    'warn',
    database.url,
  );
  const store = await openDatabase(database.url);
  try {
    await setWebhook(cluster.nodes[0]!.url, cluster.key, hooks.url, webhookEvents);
    const pids = cluster.nodes.map((x) => x.child.pid);
    const cpu0 = pids.reduce<number>((s, pid) => s + cpuSeconds(pid), 0);
    const auth = { authorization: `Bearer ${cluster.key}`, 'content-type': 'application/json' };
    const share = Math.ceil(N / n);
    const parts = await Promise.all(
      cluster.nodes.map((x, k) =>
        load(`${x.url}/v1/verifications`, 'POST', auth, (i) => ({ body: JSON.stringify({ to: `+${number(i)}`, channel: 'sms' }) }), Math.min(share, N - k * share), Math.ceil(connections / n), k * share),
      ),
    );
    const started = Math.min(...parts.map((p) => p.started));
    const ok = parts.reduce((s, p) => s + p.ok, 0);
    const finalCount = async () => Number((await store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('c')).where('status', 'in', [...FINAL_MESSAGE_STATUSES]).executeTakeFirstOrThrow()).c);
    await until(ok, () => hooks.finals.size);
    const rssMb = pids.reduce<number>((s, pid) => s + peakRssMb(pid), 0);
    const cpu = pids.reduce<number>((s, pid) => s + cpuSeconds(pid), 0) - cpu0;
    const final = await finalCount();
    const rows = await store.db.selectFrom('messages').select(['id', 'created_at', 'to_number']).execute();
    const w = webhookFigures(hooks, new Map(rows.map((m) => [m.id, m.created_at])), started);
    const to = rows.map((m) => m.to_number.replace(/^\+/, ''));
    await cluster.stop();
    const report = await smsc.stop();
    const got = new Set(report.to);
    return {
      accepted: ok, rejected: parts.reduce((s, p) => s + p.rejected, 0), acceptPerSec: ok / ((Math.max(...parts.map((p) => p.started + (p.ok / p.perSec) * 1000)) - started) / 1000),
      ...w, rssMb, cpuMs: (1000 * cpu) / w.delivered,
      lost: ok - final, neverReceived: to.filter((t) => !got.has(t)).length, duplicates: duplicates(report),
    };
  } finally {
    await hooks.close();
    await store.close();
    await cluster.stop();
    await smsc.stop().catch(() => undefined);
    await database.drop();
  }
}

async function runKannel(): Promise<Run> {
  const smsc = await startSmsc();
  const dlr = await startDlrReceiver();
  try {
    const kannel = await startKannel({ smscPort: smsc.port, window });
    const kannelCpu = () => kannel.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    try {
      const cpu0 = kannelCpu();
      const sent = await load(kannel.url, 'GET', {}, (i) => {
        const q = new URLSearchParams({
          username: 'bench', password: 'bench', from: 'OTPGate', to: number(i),
          text: `Your verification code is ${String(randomInt(1e6)).padStart(6, '0')}. It expires in 10 minutes.`,
          'dlr-mask': '1', 'dlr-url': `${dlr.url}?i=${i}&t=${Date.now()}&s=%d`,
        });
        return { path: `/cgi-bin/sendsms?${q}` };
      });
      await until(sent.ok, () => dlr.delivered.size);
      const rssMb = kannel.pids.reduce((sum, pid) => sum + peakRssMb(pid), 0);
      const cpu = kannelCpu() - cpu0;
      await kannel.stop();
      const report = await smsc.stop();
      const delivered = dlr.delivered.size;
      return {
        accepted: sent.ok, rejected: sent.rejected, acceptPerSec: sent.perSec,
        delivered, deliveredPerSec: delivered / ((dlr.lastAt - sent.started) / 1000),
        p99: p99([...dlr.delivered.values()]), rssMb, cpuMs: (1000 * cpu) / delivered,
        lost: sent.ok - delivered - dlr.other, neverReceived: Math.max(0, sent.ok - new Set(report.to).size), duplicates: duplicates(report),
      };
    } finally {
      await kannel.stop();
    }
  } finally {
    await dlr.close();
    await smsc.stop().catch(() => undefined);
  }
}

const ROWS: Array<[string, (r: Run) => string]> = [
  ['accepted (2xx)', (r) => String(r.accepted)],
  ['not 2xx / errors', (r) => String(r.rejected)],
  ['accepted/s', (r) => r.acceptPerSec.toFixed(0)],
  ['delivered', (r) => String(r.delivered)],
  ['delivered/s', (r) => r.deliveredPerSec.toFixed(0)],
  ['p99 accept→delivered ms', (r) => r.p99.toFixed(0)],
  ['peak RSS MB', (r) => r.rssMb.toFixed(0)],
  ['server CPU ms/message', (r) => r.cpuMs.toFixed(2)],
  ['lost (accepted, not final)', (r) => String(r.lost)],
  ['never reached the SMSC', (r) => String(r.neverReceived)],
  ['duplicates at the SMSC', (r) => String(r.duplicates)],
  ['final webhook/DLR missing', (r) => String(r.missingWebhooks ?? r.lost)],
  ['final webhook duplicated', (r) => (r.duplicateWebhooks === undefined ? '-' : String(r.duplicateWebhooks))],
  ['webhook POSTs per message', (r) => (r.webhooksPerMessage === undefined ? '1' : r.webhooksPerMessage.toFixed(2))],
];

/** One goal line: the figure, the goal and whether it is met (issue 13, goal P2). */
const goal = (name: string, value: number, digits: number, op: '≥' | '≤', target: number, unit = '') =>
  `${name.padEnd(44)} ${value.toFixed(digits).padStart(8)}${unit}  goal ${op} ${target}${unit}  ${(op === '≥' ? value >= target : value <= target) ? 'met' : 'NOT MET'}`;

/** The P2 goals for one otpgate run (ratio to Kannel where there is a Kannel run). */
function goals(label: string, r: Run, k?: Run): string[] {
  const lines = [`goals (issue 13, P2) for ${label}:`];
  if (k) lines.push(goal('  delivered/s otpgate/Kannel', r.deliveredPerSec / k.deliveredPerSec, 2, '≥', 1.5));
  lines.push(
    goal('  server CPU per message', r.cpuMs, 3, '≤', 0.3, ' ms'),
    goal('  peak RSS', r.rssMb, 0, '≤', 160, ' MB'),
    goal('  lost (not final, or never at the SMSC)', r.lost + r.neverReceived, 0, '≤', 0),
    goal('  duplicates at the SMSC', r.duplicates, 0, '≤', 0),
    goal('  final-status webhooks missing', r.missingWebhooks ?? 0, 0, '≤', 0),
    goal('  final-status webhooks duplicated', r.duplicateWebhooks ?? 0, 0, '≤', 0),
  );
  return lines;
}
const faulty = (r: Run) => r.lost + r.neverReceived + r.duplicates + (r.missingWebhooks ?? 0) + (r.duplicateWebhooks ?? 0) > 0;
const table = (runs: Array<[string, Run]>) =>
  [['', ...runs.map(([name]) => name)], ...ROWS.map(([label, f]) => [label, ...runs.map(([, r]) => f(r))])]
    .map(([label, ...cells]) => label.padEnd(28) + cells.map((c) => c.padStart(10)).join(''))
    .join('\n');

console.log(`bench:e2e  N=${N}, -c ${connections} for both, SMPP window ${window} on one bind for both, servers pinned to core 0: ${hasTaskset ? 'yes' : 'no (taskset missing)'}`);
// Idle first: a fresh start, before any load has grown anything (bench/idle.ts).
const idle = await idleRssMb();
const og = await runOtpgate();
if (!hasKannel) {
  console.log(table([['otpgate', og]]));
  console.log('Kannel is not installed (apt-get install kannel): no baseline, otpgate figures only.');
} else {
  const k = await runKannel();
  console.log(table([['otpgate', og], ['Kannel', k]]));
  console.log(`Kannel: HTTP GET sendsms with the same ${connections} connections as otpgate's POSTs; dlr-mask=1, p99 from the request to its DLR at our dlr-url; RSS and CPU = bearerbox + smsbox.`);
  console.log(`otpgate: its account has a native status webhook to a local receiver (Kannel's dlr-url), events ${webhookEvents ? webhookEvents.join(',') : 'all'} (BENCH_WEBHOOK_EVENTS=all for every change); delivered/s and p99 run to the arrival of each message's final-status webhook.`);
  console.log(`ratio CPU per message        Kannel/otpgate = ${(k.cpuMs / og.cpuMs).toFixed(2)}  (the delivered/s ratio when both are CPU-bound on their core)`);
  console.log(goals('otpgate (SQLite)', og, k).join('\n'));
}
if (!hasKannel) console.log(goals('otpgate (SQLite)', og).join('\n'));
if (process.env.BENCH_PG !== '0') {
  const pg1 = await runCluster(1);
  const pg3 = await runCluster(3);
  console.log(table([['SQLite', og], ['PG ×1', pg1], ['PG ×3', pg3]]));
  console.log(`ratio delivered/s            PostgreSQL/SQLite (1 instance each) = ${(pg1.deliveredPerSec / og.deliveredPerSec).toFixed(2)}`);
  console.log(`ratio delivered/s            PostgreSQL 3 instances/1 = ${(pg3.deliveredPerSec / pg1.deliveredPerSec).toFixed(2)}  (one bind in all, leased; 2 cores shared)`);
  console.log(goals('PostgreSQL ×1', pg1).join('\n'));
  console.log(goals('PostgreSQL ×3 (RSS and CPU summed over the 3)', pg3).join('\n'));
  if (faulty(pg1) || faulty(pg3)) process.exitCode = 1;
}
console.log(`goal (issue 13, Idle): node bin/otpgate.mjs start, fresh data dir, default config, after /readyz and 2 s idle:\n${idleLine(idle)}`);
// A lost message (or webhook) is a fault, not a slow figure.
if (faulty(og)) process.exitCode = 1;
