/**
 * Picks the providers for a message: the route with the longest matching prefix for its channel
 * (a route without a channel serves both), then its providers in order — the first chosen by
 * weight among those of the top weight group — skipping providers whose circuit is open.
 */
import type { RouteConfig } from '../config.ts';
import type { Provider } from '../providers/types.ts';
import type { CircuitBreakers } from './breaker.ts';

export class Router {
  constructor(
    private readonly routes: readonly RouteConfig[],
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly breakers: CircuitBreakers,
    private readonly random: () => number = Math.random,
  ) {}

  /** Providers to try, in order; empty when no route exists (a permanent failure). */
  candidates(e164: string, channel: 'sms' | 'voice'): Provider[] {
    const digits = e164.replace(/^\+/, '');
    let best: RouteConfig | undefined;
    let bestLen = -1;
    for (const r of this.routes) {
      const prefix = r.prefix ?? '';
      if (r.channel && r.channel !== channel) continue;
      if (!digits.startsWith(prefix)) continue;
      // Same prefix: a channel-specific route beats a channel-less one.
      const len = prefix.length * 2 + (r.channel ? 1 : 0);
      if (len > bestLen) [best, bestLen] = [r, len];
    }
    if (!best) return [];
    const entries = best.providers
      .map((p) => ({ provider: this.providers.get(p.name)!, weight: p.weight ?? 1 }))
      .filter((e) => e.provider && e.provider.channels.includes(channel));
    const first = this.pickWeighted(entries);
    const ordered = first ? [first, ...entries.map((e) => e.provider).filter((p) => p !== first)] : [];
    const closed = ordered.filter((p) => this.breakers.allows(p.name));
    // All circuits open: still try them rather than stall, the breaker is advice, not a wall.
    return closed.length > 0 ? closed : ordered;
  }

  private pickWeighted(entries: { provider: Provider; weight: number }[]): Provider | undefined {
    const open = entries.filter((e) => this.breakers.allows(e.provider.name));
    const pool = open.length > 0 ? open : entries;
    const total = pool.reduce((s, e) => s + e.weight, 0);
    let x = this.random() * total;
    for (const e of pool) if ((x -= e.weight) < 0) return e.provider;
    return pool[0]?.provider;
  }
}
