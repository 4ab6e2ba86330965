// Prices are integer micro-units (1 unit = 1,000,000): sums of floats drift, and a ledger
// that drifts cannot be reconciled with a carrier's invoice.

export interface PriceRule {
  /** E.164 digits without '+', e.g. "977" or "98912"; "" is the default for every number */
  prefix: string;
  channel: 'sms' | 'voice';
  /** micro-units per SMS segment, or per voice call, in `currency` */
  price: number;
  /** ISO 4217 currency of `price`; absent = the pricing base currency (config `pricing_currency`). */
  currency?: string;
}

export const MICROS_PER_UNIT = 1_000_000;

/**
 * How an account in another currency is charged: its own rules (a price table in its currency)
 * win; else the base currency's rule converted at `rates[currency]` (units of that currency per
 * unit of the base, e.g. { NPR: 133.5 }, rounded to the micro-unit); else no price.
 */
export interface CurrencyPricing {
  /** The account's ISO 4217 currency. */
  currency: string;
  /** The currency of rules without one (config `pricing_currency`, default "USD"). */
  base: string;
  rates: Readonly<Record<string, number>>;
}

/**
 * Longest matching prefix wins, so "98912" (one operator) overrides "98" (the country). Without
 * `pricing`, only rules in the base currency (no `currency`) are read. Returns micro-units of the
 * account's currency, or undefined when no rule (or rate) prices this destination.
 */
export function priceFor(
  rules: readonly PriceRule[],
  e164: string,
  channel: 'sms' | 'voice',
  segments: number,
  pricing?: CurrencyPricing,
): number | undefined {
  const base = pricing?.base;
  const inBase = (r: PriceRule) => r.currency === undefined || r.currency === base;
  if (pricing) {
    const own = best(rules.filter((r) => r.currency === pricing.currency || (pricing.currency === base && r.currency === undefined)), e164, channel);
    if (own) return scaled(own.price, channel, segments);
    const rate = Object.hasOwn(pricing.rates, pricing.currency) ? pricing.rates[pricing.currency] : undefined;
    const fallback = rate !== undefined ? best(rules.filter(inBase), e164, channel) : undefined;
    return fallback ? scaled(Math.round(fallback.price * rate!), channel, segments) : undefined;
  }
  const rule = best(rules.filter(inBase), e164, channel);
  return rule ? scaled(rule.price, channel, segments) : undefined;
}

function best(rules: readonly PriceRule[], e164: string, channel: 'sms' | 'voice'): PriceRule | undefined {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  let found: PriceRule | undefined;
  for (const rule of rules) {
    if (rule.channel !== channel || !digits.startsWith(rule.prefix)) continue;
    if (!found || rule.prefix.length > found.prefix.length) found = rule;
  }
  return found;
}

function scaled(price: number, channel: 'sms' | 'voice', segments: number): number {
  return channel === 'sms' ? price * segments : price;
}

/** "1.250000" for 1_250_000; rounds half away from zero when fewer decimals are asked for. */
export function formatMicros(micros: number, decimals = 6): string {
  if (!Number.isFinite(micros)) throw new RangeError(`amount must be a finite number of micro-units, got ${micros}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 20) {
    throw new RangeError(`decimals must be an integer from 0 to 20, got ${decimals}`);
  }
  // BigInt keeps amounts beyond 2^53 micro-units exact once they are whole.
  const negative = micros < 0;
  let abs = BigInt(Math.round(Math.abs(micros)));
  let scale = 6;
  if (decimals < scale) {
    const drop = 10n ** BigInt(scale - decimals);
    abs = (abs + drop / 2n) / drop;
    scale = decimals;
  }
  const text = abs.toString().padStart(scale + 1, '0');
  const whole = text.slice(0, text.length - scale);
  const fraction = (scale > 0 ? text.slice(text.length - scale) : '').padEnd(decimals, '0');
  const sign = negative && /[1-9]/.test(whole + fraction) ? '-' : '';
  return decimals > 0 ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}
