/**
 * Idempotency-Key single-flight: sends in flight per account + key in this process. A duplicate
 * that arrives while the first is running waits for it and then runs (and so replays the first's
 * committed answer from the idempotency table), instead of running beside it: concurrent
 * duplicates must not each pass the abuse decision (and spend its limits) for one send. Across
 * instances the idempotency table's key and the writer's conflict retry do the same job.
 */
export class SingleFlight {
  private readonly inflight = new Map<string, Promise<unknown>>();

  /** Runs `fn` once no other run for (`accountId`, `key`) is in flight here; answers what it answers, throws what it throws. */
  async run<T>(accountId: string, key: string, fn: () => Promise<T>): Promise<T> {
    const k = `${accountId}\u0000${key}`;
    while (this.inflight.has(k)) await this.inflight.get(k)!.catch(() => undefined);
    const p = fn();
    this.inflight.set(k, p);
    try {
      return await p;
    } finally {
      if (this.inflight.get(k) === p) this.inflight.delete(k);
    }
  }
}
