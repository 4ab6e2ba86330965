/**
 * Sliding-window counters of pumping detection, per account and destination prefix: sends,
 * approvals, delivered and failed receipts in buckets (src/core/pumping.ts), plus whether the
 * account reported any approval lately. In memory for one process; in Redis one Lua call per
 * update that increments, trims and returns the window's sums (one command, so it rides in the
 * send decision's single round trip). Keys share a {hash tag} per account (Redis Cluster safe).
 */
import type { Redis } from 'ioredis';
import { bucketOf, type CounterKind, oldestBucket, sumWindow, type WindowCounts } from '../core/pumping.ts';

export interface WindowState {
  counts: WindowCounts;
  /** The account reported an approval within the reporting period. */
  reporter: boolean;
}

export interface PumpCounters {
  /** Adds `delta` to one kind in the current bucket; answers the window after the change. */
  add(accountId: string, prefix: string, kind: CounterKind, delta: number, now: number): Promise<WindowState>;
  /** Forgets a prefix's window (an operator lifted its block: start judging afresh). */
  reset(accountId: string, prefix: string): Promise<void>;
}

export interface WindowOptions {
  windowMs: number;
  bucketMs: number;
  reportingMs: number;
}

const LUA = `
local field = ARGV[1]
if field ~= '' then redis.call('HINCRBY', KEYS[1], ARGV[2] .. ':' .. field, tonumber(ARGV[3])) end
if field == 'a' and tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[6]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local all = redis.call('HGETALL', KEYS[1])
local oldest = tonumber(ARGV[4])
local out = {0, 0, 0, 0}
local idx = {s = 1, a = 2, d = 3, f = 4}
for i = 1, #all, 2 do
  local sep = string.find(all[i], ':', 1, true)
  local b = tonumber(string.sub(all[i], 1, sep - 1))
  if b < oldest then redis.call('HDEL', KEYS[1], all[i])
  else
    local k = idx[string.sub(all[i], sep + 1)]
    if k then out[k] = out[k] + tonumber(all[i + 1]) end
  end
end
out[5] = redis.call('EXISTS', KEYS[2])
return out`;

type PumpRedis = Redis & { otpgatePump(k1: string, k2: string, ...argv: string[]): Promise<number[]> };

export class RedisPumpCounters implements PumpCounters {
  private readonly r: PumpRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly o: WindowOptions,
  ) {
    if (!('otpgatePump' in redis)) redis.defineCommand('otpgatePump', { numberOfKeys: 2, lua: LUA });
    this.r = redis as PumpRedis;
  }

  private keys(accountId: string, prefix: string): [string, string] {
    return [`${this.prefix}pump:{${accountId}}:${prefix}`, `${this.prefix}pumprep:{${accountId}}`];
  }

  async add(accountId: string, prefix: string, kind: CounterKind, delta: number, now: number): Promise<WindowState> {
    const [k1, k2] = this.keys(accountId, prefix);
    const bucket = bucketOf(now, this.o.bucketMs);
    const r = await this.r.otpgatePump(k1, k2, kind, String(bucket), String(delta), String(oldestBucket(now, this.o.windowMs, this.o.bucketMs)), String(this.o.windowMs + this.o.bucketMs), String(this.o.reportingMs));
    return { counts: { sent: r[0], approved: r[1], delivered: r[2], failed: r[3] }, reporter: r[4] === 1 };
  }

  async reset(accountId: string, prefix: string): Promise<void> {
    await this.r.del(this.keys(accountId, prefix)[0]);
  }
}

export class MemoryPumpCounters implements PumpCounters {
  private windows = new Map<string, Map<string, number>>();
  private reporters = new Map<string, number>();
  private adds = 0;

  constructor(private readonly o: WindowOptions) {}

  async add(accountId: string, prefix: string, kind: CounterKind, delta: number, now: number): Promise<WindowState> {
    const key = `${accountId}|${prefix}`;
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new Map()));
    const field = `${bucketOf(now, this.o.bucketMs)}:${kind}`;
    w.set(field, (w.get(field) ?? 0) + delta);
    if (kind === 'a' && delta > 0) this.reporters.set(accountId, now + this.o.reportingMs);
    const oldest = oldestBucket(now, this.o.windowMs, this.o.bucketMs);
    for (const k of w.keys()) if (Number(k.slice(0, k.indexOf(':'))) < oldest) w.delete(k);
    if (++this.adds % 10_000 === 0) this.sweep(oldest);
    return { counts: sumWindow(w, oldest), reporter: (this.reporters.get(accountId) ?? 0) > now };
  }

  async reset(accountId: string, prefix: string): Promise<void> {
    this.windows.delete(`${accountId}|${prefix}`);
  }

  /** Drops windows with nothing left in them (bounded memory under many prefixes). */
  private sweep(oldest: number): void {
    for (const [key, w] of this.windows) {
      for (const k of w.keys()) if (Number(k.slice(0, k.indexOf(':'))) < oldest) w.delete(k);
      if (w.size === 0) this.windows.delete(key);
    }
  }
}
