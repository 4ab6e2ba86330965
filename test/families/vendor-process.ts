/**
 * For the vendor SDK suites: a real otpgate process (test/e2e/server-process.ts), vendor
 * credentials issued by the real CLI (`otpgate keys create --family …` on the same data dir), and
 * the dev inbox read over HTTP, as a developer following the README would.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, childEnv, type ServerProcess, startServer, tempDir, until } from '../e2e/server-process.ts';
import { databaseEnv } from '../helpers/db.ts';

const run = promisify(execFile);

export interface InboxItem {
  message_id: string;
  to: string;
  channel: string;
  text: string;
  code: string | null;
}

/** A server on a temp dir with `config` as its otpgate.json, on the dir's test database (test/helpers/db.ts). */
export async function vendorServer(t: { after(fn: () => unknown): void }, config: Record<string, unknown> = {}): Promise<{ s: ServerProcess; dir: string }> {
  const dir = tempDir(t, 'otpgate-vendor-');
  const file = join(dir, 'otpgate.json');
  // No database_url in the file: the config file beats OTPGATE_DATA_DIR's default, so startServer and
  // keysCreate both reach the dir's test database through DATABASE_URL (SQLite file or PostgreSQL).
  writeFileSync(file, JSON.stringify(config));
  const s = await startServer(dir, { OTPGATE_CONFIG: file });
  return { s, dir };
}

/** Runs `otpgate keys create --family <family> …` against the server's data dir; its stdout. */
export async function keysCreate(dir: string, family: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, 'keys', 'create', '--family', family, ...args], {
    cwd: dir,
    env: childEnv(dir, { ...(await databaseEnv(dir)), OTPGATE_CONFIG: join(dir, 'otpgate.json') }),
  });
  return stdout;
}

/** The value printed after `label` on its own line of the CLI's output. */
export function field(out: string, label: string): string {
  const m = new RegExp(`^\\s*${label}\\s+(\\S+)\\s*$`, 'm').exec(out);
  if (!m) throw new Error(`no "${label}" in:\n${out}`);
  return m[1];
}

/** The newest dev inbox message to `to` on `channel` that is not in `seen` (message ids). */
export async function nextInbox(s: ServerProcess, to: string, channel: string, seen: Set<string> = new Set(), waitMs = 20_000): Promise<InboxItem> {
  const item = await until(`a ${channel} to ${to} in the dev inbox`, async () => {
    const res = await fetch(new URL(`/inbox/api/messages?to=${encodeURIComponent(to)}&limit=50`, s.url));
    const data = (await res.json()).data as InboxItem[];
    return data.find((i) => i.to === to && i.channel === channel && !seen.has(i.message_id));
  }, waitMs);
  seen.add(item.message_id);
  return item;
}
