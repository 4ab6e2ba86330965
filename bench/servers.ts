/**
 * Child processes for benches: the bare Fastify baseline, a real otpgate and the SMSC simulator,
 * each pinned to one core where taskset exists (servers on core 0, peers on core 1).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// A bench that dies or gives up must not leave servers behind.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** taskset execs the command, so the child's pid is the server's own (for /proc/<pid>/status). */
export function pinned(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, core = 0): ChildProcess {
  const [c, a] = hasTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function waitFor(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (buf += d.toString()));
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before ready:\n${buf}`)));
  });
}

export interface Running {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export const stop = (child: ChildProcess) => () =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** The baseline: Fastify, one POST route that parses JSON and answers JSON, nothing else. */
export async function startBare(): Promise<Running> {
  const port = await freePort();
  const child = pinned(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bare-server.ts')], { PORT: String(port) });
  await waitFor(child, /listening/);
  return { url: `http://127.0.0.1:${port}`, child, stop: stop(child) };
}

const otpgateBin = join(import.meta.dirname, '..', 'bin', 'otpgate.mjs');

async function untilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`otpgate did not become ready (exit code ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A real otpgate process on a fresh data dir, with a key for its dev account (made by
 * `otpgate keys create`, so any log level works: at info Fastify logs every request).
 * `opts.env` adds to its environment (DATABASE_URL, OTPGATE_SECRET for scale-out runs); `opts.core`
 * pins it elsewhere than core 0; `opts.key` reuses a key (another instance on the same database).
 */
export async function startOtpgate(
  config: Record<string, unknown> = {},
  logLevel = 'info',
  opts: { env?: Record<string, string>; core?: number; key?: string } = {},
): Promise<Running & { key: string; dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ log_level: logLevel, ...config }));
  const env: Record<string, string> = { PORT: String(port), OTPGATE_DATA_DIR: dataDir, OTPGATE_CONFIG: configFile, LOG_LEVEL: logLevel, ...opts.env };
  // BENCH_PROFILE_DIR: each otpgate server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = pinned(process.execPath, [...profile, otpgateBin, 'start'], env, opts.core ?? 0);
  child.stdout!.resume();
  child.stderr!.resume();
  const url = `http://127.0.0.1:${port}`;
  await untilReady(url, child);
  const keys = opts.key ? undefined : spawnSync(process.execPath, [otpgateBin, 'keys', 'create'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const key = opts.key ?? /otpg_[A-Za-z0-9_-]+/.exec(keys!.stdout)?.[0];
  if (!key) throw new Error(`otpgate keys create gave no key:\n${keys?.stdout}${keys?.stderr}`);
  const stopped = stop(child);
  return { url, child, key, dataDir, stop: () => stopped().then(() => rmSync(dataDir, { recursive: true, force: true })) };
}

/** Peak resident set (VmHWM) of a live process, in MB; NaN when /proc has no such process. */
export function peakRssMb(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system) a live process has used so far, in seconds: on a shared machine the
 * CPU cost per message holds where the wall-clock rates do not.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th, in ticks.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return NaN;
  }
}
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** What the simulator received, written by its --report switch when it stops. */
export interface SmscReport {
  stats: { accepted: number; throttled: number; drops: number; receipts_sent: number; receipts_acked: number };
  to: string[];
}

/** The SMSC simulator (tools/smsc/main.ts) on a free port, every receipt DELIVRD; stop() resolves with its report. */
export async function startSmsc(): Promise<{ port: number; child: ChildProcess; stop(): Promise<SmscReport> }> {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-smsc-'));
  const report = join(dir, 'report.json');
  const cli = join(import.meta.dirname, '..', 'tools', 'smsc', 'main.ts');
  // --outcome replaces the default undeliverable suffixes (0, 9): every bench number is delivered.
  const args = ['--import', 'tsx', cli, '--port', '0', '--outcome', '0=DELIVRD', '--report', report];
  const child = pinned(process.execPath, args, {}, 1);
  const [, port] = await waitFor(child, /listening on [\d.]+:(\d+)/);
  let stopped: Promise<SmscReport> | undefined;
  const stopOnce = async () => {
    await stop(child)();
    const written = JSON.parse(readFileSync(report, 'utf8')) as SmscReport;
    rmSync(dir, { recursive: true, force: true });
    return written;
  };
  return { port: Number(port), child, stop: () => (stopped ??= stopOnce()) };
}

