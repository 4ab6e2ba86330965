// Prices are integer micro-units (1 unit = 1,000,000): sums of floats drift, and a ledger
// that drifts cannot be reconciled with a carrier's invoice.

export interface PriceRule {
  /** E.164 digits without '+', e.g. "977" or "98912"; "" is the default for every number */
  prefix: string;
  channel: 'sms' | 'voice';
  /** micro-units per SMS segment, or per voice call */
  price: number;
}

export const MICROS_PER_UNIT = 1_000_000;

/** Longest matching prefix wins, so "98912" (one operator) overrides "98" (the country). */
export function priceFor(
  rules: readonly PriceRule[],
  e164: string,
  channel: 'sms' | 'voice',
  segments: number,
): number | undefined {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  let best: PriceRule | undefined;
  for (const rule of rules) {
    if (rule.channel !== channel || !digits.startsWith(rule.prefix)) continue;
    if (!best || rule.prefix.length > best.prefix.length) best = rule;
  }
  if (!best) return undefined;
  return channel === 'sms' ? best.price * segments : best.price;
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
