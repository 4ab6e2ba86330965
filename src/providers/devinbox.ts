/**
 * The embedded carrier (Mailpit's idea for SMS): records each message in the dev inbox instead
 * of sending it, then reports it delivered after `delivery_delay_ms`, or undelivered for numbers
 * listed in `undelivered_numbers`, so failure paths can be tried without a carrier.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboxRecord } from '../store/inbox.ts';
import { type Channel, type OutboundMessage, type Provider, type ProviderContext, ProviderConfigError, type SendResult } from './types.ts';

export interface DevInboxConfig {
  delivery_delay_ms?: number;
  undelivered_numbers?: string[];
  /** Slows each send (crash-recovery tests and demos of the outbox). */
  send_delay_ms?: number;
}

/** Where the inbox keeps what it received; idempotent per message id. */
export interface InboxSink {
  record(entry: InboxRecord): Promise<{ id: number; duplicate: boolean }>;
}

export class DevInboxProvider implements Provider {
  readonly kind = 'devinbox';
  readonly channels: readonly Channel[] = ['sms', 'voice'];
  private ctx?: ProviderContext;
  private readonly undelivered: Set<string>;
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
    this.undelivered = new Set((config.undelivered_numbers ?? []).map((n) => n.replace(/^\+?/, '+')));
  }

  async start(ctx: ProviderContext): Promise<void> {
    this.ctx = ctx;
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (this.config.send_delay_ms) await sleep(this.config.send_delay_ms);
    const { id } = await this.sink.record({
      message_id: msg.id,
      to_number: msg.to,
      channel: msg.channel,
      text: msg.text,
      locale: msg.locale,
      encoding: msg.encoding,
      segments: msg.segments,
      created_at: Date.now(),
    });
    this.sent++;
    const providerMessageId = `inbox-${id}`;
    const outcome = this.undelivered.has(msg.to) ? 'undelivered' : 'delivered';
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
    return { providerMessageId };
  }

  status(): Record<string, unknown> {
    return { state: 'up', sent: this.sent };
  }
}