/**
 * A fresh PostgreSQL database for one scale-out run (BENCH_PG_URL, default the local `test`
 * server's), dropped by drop(). Fails, rather than skipping, when PostgreSQL is down.
 */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const admin = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `otpgate_bench_${process.pid}_${Date.now()}`;
  const run = async (statement: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

/**
 * `n` otpgate instances on one PostgreSQL database (one secret, one key), spread over the two
 * cores (instance i on core i mod 2; one instance stays on core 0 like the SQLite runs).
 */
export async function startCluster(n: number, config: Record<string, unknown>, logLevel: string, url: string): Promise<{ nodes: Array<Running & { key: string }>; key: string; stop(): Promise<void> }> {
  const env = { DATABASE_URL: url, OTPGATE_SECRET: 'bench-secret-bench-secret-bench-secret-01' };
  const first = await startOtpgate(config, logLevel, { env, core: 0 });
  const nodes: Array<Running & { key: string }> = [first];
  for (let i = 1; i < n; i++) nodes.push(await startOtpgate(config, logLevel, { env, core: i % 2, key: first.key }));
  return { nodes, key: first.key, stop: async () => void (await Promise.all(nodes.map((x) => x.stop()))) };
}

/**
 * What a status-webhook receiver saw: for each message id, the final statuses that reached it
 * (a message with two is a duplicate webhook), with the arrival time (epoch ms) of the first.
 */
export interface WebhookReceiver {
  url: string;
  /** message id → final statuses received, in arrival order. */
  finals: Map<string, string[]>;
  /** message id → arrival (epoch ms) of its first final-status webhook. */
  firstFinalAt: Map<string, number>;
  /** Webhook POSTs received in all (every status change of messages and verifications). */
  total: number;
  lastAt: number;
  close(): Promise<void>;
}

/**
 * otpgate's equivalent of Kannel's dlr-url receiver: a local HTTP server that answers 200 to
 * every POST and records the native-format `message.status` webhooks whose status is final
 * (`finalStatuses`). Signatures are not checked: the bench measures the path, tests check them.
 */
export async function startWebhookReceiver(finalStatuses: readonly string[]): Promise<WebhookReceiver> {
  const { createServer: createHttpServer } = await import('node:http');
  const final = new Set(finalStatuses);
  const r: Omit<WebhookReceiver, 'url' | 'close'> = { finals: new Map(), firstFinalAt: new Map(), total: 0, lastAt: 0 };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      r.total++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { type?: string; data?: { message?: { id: string; status: string } } };
        const m = body.data?.message;
        if (body.type === 'message.status' && m && final.has(m.status)) {
          const seen = r.finals.get(m.id);
          if (seen) seen.push(m.status);
          else {
            r.finals.set(m.id, [m.status]);
            r.firstFinalAt.set(m.id, now);
          }
          r.lastAt = now;
        }
      } catch {
        // Not JSON: counted in total only.
      }
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hooks/otp`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

/**
 * Points the account of `key` at `url` for status webhooks (PUT /v1/webhook, native body).
 * `events` is the filter (null = every status change); bench:e2e asks for the final status only,
 * as its Kannel run asks dlr-mask=1.
 */
export async function setWebhook(baseUrl: string, key: string, url: string, events: string[] | null = null): Promise<void> {
  const res = await fetch(`${baseUrl}/v1/webhook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, format: 'native', events }),
  });
  if (!res.ok) throw new Error(`PUT /v1/webhook answered ${res.status}: ${await res.text()}`);
}
