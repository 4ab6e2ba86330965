/**
 * The one Redis client of the abuse counters. Auto-pipelining batches every command issued in
 * the same tick into one write, which is how a send decision's limits, caps and pumping window
 * cost a single round trip. Commands fail fast when Redis is away (limits then fall back to
 * memory, see limits.ts), so a Redis outage never stalls a send.
 */
import { Redis } from 'ioredis';

export function openRedis(url: string): Redis {
  return new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false });
}
