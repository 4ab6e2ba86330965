/**
 * Per-bind flow control: the sliding window (at most `capacity` submit_sm awaiting their
 * submit_sm_resp), the throughput cap (submits spaced 1000/perSecond ms apart, no bursts), and
 * the pause an SMSC asks for with ESME_RTHROTTLED / ESME_RMSGQFUL. Waiters are served FIFO.
 */
import type { ProviderError } from '../types.ts';

interface Waiter {
  resolve(): void;
  reject(err: ProviderError): void;
  timer: NodeJS.Timeout;
}

export class Window {
  inUse = 0;
  private readonly waiters: Waiter[] = [];
  private readonly intervalMs: number;
  private nextAt = 0;
  private pausedUntil = 0;
  private wake: NodeJS.Timeout | undefined;
  private isOpen = false;

  constructor(
    readonly capacity: number,
    perSecond: number,
  ) {
    this.intervalMs = perSecond > 0 ? 1000 / perSecond : 0;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves when a slot is free and the pace allows a submit; rejects with `onTimeout()` after timeoutMs. */
  acquire(timeoutMs: number, onTimeout: () => ProviderError): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(onTimeout());
        }, timeoutMs),
      };
      this.waiters.push(waiter);
      this.pump();
    });
  }

  release(): void {
    if (this.inUse > 0) this.inUse--;
    this.pump();
  }

  /** Open when bound, closed while the link is down. */
  setOpen(open: boolean): void {
    this.isOpen = open;
    this.pump();
  }

  /** Stop handing out slots for `ms` (the SMSC said slow down). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  get paused(): boolean {
    return this.pausedUntil > Date.now();
  }

  /** Reject every waiter (link down, stop). Slots in use are released by their owners. */
  failAll(err: () => ProviderError): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err());
    }
    this.pump();
  }

  private pump(): void {
    if (this.wake) {
      clearTimeout(this.wake);
      this.wake = undefined;
    }
    while (this.isOpen && this.waiters.length > 0 && this.inUse < this.capacity) {
      const now = Date.now();
      const at = Math.max(this.pausedUntil, this.nextAt);
      if (at > now) {
        this.wake = setTimeout(() => this.pump(), Math.ceil(at - now));
        return;
      }
      this.inUse++;
      if (this.intervalMs > 0) this.nextAt = Math.max(now, this.nextAt) + this.intervalMs;
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.resolve();
    }
  }
}

/** Events per second over the last `seconds` whole seconds (1-second buckets). */
export class RateMeter {
  private readonly buckets: number[];
  private readonly stamps: number[];

  constructor(private readonly seconds = 10) {
    this.buckets = new Array(seconds).fill(0);
    this.stamps = new Array(seconds).fill(-1);
  }

  mark(n = 1): void {
    const sec = Math.floor(Date.now() / 1000);
    const i = sec % this.seconds;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i] += n;
  }

  /** Average over the last `seconds` complete seconds. */
  rate(): number {
    const sec = Math.floor(Date.now() / 1000);
    let sum = 0;
    for (let i = 0; i < this.seconds; i++) {
      const s = this.stamps[i];
      if (s < sec && s >= sec - this.seconds) sum += this.buckets[i];
    }
    return Math.round((sum / this.seconds) * 10) / 10;
  }
}
