/**
 * The Overview page's figures: sends / delivered / approved per minute (last hour) and per hour
 * (last 7 days); the funnel sent → delivered → approved per country and per provider over the
 * last 7 days, counted in verifications (a resend is not a second user); median and p95 of
 * accept → delivered; outbox depth and webhook backlog.
 */
import type { Kysely } from 'kysely';
import { countryOf } from '../../metrics/country.ts';
import { backlog, type Buckets, funnelRows, type FunnelRow, seriesSince } from '../../store/console.ts';
import type { Database } from '../../store/schema.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const FUNNEL_WINDOW_MS = 7 * 24 * HOUR;
/** The funnel reads at most this many messages of the window (newest first) and says so when cut. */
const FUNNEL_MAX_ROWS = 200_000;

export interface Series {
  /** Bucket starts, epoch seconds (uPlot's x unit). */
  t: number[];
  sends: number[];
  delivered: number[];
  approved: number[];
}

export interface FunnelLine {
  key: string;
  sent: number;
  delivered: number;
  approved: number;
  /** delivered / sent and approved / sent, 0..1 (null when nothing was sent). */
  delivery_rate: number | null;
  conversion_rate: number | null;
}

export async function overview(db: Kysely<Database>, now: number) {
  const [minute, hour, rows, queues] = await Promise.all([
    series(db, now, MINUTE, 60),
    series(db, now, HOUR, 7 * 24),
    funnelRows(db, now - FUNNEL_WINDOW_MS, FUNNEL_MAX_ROWS),
    backlog(db),
  ]);
  const latencies = rows.filter((r) => r.status === 'delivered' && r.final_at !== null).map((r) => r.final_at! - r.created_at);
  return {
    now,
    per_minute: minute,
    per_hour: hour,
    funnel: {
      window_ms: FUNNEL_WINDOW_MS,
      truncated: rows.length === FUNNEL_MAX_ROWS,
      by_country: funnel(rows, (r) => countryOf(r.to_number)),
      by_provider: funnel(rows, (r) => r.provider ?? '(none yet)'),
    },
    delivery_ms: { count: latencies.length, median: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) },
    outbox_depth: queues.outbox,
    webhook_backlog: queues.webhooks,
  };
}

async function series(db: Kysely<Database>, now: number, bucketMs: number, buckets: number): Promise<Series> {
  const last = Math.floor(now / bucketMs);
  const first = last - buckets + 1;
  const s = await seriesSince(db, first * bucketMs, bucketMs);
  const pick = (m: Buckets) => Array.from({ length: buckets }, (_, i) => m.get(first + i) ?? 0);
  return { t: Array.from({ length: buckets }, (_, i) => ((first + i) * bucketMs) / 1000), sends: pick(s.sends), delivered: pick(s.delivered), approved: pick(s.approved) };
}

/**
 * Verifications per group: sent = one of its messages reached a carrier (sent, delivered or
 * undelivered), delivered = one was delivered, approved = the code was checked valid.
 * Plain messages (no verification) count by message id.
 */
function funnel(rows: FunnelRow[], group: (r: FunnelRow) => string): FunnelLine[] {
  const acc = new Map<string, { sent: Set<string>; delivered: Set<string>; approved: Set<string> }>();
  rows.forEach((r, i) => {
    const id = r.verification_id ?? `m${i}`;
    const k = group(r);
    let a = acc.get(k);
    if (!a) acc.set(k, (a = { sent: new Set(), delivered: new Set(), approved: new Set() }));
    if (['sent', 'delivered', 'undelivered'].includes(r.status)) a.sent.add(id);
    if (r.status === 'delivered') a.delivered.add(id);
    if (r.approved) a.approved.add(id);
  });
  return [...acc.entries()]
    .map(([key, a]) => {
      const sent = a.sent.size;
      return {
        key,
        sent,
        delivered: a.delivered.size,
        approved: a.approved.size,
        delivery_rate: sent ? a.delivered.size / sent : null,
        conversion_rate: sent ? a.approved.size / sent : null,
      };
    })
    .sort((x, y) => y.sent - x.sent || x.key.localeCompare(y.key));
}

/** Nearest-rank quantile of ms values; null for none. */
function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
