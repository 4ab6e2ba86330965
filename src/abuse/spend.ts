/**
 * Spend caps per account and UTC day: overall and per destination country (UK Notify caps
 * international SMS per day for the same reason: a leak costs a day's cap, not the balance).
 * Counted as rate-limiter points (micro-units) on the decision's round trip; the price counted is
 * the send's estimate at decision time, given back when the send is refused later on.
 */
import type { LimitRuleConfig } from '../config.ts';
import type { Limiters, Outcome } from './limits.ts';

export interface Cap {
  /** 'daily' or 'daily_<COUNTRY>'. */
  name: string;
  micros: number;
  key: string;
}

const DAY_MS = 86_400_000;

/** The UTC day of an instant (days since the epoch). */
export const dayOf = (now: number) => Math.floor(now / DAY_MS);

/** Milliseconds until the next UTC midnight. */
export const msToMidnight = (now: number) => (dayOf(now) + 1) * DAY_MS - now;

/** Caps in force for one send. */
export function capsFor(accountId: string, country: string, now: number, c: { daily: number; countryDaily: number; countries?: Record<string, number> }): Cap[] {
  const day = dayOf(now);
  const caps: Cap[] = [];
  if (c.daily > 0) caps.push({ name: 'daily', micros: c.daily, key: `${accountId}:${day}` });
  const per = c.countries?.[country] ?? c.countryDaily;
  if (per > 0) caps.push({ name: `daily_${country}`, micros: per, key: `${accountId}:${country}:${day}` });
  return caps;
}

/** A cap as a limiter rule: the counters live two days, so yesterday's key dies on its own. */
export const capRule = (cap: Cap): LimitRuleConfig => ({ points: cap.micros, duration_seconds: 2 * 86_400, block_seconds: 0 });

export function consumeCap(limiters: Limiters, cap: Cap, price: number): Promise<Outcome> {
  return limiters.consume('spend', capRule(cap), cap.key, price);
}

/** Did this charge carry the cap's use across the alert ratio? */
export function crossedAlert(consumedAfter: number, price: number, cap: Cap, ratio: number): boolean {
  const mark = cap.micros * ratio;
  return consumedAfter >= mark && consumedAfter - price < mark;
}
