/**
 * TingTing counts credits; otpgate counts money (integer micro-units). The bridge, used by the
 * send answer and the dashboard:
 * - one SMS credit   = the price of one SMS segment to Nepal: priceFor(prices, '+977', 'sms', 1);
 * - one phone credit = the price of one voice call to Nepal:  priceFor(prices, '+977', 'voice', 1);
 * - remaining_sms_credits / remaining_phone_credits = floor(balance / that price), 0 when no
 *   price is configured (nothing can be sent) or the price is 0;
 * - credits_used of one send = its segments for text (a UCS-2 Nepali text uses more), 1 for voice;
 * - the dashboard counts in SMS credits: what the account spent (messages minus refunds, all
 *   families: the balance is one) divided by the SMS credit price.
 */
import type { Kysely } from 'kysely';
import { type CurrencyPricing, priceFor, type PriceRule } from '../../core/pricing.ts';
import type { Database } from '../../store/schema.ts';

const NEPAL = '+977';

export interface CreditPrices {
  sms: number | undefined;
  voice: number | undefined;
}

/** The prices in the account's currency (`pricing`), as its sends are charged (core/pricing.ts). */
export function creditPrices(prices: readonly PriceRule[], pricing?: CurrencyPricing): CreditPrices {
  return { sms: priceFor(prices, NEPAL, 'sms', 1, pricing), voice: priceFor(prices, NEPAL, 'voice', 1, pricing) };
}

export function creditsIn(micros: number, price: number | undefined): number {
  return price && price > 0 ? Math.floor(Math.max(0, micros) / price) : 0;
}

export interface Dashboard {
  total_credits_purchased: number;
  credits_used: number;
  remaining_credits: number;
}

/**
 * All-time figures (TingTing's `days` window applies to its campaign statistics, which otpgate
 * does not have). Reads the ledger: a store helper ("spent by account") would be the better home.
 */
export async function dashboard(db: Kysely<Database>, accountId: string, balance: number, prices: CreditPrices): Promise<Dashboard> {
  const row = await db
    .selectFrom('ledger')
    .select((eb) => eb.fn.sum<number | string | null>('amount').as('net'))
    .where('account_id', '=', accountId)
    .where('reason', 'in', ['message', 'refund'])
    .executeTakeFirst();
  const spent = -Number(row?.net ?? 0);
  const remaining = creditsIn(balance, prices.sms);
  const used = prices.sms && prices.sms > 0 ? Math.round(Math.max(0, spent) / prices.sms) : 0;
  return { total_credits_purchased: remaining + used, credits_used: used, remaining_credits: remaining };
}
