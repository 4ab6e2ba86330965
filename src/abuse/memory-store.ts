/**
 * rate-limiter-flexible's RateLimiterMemory with a storage that expires keys lazily and by an
 * amortized sweep, instead of the library's one `setTimeout` per key.
 *
 * Why: the library's MemoryStorage keeps a Timeout, a closure, its context and a Record per key
 * (by design upstream, animir/node-rate-limiter-flexible#152): about 480 B of heap per key with
 * its key string, against about 215 B here (100,000 keys of a per_number limiter, heap used after
 * a full GC). A send touches three keys (per_number_10m, per_number_24h, per_prefix_1m), so under
 * SMS pumping, where every send goes to a new number, 20,000 sends held 60,000 timers: about
 * 29 MB of live heap, which V8's heap growth then multiplies in peak RSS (issue 13).
 *
 * The limiting rules stay the library's: only the storage below RateLimiterMemory changes, with the
 * same methods and answers as its MemoryStorage (lib/component/MemoryStorage/MemoryStorage.js,
 * v11), which test/abuse/memory-store.test.ts checks operation by operation against the original.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** One key: points consumed, and when they expire (epoch ms; null = never). */
interface Entry {
  value: number;
  expiresAt: number | null;
}

/** An existing key's answer: its points and ms to expiry (-1: never), not first in its duration. */
const answer = (e: Entry, now: number) => new RateLimiterRes(0, e.expiresAt === null ? -1 : e.expiresAt - now, e.value, false);

/** Sets between sweeps never fall below this, so small limiters do not sweep on every send. */
const MIN_SWEEP_INTERVAL = 1024;

/**
 * The storage: a Map of entries. An expired entry is dropped when it is next read, and a sweep
 * drops all expired entries once the sets since the last sweep reach the Map's size then (at least
 * MIN_SWEEP_INTERVAL): O(1) amortized per set, and the Map stays under twice the keys alive in the
 * window plus MIN_SWEEP_INTERVAL. What a limiter idle since its last sweep holds stays until its
 * next sets; it is bounded the same way.
 */
export class SweptMemoryStorage {
  /** Named as the library's (its dump() iterates `_storage` for key, value and expiresAt). */
  readonly _storage = new Map<string, Entry>();
  private setsSinceSweep = 0;
  private sweepAfter = MIN_SWEEP_INTERVAL;

  /** Adds `value` points to `key`; a missing or expired key starts afresh for `durationSec` (0 = no expiry). */
  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = Date.now();
    const e = this.live(key, now);
    if (!e) return this.set(key, value, durationSec);
    e.value += value;
    return answer(e, now);
  }

  /** Sets `key` to `value` points for `durationSec` from now (0 = no expiry). */
  set(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = Date.now();
    const ms = durationSec * 1000;
    if (++this.setsSinceSweep >= this.sweepAfter) this.sweep(now);
    // Integer points, as the library's Record setter (parseInt) keeps them.
    const points = Math.trunc(value);
    this._storage.set(key, { value: points, expiresAt: ms > 0 ? now + ms : null });
    return new RateLimiterRes(0, ms === 0 ? -1 : ms, points, true);
  }

  /** The key's points and time to expiry, or null when it is missing or expired. */
  get(key: string): RateLimiterRes | null {
    const now = Date.now();
    const e = this.live(key, now);
    return e ? answer(e, now) : null;
  }

  /** Forgets `key`; true when it was there and not expired. */
  delete(key: string): boolean {
    const alive = this.live(key, Date.now()) !== undefined;
    this._storage.delete(key);
    return alive;
  }

  /** What the library's restore() calls for each dumped key (expired ones are skipped). */
  _restoreRecord(key: string, value: number, expiresAt: number | null): void {
    if (expiresAt !== null && (!Number.isFinite(expiresAt) || expiresAt <= Date.now())) return;
    this._storage.set(key, { value: Math.trunc(value), expiresAt });
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this._storage.get(key);
    if (e && e.expiresAt !== null && e.expiresAt <= now) {
      this._storage.delete(key);
      return undefined;
    }
    return e;
  }

  private sweep(now: number): void {
    for (const [key, e] of this._storage) if (e.expiresAt !== null && e.expiresAt <= now) this._storage.delete(key);
    this.setsSinceSweep = 0;
    this.sweepAfter = Math.max(MIN_SWEEP_INTERVAL, this._storage.size);
  }
}

/**
 * RateLimiterMemory (points, duration, blockDuration, … as the library documents them) on a
 * SweptMemoryStorage. It replaces the storage the parent constructor made, through the
 * library's `_memoryStorage` field (v11); the test fails if that field stops being the one used.
 */
export class SweptRateLimiterMemory extends RateLimiterMemory {
  constructor(opts: ConstructorParameters<typeof RateLimiterMemory>[0]) {
    super(opts);
    (this as unknown as { _memoryStorage: SweptMemoryStorage })._memoryStorage = new SweptMemoryStorage();
  }
}
