/**
 * Webhook test peers: a real receiver on 127.0.0.1 (port 0) that records every POST with its raw
 * body and answers from a script (status codes, or 'hang' to never answer), and `pump`, which
 * runs the gateway until no webhook is due at the harness clock's current time.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Harness } from '../helpers/gateway.ts';

export type Answer = number | 'hang';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  json: any;
  answered: Answer;
  /** The gateway clock when it arrived. */
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; after them every request gets `otherwise`. */
  script: Answer[];
  otherwise: Answer;
}

export async function startReceiver(t: { after(fn: () => unknown): void }, now: () => number = Date.now): Promise<Receiver> {
  const hung: ServerResponse[] = [];
  const r: Receiver = { url: '', received: [], script: [], otherwise: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const answered = r.script.shift() ?? r.otherwise;
      r.received.push({ headers: req.headers, raw, json: JSON.parse(raw), answered, at: now() });
      if (answered === 'hang') hung.push(res);
      else res.writeHead(answered, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  t.after(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });
  return r;
}

/** Settles the dispatcher, then delivers webhooks until none is due now and none is in flight. */
export async function pump(h: Harness): Promise<void> {
  const worker = h.gw.webhooks.worker;
  await h.settle();
  for (let i = 0; i < 500; i++) {
    worker.wake();
    await worker.idleNow();
    const due = await worker.nextDue();
    if (due === undefined || due > h.clock.now) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('webhooks did not settle');
}

/** Moves the clock to each next retry and delivers, until nothing is pending. */
export async function pumpUntilDone(h: Harness): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await pump(h);
    const due = await h.gw.webhooks.worker.nextDue();
    if (due === undefined) return;
    h.clock.now = Math.max(h.clock.now, due);
  }
  throw new Error('webhooks were still pending after 500 retries');
}

export function webhookOn(h: Harness, url: string, extra: Record<string, unknown> = {}, token?: string) {
  return h.app.inject({ method: 'PUT', url: '/v1/webhook', headers: h.auth(token), payload: { url, ...extra } });
}
