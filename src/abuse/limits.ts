/**
 * Named rate limits on rate-limiter-flexible: RateLimiterMemory in one process (on a storage
 * without a timer per key: ./memory-store.ts), RateLimiterRedis on one shared ioredis client
 * when Redis is configured. The client runs with auto-pipelining, so every consume a send
 * decision issues in the same tick leaves in ONE write and costs one round trip
 * (test/abuse/redis.test.ts counts them). A Redis fault falls back to an in-memory insurance
 * limiter: a send is never refused because the counter store is down.
 *
 * Each limit's key (what it counts per):
 *   per_number_*               account + destination number
 *   per_account_*              account
 *   per_key_*                  API key
 *   per_prefix_*               account + first `abuse.prefix_digits` digits of the number
 *   per_ip_*                   account + end-user IP (only when the caller passes it)
 *   wrong_checks_per_number_*  account + number, counted on wrong checks (not on sends)
 */
import { RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { SweptRateLimiterMemory } from './memory-store.ts';
import type { Redis } from 'ioredis';
import type { LimitRuleConfig } from '../config.ts';

export type LimitScope = 'number' | 'account' | 'key' | 'prefix' | 'ip' | 'check';

/** The scope of a limit, from its name's head (config validation admits only the known names). */
export function scopeOf(name: string): LimitScope {
  if (name.startsWith('wrong_checks_')) return 'check';
  const head = name.split('_')[1];
  return (['number', 'account', 'key', 'prefix', 'ip'].includes(head) ? head : 'account') as LimitScope;
}

export type Outcome = { ok: true; res: RateLimiterRes } | { ok: false; res: RateLimiterRes };

/** Limiters by rule (a per-account override is its own limiter over the same counters in Redis). */
export class Limiters {
  private cache = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly redis: Redis | undefined,
    private readonly prefix: string,
  ) {}

  /** The limiter for a rule; `space` names the counters (limits of one name share them). */
  get(space: string, rule: LimitRuleConfig): RateLimiterAbstract {
    const id = `${space}|${rule.points}|${rule.duration_seconds}|${rule.block_seconds}`;
    let l = this.cache.get(id);
    if (!l) {
      const opts = { points: rule.points, duration: rule.duration_seconds, blockDuration: rule.block_seconds, keyPrefix: `${this.prefix}rl:${space}:${rule.duration_seconds}` };
      l = this.redis
        ? new RateLimiterRedis({ ...opts, storeClient: this.redis, insuranceLimiter: new SweptRateLimiterMemory(opts) })
        : new SweptRateLimiterMemory(opts);
      this.cache.set(id, l);
    }
    return l;
  }

  /**
   * Consumes `points` and reports whether it fit. Must be called synchronously with the other
   * consumes of a decision (no await in between) for them to share a round trip.
   */
  consume(space: string, rule: LimitRuleConfig, key: string, points = 1): Promise<Outcome> {
    return this.get(space, rule)
      .consume(key, points)
      .then(
        (res): Outcome => ({ ok: true, res }),
        (e: unknown): Outcome => {
          if (e instanceof RateLimiterRes) return { ok: false, res: e };
          throw e;
        },
      );
  }

  /** Gives points back (a send refused after its decision was never a send). */
  async reward(space: string, rule: LimitRuleConfig, key: string, points = 1): Promise<void> {
    await this.get(space, rule).reward(key, points);
  }

  /** Points used now, without counting (0 when the key is fresh). */
  async used(space: string, rule: LimitRuleConfig, key: string): Promise<RateLimiterRes | null> {
    return this.get(space, rule).get(key);
  }

  async remove(space: string, rule: LimitRuleConfig, key: string): Promise<void> {
    await this.get(space, rule).delete(key);
  }
}
