/**
 * A local HTTP server for carrier fakes: records every request (path, headers, raw body,
 * parsed form or JSON) and answers through a handler, optionally after a delay.
 * Bound to 127.0.0.1 on a free port; close() also drops keep-alive and delayed answers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  raw: string;
  form?: Record<string, string>;
  json?: any;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer only after this many ms (a carrier slower than the provider's timeout). */
  delayMs?: number;
}

export type Handler = (req: RecordedRequest) => Reply;

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  last(): RecordedRequest;
  close(): Promise<void>;
}

/** How long a "slow" scenario makes the provider wait; tests set timeout_ms well below it. */
export const SLOW_MS = 3000;

/**
 * Scenarios chosen by the destination number's last digits, like the SMSC simulator:
 * …400 refused, …401 bad credentials, …418 no credit, …429 throttled, …500 carrier error,
 * …999 slower than any test timeout; anything else succeeds.
 */
export type Scenario = 'ok' | 'reject' | 'auth' | 'credit' | 'throttle' | 'error' | 'slow';
export function scenarioOf(number: string | undefined): Scenario {
  const tail = (number ?? '').replace(/\D/g, '').slice(-3);
  return ({ '400': 'reject', '401': 'auth', '418': 'credit', '429': 'throttle', '500': 'error', '999': 'slow' } as const)[tail] ?? 'ok';
}

export async function startFake(handler: Handler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://fake');
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        raw,
      };
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('application/x-www-form-urlencoded')) rec.form = Object.fromEntries(new URLSearchParams(raw));
      if (type.startsWith('application/json')) rec.json = JSON.parse(raw);
      requests.push(rec);
      let reply: Reply;
      try {
        reply = handler(rec);
      } catch (err) {
        reply = { status: 500, body: { fake_error: String(err) } };
      }
      const answer = () => {
        const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json',
          ...reply.headers,
        });
        res.end(body);
      };
      if (reply.delayMs) {
        const t = setTimeout(() => { timers.delete(t); answer(); }, reply.delayMs);
        timers.add(t);
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    last() {
      const r = requests.at(-1);
      if (!r) throw new Error('the fake received no request');
      return r;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nobody listens on (for network-error tests): bind, read the port, close. */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
