/**
 * Picks the providers for a message. The route is the one with the longest prefix matching the
 * number's digits; at equal length a route for the message's channel beats one without a
 * channel (which serves both). Its providers are then tried in the listed order, except that
 * the first one is drawn by weight among the entries that carry a `weight` (none weighted: the
 * first listed leads), so `[{a, weight: 3}, {b, weight: 1}, {c}]` sends 75 % to a and 25 % to b
 * first, with c always a backup. Providers that cannot carry the channel are left out, and so
 * are those whose circuit is open, unless every circuit is open.
 */
import type { RouteConfig } from '../config.ts';
import type { Provider } from '../providers/types.ts';
import type { CircuitBreakers } from './breaker.ts';

interface Entry {
  provider: Provider;
  weight?: number;
}

export class Router {
  constructor(
    private readonly routes: readonly RouteConfig[],
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly breakers: CircuitBreakers,
    private readonly random: () => number = Math.random,
  ) {}

  /** Providers to try, in order; empty when no route exists (a permanent failure). */
  candidates(e164: string, channel: 'sms' | 'voice'): Provider[] {
    const route = this.route(e164.replace(/^\+/, ''), channel);
    if (!route) return [];
    const all: Entry[] = route.providers
      .map((p) => ({ provider: this.providers.get(p.name)!, weight: p.weight }))
      .filter((e) => e.provider?.channels.includes(channel));
    const closed = all.filter((e) => this.breakers.allows(e.provider.name));
    // Every circuit open: try them anyway rather than stall; the breaker is advice, not a wall.
    const entries = closed.length > 0 ? closed : all;
    const first = this.pickWeighted(entries) ?? entries[0];
    return first ? [first.provider, ...entries.filter((e) => e !== first).map((e) => e.provider)] : [];
  }

  private route(digits: string, channel: 'sms' | 'voice'): RouteConfig | undefined {
    let best: RouteConfig | undefined;
    let bestScore = -1;
    for (const r of this.routes) {
      const prefix = r.prefix ?? '';
      if ((r.channel && r.channel !== channel) || !digits.startsWith(prefix)) continue;
      const score = prefix.length * 2 + (r.channel ? 1 : 0);
      if (score > bestScore) [best, bestScore] = [r, score];
    }
    return best;
  }

  private pickWeighted(entries: Entry[]): Entry | undefined {
    const weighted = entries.filter((e) => e.weight !== undefined);
    const total = weighted.reduce((s, e) => s + e.weight!, 0);
    let x = this.random() * total;
    for (const e of weighted) if ((x -= e.weight!) < 0) return e;
    return weighted[0];
  }
}
