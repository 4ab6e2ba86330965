/**
 * The embedded carrier (Mailpit's idea for SMS): records each message in the dev inbox instead
 * of sending it, then reports it delivered after `delivery_delay_ms`, or undelivered for numbers
 * listed in `undelivered_numbers`, so failure paths can be tried without a carrier. Calls to
 * `no_answer_numbers` / `busy_numbers` go unanswered (no_answer / busy) for `unanswered_dials`
 * dials (default: every dial), so re-dials can be tried too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboxRecord } from '../store/inbox.ts';
import {
  type Channel,
  type OutboundMessage,
  type Provider,
  type ProviderContext,
  ProviderConfigError,
  type ReceiptOutcome,
  type SendResult,
} from './types.ts';

export interface DevInboxConfig {
  delivery_delay_ms?: number;
  undelivered_numbers?: string[];
  /** Slows each send (crash-recovery tests and demos of the outbox). */
  send_delay_ms?: number;
  /** Calls to these numbers are not picked up. */
  no_answer_numbers?: string[];
  /** Calls to these numbers meet a busy line. */
  busy_numbers?: string[];
  /** Dials to the two lists above that go unanswered before one is answered; unset: all. */
  unanswered_dials?: number;
}

type CallTrouble = 'no_answer' | 'busy';

/** Where the inbox keeps what it received; idempotent per message id. */
export interface InboxSink {
  /** `dial` (voice): a re-dial is a new record, a resend of the same dial is not. */
  record(entry: InboxRecord, dial?: number): Promise<{ id: number; duplicate: boolean }>;
  /** Accepted messages whose receipt was never recorded (the process died in between). */
  unreported?(provider: string): Promise<Array<{ provider_message_id: string; to_number: string; channel: string; dials: number }>>;
}

export class DevInboxProvider implements Provider {
  readonly kind = 'devinbox';
  readonly channels: readonly Channel[] = ['sms', 'voice'];
  private ctx?: ProviderContext;
  private readonly undelivered: Set<string>;
  private readonly troubled = new Map<string, CallTrouble>();
  private sent = 0;

  constructor(
    readonly name: string,
    private readonly config: DevInboxConfig,
    private readonly sink: InboxSink,
  ) {
    for (const k of ['delivery_delay_ms', 'send_delay_ms'] as const) {
      const v = config[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new ProviderConfigError(name, k, 'must be a whole number of milliseconds ≥ 0');
    }
    const u = config.unanswered_dials;
    if (u !== undefined && (!Number.isInteger(u) || u < 1)) throw new ProviderConfigError(name, 'unanswered_dials', 'must be a whole number ≥ 1 (leave it out for "never answered")');
    this.undelivered = new Set(numbers(name, 'undelivered_numbers', config.undelivered_numbers));
    const lists = [['no_answer_numbers', 'no_answer'], ['busy_numbers', 'busy']] as const;
    for (const [key, trouble] of lists)
      for (const n of numbers(name, key, config[key])) {
        if ((this.troubled.get(n) ?? trouble) !== trouble) throw new ProviderConfigError(name, key, `lists ${n}, which no_answer_numbers lists too; keep each number in one list`);
        this.troubled.set(n, trouble);
      }
  }

  async start(ctx: ProviderContext): Promise<void> {
    this.ctx = ctx;
    for (const m of (await this.sink.unreported?.(this.name)) ?? [])
      this.report({ to: m.to_number, channel: m.channel as Channel, dial: Number(m.dials) }, m.provider_message_id);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (this.config.send_delay_ms) await sleep(this.config.send_delay_ms);
    const { id } = await this.sink.record(
      {
        message_id: msg.id,
        to_number: msg.to,
        channel: msg.channel,
        text: msg.text,
        locale: msg.locale,
        encoding: msg.encoding,
        segments: msg.segments,
        created_at: Date.now(),
      },
      msg.dial,
    );
    this.sent++;
    const providerMessageId = `inbox-${id}`;
    this.report(msg, providerMessageId);
    return { providerMessageId };
  }

  /** The receipt a phone would cause, after `delivery_delay_ms`. */
  private report(msg: Pick<OutboundMessage, 'to' | 'channel' | 'dial'>, providerMessageId: string): void {
    const outcome = this.outcomeOf(msg);
    const report = () =>
      this.ctx?.onReceipt({
        provider: this.name,
        providerMessageId,
        outcome,
        errorCode: outcome === 'undelivered' ? 'UNDELIV' : undefined,
        billSec: msg.channel === 'voice' && outcome === 'delivered' ? 12 : undefined,
        at: new Date(),
      });
    const delay = this.config.delivery_delay_ms ?? 0;
    if (delay > 0) setTimeout(report, delay).unref();
    else setImmediate(report);
  }

  private outcomeOf(msg: Pick<OutboundMessage, 'to' | 'channel' | 'dial'>): ReceiptOutcome {
    if (this.undelivered.has(msg.to)) return 'undelivered';
    const trouble = msg.channel === 'voice' ? this.troubled.get(msg.to) : undefined;
    const unanswered = this.config.unanswered_dials ?? Infinity;
    return trouble && (msg.dial ?? 1) <= unanswered ? trouble : 'delivered';
  }

  status(): Record<string, unknown> {
    return { state: 'up', sent: this.sent };
  }
}

/** A config list of numbers in E.164 ("+" optional, as written in undelivered_numbers so far). */
function numbers(provider: string, key: string, list: unknown): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ProviderConfigError(provider, key, 'must be a list of numbers in E.164, e.g. ["+989121234567"]');
  return list.map((n) => {
    if (typeof n !== 'string' || !/^\+?[1-9]\d{5,14}$/.test(n)) throw new ProviderConfigError(provider, key, `has ${JSON.stringify(n)}; write numbers in E.164, e.g. "+989121234567"`);
    return n.replace(/^\+?/, '+');
  });
}
