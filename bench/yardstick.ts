/** Starts bench/yardstick-server.ts (the lean durable accept) as a pinned child on a fresh database file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pinned, type Running, stop } from './servers.ts';

/** The running yardstick, its bearer key and its database file (read it before stop(), which removes it). */
export async function startYardstick(): Promise<Running & { key: string; dbFile: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-yard-'));
  const child = pinned(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'yardstick-server.ts')], { PORT: String(port), DB: join(dir, 'y.db') });
  const key = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening KEY=(\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.stderr!.on('data', (d: Buffer) => (buf += d.toString()));
    child.once('exit', (c) => reject(new Error(`yardstick exited (${c}):\n${buf}`)));
  });
  const stopped = stop(child);
  return { url: `http://127.0.0.1:${port}`, child, key, dbFile: join(dir, 'y.db'), stop: () => stopped().then(() => rmSync(dir, { recursive: true, force: true })) };
}
