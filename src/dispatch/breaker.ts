/**
 * Per-provider circuit breaker: when the error rate over the last `window` calls passes
 * `threshold` (with at least `minCalls`), the circuit opens for `openMs`; then one probe decides.
 */
export interface BreakerOptions {
  window: number;
  minCalls: number;
  threshold: number;
  openMs: number;
}

const DEFAULTS: BreakerOptions = { window: 50, minCalls: 10, threshold: 0.5, openMs: 30_000 };

class Breaker {
  private results: boolean[] = [];
  private openUntil = 0;

  constructor(private readonly o: BreakerOptions) {}

  allows(now: number): boolean {
    return now >= this.openUntil;
  }

  record(ok: boolean, now: number): void {
    this.results.push(ok);
    if (this.results.length > this.o.window) this.results.shift();
    const failures = this.results.filter((r) => !r).length;
    if (this.results.length >= this.o.minCalls && failures / this.results.length >= this.o.threshold) {
      this.openUntil = now + this.o.openMs;
      this.results = [];
    }
  }

  get state(): 'open' | 'closed' {
    return Date.now() < this.openUntil ? 'open' : 'closed';
  }
}

export class CircuitBreakers {
  private byName = new Map<string, Breaker>();

  constructor(
    private readonly options: BreakerOptions = DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  private get(name: string): Breaker {
    let b = this.byName.get(name);
    if (!b) this.byName.set(name, (b = new Breaker(this.options)));
    return b;
  }

  allows(name: string): boolean {
    return this.get(name).allows(this.now());
  }

  record(name: string, ok: boolean): void {
    this.get(name).record(ok, this.now());
  }

  state(name: string): 'open' | 'closed' {
    return this.get(name).state;
  }
}
