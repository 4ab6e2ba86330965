/**
 * Per-provider circuit breakers. Closed: calls flow and their outcomes fill a sliding window of
 * the last `window` calls; once it holds at least `minCalls` and the share of carrier faults
 * reaches `threshold`, the circuit opens for `openMs`. Open: the router skips the provider.
 * Half-open (the cool-down has passed): calls flow again and the first outcome decides — a
 * success closes the circuit with an empty window, a fault opens it for another `openMs`.
 * Only carrier faults count (see failover.ts): a carrier refusing one bad number is healthy.
 */
import type { Config } from '../config.ts';

export interface BreakerOptions {
  window: number;
  minCalls: number;
  threshold: number;
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitStatus {
  state: CircuitState;
  /** Calls in the window and the faults among them. */
  calls: number;
  faults: number;
  /** Epoch ms until which the circuit stays open (open only). */
  open_until?: number;
  /** How many times it opened since start. */
  opened: number;
}

/** From config.dispatch.breaker. */
export function breakerOptions(c: Config['dispatch']['breaker']): BreakerOptions {
  return { window: c.window, minCalls: c.min_calls, threshold: c.threshold, openMs: c.open_seconds * 1000 };
}

class Breaker {
  private results: boolean[] = [];
  private openUntil = 0;
  private opened = 0;

  constructor(private readonly o: BreakerOptions) {}

  state(now: number): CircuitState {
    if (this.openUntil === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half_open';
  }

  record(ok: boolean, now: number): void {
    const state = this.state(now);
    if (state === 'open') return; // a late answer from before the circuit opened changes nothing
    if (state === 'half_open') return ok ? this.close() : this.open(now);
    this.results.push(ok);
    if (this.results.length > this.o.window) this.results.shift();
    const faults = this.faults();
    if (this.results.length >= this.o.minCalls && faults / this.results.length >= this.o.threshold) this.open(now);
  }

  status(now: number): CircuitStatus {
    const state = this.state(now);
    return { state, calls: this.results.length, faults: this.faults(), opened: this.opened, ...(state === 'open' ? { open_until: this.openUntil } : {}) };
  }

  private faults(): number {
    return this.results.reduce((n, ok) => (ok ? n : n + 1), 0);
  }

  private open(now: number): void {
    this.openUntil = now + this.o.openMs;
    this.results = [];
    this.opened++;
  }

  private close(): void {
    this.openUntil = 0;
    this.results = [];
  }
}

export class CircuitBreakers {
  private byName = new Map<string, Breaker>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number,
  ) {}

  private get(name: string): Breaker {
    let b = this.byName.get(name);
    if (!b) this.byName.set(name, (b = new Breaker(this.options)));
    return b;
  }

  /** False only while the circuit is open; half-open lets calls through to probe. */
  allows(name: string): boolean {
    return this.get(name).state(this.now()) !== 'open';
  }

  record(name: string, ok: boolean): void {
    this.get(name).record(ok, this.now());
  }

  state(name: string): CircuitState {
    return this.get(name).state(this.now());
  }

  status(name: string): CircuitStatus {
    return this.get(name).status(this.now());
  }
}
