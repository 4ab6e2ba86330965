/**
 * The abuse screen of a send (src/abuse/ decides): the facts it needs, the message's segments
 * for its estimated price (spend caps), and the ticket it answers. The caller renders the
 * message once and passes the text and its analysis here and on into the transaction.
 */
import type { Abuse, Ticket } from '../abuse/index.ts';
import type { Account } from '../store/schema.ts';

export interface ScreenFacts {
  account: Account;
  /** E.164. */
  to: string;
  channel: 'sms' | 'voice';
  apiKeyId?: string;
  ip?: string;
  /** The send's price in the account's currency (micro-units), undefined when none is configured. */
  price: number | undefined;
}

/**
 * Throws the abuse refusal, or answers the ticket (undo() gives its counts back when the send is
 * refused later; testCode for a test number); undefined when there is no abuse decision (bare
 * benchmarks, tests).
 */
export function screen(abuse: Abuse | undefined, f: ScreenFacts): Promise<Ticket | undefined> {
  if (!abuse) return Promise.resolve(undefined);
  return abuse.decide({ account: f.account, to: f.to, channel: f.channel, keyId: f.apiKeyId, ip: f.ip, price: f.price });
}
