/**
 * Kannel (Debian's `kannel` package) as the baseline for bench:e2e: bearerbox with one SMPP
 * link to the simulator and smsbox with its HTTP sendsms interface, both pinned to core 0 like
 * otpgate, plus the small HTTP receiver its dlr-url calls land on.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createConnection } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pinned, stop } from './servers.ts';

const BIN = '/usr/sbin';
export const hasKannel = existsSync(join(BIN, 'bearerbox')) && existsSync(join(BIN, 'smsbox'));

export interface KannelOptions {
  smscPort: number;
  /** Outstanding submit_sm on the link (max-pending-submits), as otpgate's window. */
  window: number;
}

export interface Kannel {
  /** smsbox's HTTP interface: GET /cgi-bin/sendsms?username=bench&password=bench&… */
  url: string;
  pids: number[];
  stop(): Promise<void>;
}

function conf(dir: string, o: KannelOptions, ports: { admin: number; box: number; sendsms: number }): string {
  // log-level 2 (warnings): per-PDU debug logging would measure the disk, not Kannel.
  // store-type file: accepted messages survive a crash, as otpgate's do (its SQLite commit).
  return `group = core
admin-port = ${ports.admin}
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = ${ports.box}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 2
dlr-storage = internal
store-type = file
store-location = "${dir}/kannel.store"

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = ${o.smscPort}
transceiver-mode = true
smsc-username = otpgate
smsc-password = secret
system-type = ""
max-pending-submits = ${o.window}
enquire-link-interval = 30
reconnect-delay = 1
source-addr-ton = 5
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${ports.box}
sendsms-port = ${ports.sendsms}
sendsms-interface = 127.0.0.1
log-file = "${dir}/smsbox.log"
log-level = 2

group = sendsms-user
username = bench
password = bench
user-allow-ip = "127.0.0.1"
`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** bearerbox, then smsbox; resolves once sendsms accepts connections and the SMPP link is bound. */
export async function startKannel(o: KannelOptions): Promise<Kannel> {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-kannel-'));
  const ports = { admin: await freePort(), box: await freePort(), sendsms: await freePort() };
  const file = join(dir, 'kannel.conf');
  writeFileSync(file, conf(dir, o, ports));
  // -v 3: only errors on the console; the boxes log warnings to their files in `dir`.
  const children: ChildProcess[] = [];
  const box = (name: string) => {
    const c = pinned(join(BIN, name), ['-v', '3', file]);
    c.stdout!.resume();
    c.stderr!.resume();
    children.push(c);
  };
  const stopAll = async () => {
    for (const c of [...children].reverse()) await stop(c)();
  };
  const deadline = Date.now() + 15_000;
  const until = async (what: string, ok: () => Promise<boolean>) => {
    while (!(await ok())) {
      if (Date.now() > deadline || children.some((c) => c.exitCode !== null)) {
        await stopAll();
        throw new Error(`Kannel: ${what} within 15 s; see ${dir}/*.log`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  box('bearerbox');
  // smsbox gives up at once when bearerbox is not listening yet.
  await until('bearerbox did not listen for smsbox', () => portOpen(ports.box));
  box('smsbox');
  const status = `http://127.0.0.1:${ports.admin}/status.txt?password=bench`;
  const ready = (t: string) => /\(online/.test(t) && /smsbox/.test(t);
  await until('the SMPP link did not bind or smsbox did not connect', () => fetch(status).then((r) => r.text(), () => '').then(ready));
  await until('smsbox did not listen for sendsms', () => portOpen(ports.sendsms));
  return {
    url: `http://127.0.0.1:${ports.sendsms}`,
    pids: children.map((c) => c.pid!),
    // Its logs are kept only when it failed to start.
    stop: () => stopAll().then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

export interface DlrReceiver {
  url: string;
  /** Delivery reports with type 1 (delivered), by message index; each with send→report ms. */
  delivered: Map<number, number>;
  other: number;
  lastAt: number;
  close(): Promise<void>;
}

/** Kannel calls dlr-url with our ?i=<index>&t=<sent ms> and its %d (1 = delivered) as &s=. */
export async function startDlrReceiver(): Promise<DlrReceiver> {
  const r: Omit<DlrReceiver, 'url' | 'close'> = { delivered: new Map(), other: 0, lastAt: 0 };
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const now = Date.now();
    if (q.get('s') === '1') r.delivered.set(Number(q.get('i')), now - Number(q.get('t')));
    else r.other++;
    r.lastAt = now;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/dlr`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
