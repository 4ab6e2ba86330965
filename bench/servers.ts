/** Child processes for benches: the bare Fastify baseline and a real otpgate, pinned to one core where taskset exists. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

function pinned(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [c, a] = hasTaskset ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
  return spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

const stop = (child: ChildProcess) => () =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
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

/** A real otpgate process on a fresh data dir; resolves with its dev API key. */
export async function startOtpgate(config: Record<string, unknown> = {}): Promise<Running & { key: string; dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ log_level: 'warn', ...config }));
  const child = pinned(process.execPath, [join(import.meta.dirname, '..', 'bin', 'otpgate.mjs'), 'start'], {
    PORT: String(port),
    OTPGATE_DATA_DIR: dataDir,
    OTPGATE_CONFIG: configFile,
    LOG_LEVEL: 'info',
  });
  const [, key] = await waitFor(child, /"api_key":"(otpg_[A-Za-z0-9_-]+)"/);
  await waitFor(child, /otpgate ready/);
  return { url: `http://127.0.0.1:${port}`, child, key, dataDir, stop: stop(child) };
}
