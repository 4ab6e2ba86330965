/**
 * The real gateway as a child process (`node bin/otpgate.mjs start`) on a free port and a temp
 * data dir: waits for the ready line of its JSON log, and picks the bootstrap API key out of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { databaseEnv, dropDatabaseForDir } from '../helpers/db.ts';

export const BIN = fileURLToPath(new URL('../../bin/otpgate.mjs', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Set when this start created the dev account. */
  apiKey?: string;
  /** What the process reports from entering startServer to listening. */
  readyMs: number;
  /** From spawn to the ready line, as the test saw it (TS compile included). */
  wallMs: number;
  log: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The environment a child gets: ours minus anything that would point it elsewhere. On a
 * PostgreSQL run, callers add databaseEnv(dataDir) (startServer does).
 */
export function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(OTPGATE_|DATABASE_URL$|PORT$|HOST$|NODE_ENV$|LOG_LEVEL$|REDIS_URL$)/.test(k)) env[k] = v;
  return { ...env, OTPGATE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...extra };
}

export function tempDir(t: { after(fn: () => unknown): void }, prefix = 'otpgate-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabaseForDir(dir);
  });
  return dir;
}

export async function startServer(dataDir: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ServerProcess> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'start'], { cwd: dataDir, env: childEnv(dataDir, { ...(await databaseEnv(dataDir)), ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const log: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ready = new Promise<ServerProcess>((resolve, reject) => {
    let apiKey: string | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        return; // not a log line
      }
      log.push(entry);
      if (typeof entry.api_key === 'string') apiKey = entry.api_key;
      if (typeof entry.url === 'string')
        resolve({ child, url: entry.url, apiKey, readyMs: Number(entry.ms), wallMs: performance.now() - t0, log, exited });
    });
    void exited.then(({ code, signal }) => reject(new Error(`otpgate exited (${code ?? signal}) before it was ready:\n${stderr}${JSON.stringify(log)}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`otpgate not ready within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
  });
  try {
    return await Promise.race([ready, timeout]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a server with a signal and waits for it to exit. */
export async function stop(s: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill(signal);
  return s.exited;
}

export async function api(s: ServerProcess, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(new URL(path, s.url), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
