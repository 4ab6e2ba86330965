/**
 * An open-loop load at a fixed rate, for latency at a load the server can carry (issue 13: p99
 * at half of otpgate's own saturated rate). Request k starts at t0 + k/rate whatever answers are
 * still pending (a 1 ms timer sends every request that is due), over at most `connections`
 * keep-alive connections (a request waits for a free one, and that wait counts); its latency runs from that scheduled start to the end of its answer, so a stall
 * counts for every request it delays.
 *
 * autocannon's rate mode does not give this: each connection sends its quota for the second back
 * to back and then waits for the next second, so half a second of every second runs at full
 * concurrency (the saturated latency), and its coordinated-omission correction adds synthetic
 * samples at a 1 ms interval to every answer slower than 1 ms.
 */
import { Agent, request } from 'node:http';

export interface PacedFigures {
  /** Answers per second over the run. */
  rps: number;
  /** Latency percentiles and maximum, ms from each request's scheduled start. */
  p50: number;
  p99: number;
  max: number;
  /** Answers that were not 2xx, and requests that failed without an answer. */
  non2xx: number;
  errors: number;
}

/**
 * POSTs `body()` to url + path, `rate` requests per second for `seconds`, and resolves once every
 * request has its answer (or error).
 */
export function paced(url: string, path: string, rate: number, seconds: number, body: () => string, headers: Record<string, string>, connections = 50): Promise<PacedFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(path, url);
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      if (++done < total) return;
      const elapsed = (performance.now() - t0) / 1000;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const at = (q: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]) : NaN);
      resolve({ rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), max: at(1), non2xx, errors });
    };
    const fire = (scheduled: number) => {
      const payload = body();
      const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
          latencies.push(performance.now() - scheduled);
          finish();
        });
      });
      req.on('error', () => {
        errors++;
        finish();
      });
      req.end(payload);
    };
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      for (; sent < due; sent++) fire(t0 + (sent * 1000) / rate);
      if (sent >= total) clearInterval(tick);
    }, 1);
  });
}
