/**
 * `otpgate send --count N`: a smoke load through a running gateway's native API, N codes to N
 * consecutive numbers from --to (one number each, so the resend rules do not refuse them), a few
 * at a time, with a progress bar (cli-progress) on stderr and a summary: accepted, refused by
 * code, accept latency median and p95 as the client saw it.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface LoadOptions {
  url: string;
  key: string;
  to: string;
  count: number;
  concurrency: number;
  channel: string;
  /** Draw the bar (off when stderr is not a terminal, e.g. in CI logs). */
  progress: boolean;
}

export interface LoadSummary {
  accepted: number;
  refused: Record<string, number>;
  median_ms: number | null;
  p95_ms: number | null;
}

/** "+14155550100", 3 → "+14155550103": the number plus i, same length (wraps within its digits). */
export function nthNumber(first: string, i: number): string {
  const digits = first.replace(/^\+/, '');
  const n = (BigInt(digits) + BigInt(i)) % 10n ** BigInt(digits.length);
  return `+${n.toString().padStart(digits.length, '0')}`;
}

export async function runLoad(o: LoadOptions): Promise<LoadSummary> {
  const bar = o.progress ? new SingleBar({ format: 'sending {bar} {value}/{total} codes · {accepted} accepted · {refused} refused · {eta}s left', hideCursor: true, stream: process.stderr, noTTYOutput: !process.stderr.isTTY }, Presets.shades_classic) : undefined;
  bar?.start(o.count, 0, { accepted: 0, refused: 0 });
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < o.count) {
      const i = next++;
      const t0 = performance.now();
      let res: Response;
      try {
        res = await fetch(new URL('/v1/verifications', o.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: nthNumber(o.to, i), channel: o.channel }),
        });
      } catch (e) {
        next = o.count; // the other workers stop too
        const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
        throw new Error(`cannot reach the gateway at ${o.url} (${cause}); start it with \`otpgate start\` or pass --url`);
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
      if (res.status === 201) {
        accepted++;
        latencies.push(performance.now() - t0);
      } else {
        const code = body.error?.code ?? `http_${res.status}`;
        refused[code] = (refused[code] ?? 0) + 1;
      }
      bar?.increment(1, { accepted, refused: Object.values(refused).reduce((a, b) => a + b, 0) });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, worker));
  } finally {
    bar?.stop();
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] * 10) / 10 : null);
  return { accepted, refused, median_ms: q(0.5), p95_ms: q(0.95) };
}
