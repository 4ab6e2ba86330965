/**
 * The SMPP v3.4 carrier link. `binds` sessions (each a transceiver, or a transmitter +
 * receiver pair) to one SMSC; send() picks the least busy bound session, submits every part
 * of the message through its window and resolves with the first part's message_id. Receipts
 * (deliver_sm) for any part are reported once per message under that id: the first final
 * receipt wins and later ones (other parts, repeats) are ignored.
 *
 * Delivery is at-least-once: a submit_sm whose answer is lost (link drop, timeout) rejects
 * with a retryable ProviderError and the dispatcher sends it again, so a carrier may see a
 * message twice; never zero times.
 */
import type { Logger } from 'pino';
import {
  ProviderError,
  type OutboundMessage,
  type Provider,
  type ProviderContext,
  type ProviderFactory,
  type SendResult,
  type SlotLease,
} from '../types.ts';
import { resolveConfig, sourceAddress, type ResolvedSmppConfig, type SmppConfig } from './config.ts';
import { encodeMessage, type EncodedMessage } from './encode.ts';
import { linkError } from './errors.ts';
import { IdIndex, type SentMessage } from './ids.ts';
import type { Pdu } from './lib.ts';
import { errorCodeOf, parseReceipt, type ParsedReceipt } from './receipts.ts';
import { Session } from './session.ts';
import { leaseBinds } from './slots.ts';

export type { SmppConfig } from './config.ts';

interface BindWaiter {
  check(): void;
  fail(err: ProviderError): void;
}

export class SmppProvider implements Provider {
  readonly kind = 'smpp';
  readonly channels = ['sms'] as const;
  readonly config: ResolvedSmppConfig;
  private sessions: Session[] = [];
  private ctx: ProviderContext | undefined;
  private log!: Logger;
  private readonly ids: IdIndex<ParsedReceipt>;
  private readonly bindWaiters = new Set<BindWaiter>();
  private ref = Math.floor(Math.random() * 256);
  private heldTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private binds: SlotLease | undefined;
  /** Sessions of slots given up, still closing. */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    readonly name: string,
    config: SmppConfig,
  ) {
    this.config = resolveConfig(name, config);
    this.ids = new IdIndex(this.config.receipt_memory, this.config.receipt_memory_ms, this.config.response_timeout_ms + 1000);
  }

  async start(ctx: ProviderContext): Promise<void> {
    if (this.ctx) return;
    this.ctx = ctx;
    this.log = ctx.log.child({ provider: this.name });
    const hooks = { onDeliver: (p: Pdu) => this.onDeliver(p), onState: () => this.wakeSenders() };
    const roles = this.config.bind_mode === 'transceiver' ? (['transceiver'] as const) : (['transmitter', 'receiver'] as const);
    // Bind i opens while its slot is ours (all of them when alone; see slots.ts).
    this.binds = leaseBinds(
      ctx,
      this.config,
      (i) => {
        for (const role of roles) {
          const s = new Session(i, role, this.config, this.name, this.log, hooks);
          this.sessions.push(s);
          s.start();
        }
      },
      (i) => {
        for (const s of this.sessions.filter((x) => x.index === i)) this.closing.add(s.stop());
        this.sessions = this.sessions.filter((x) => x.index !== i);
      },
    );
    this.heldTimer = setInterval(() => {
      for (const r of this.ids.expired()) this.emit(r.id, r);
    }, 250);
    this.heldTimer.unref();
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.ctx || this.stopped) throw new ProviderError('not_started', `SMPP provider ${this.name} is not running`, true);
    if (msg.channel !== 'sms') throw new ProviderError('unsupported_channel', `SMPP provider ${this.name} carries SMS only, not ${msg.channel}`, false);
    const destination = msg.to.replace(/^\+/, '');
    if (!/^\d{1,20}$/.test(destination))
      throw new ProviderError('invalid_destination', `destination "${msg.to}" is not an E.164 number`, false);
    let encoded: EncodedMessage;
    try {
      this.ref = (this.ref + 1) & 0xff;
      encoded = encodeMessage(msg.text, this.config.long_messages, this.ref);
    } catch (err) {
      throw new ProviderError('invalid_message', `cannot encode message ${msg.id}: ${(err as Error).message}`, false);
    }
    const session = await this.pickSession();
    const src = sourceAddress(this.config, msg.from);
    const base = {
      source_addr_ton: src.ton,
      source_addr_npi: src.npi,
      source_addr: src.addr,
      dest_addr_ton: this.config.dest_ton,
      dest_addr_npi: this.config.dest_npi,
      destination_addr: destination,
      registered_delivery: this.config.registered_delivery,
    };
    const abort = { aborted: false };
    const partIds = await Promise.all(
      encoded.parts.map((part) =>
        session.submit({ ...base, ...part }, abort).catch((err: unknown) => {
          abort.aborted = true;
          throw err;
        }),
      ),
    );
    const { message, held } = this.ids.add(partIds);
    for (const r of held) this.emitFor(message, r);
    return { providerMessageId: message.primary };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heldTimer);
    for (const w of [...this.bindWaiters]) w.fail(linkError('stopped', `SMPP provider ${this.name} is stopping`));
    await this.binds?.stop();
    await Promise.all([...this.sessions.map((s) => s.stop()), ...this.closing]);
    for (const r of this.ids.drainHeld()) this.emit(r.id, r);
  }

  /** Bind slots held by this instance (all of them when alone; see slots.ts). */
  canSend(): boolean {
    return this.sessions.length > 0;
  }

  status(): Record<string, unknown> {
    return {
      kind: this.kind,
      peer: `${this.config.host}:${this.config.port}`,
      bind_mode: this.config.bind_mode,
      binds: this.sessions.map((s) => ({
        bind: s.index,
        role: s.role,
        state: s.state,
        window_in_use: s.window.inUse,
        window: this.config.window,
        waiting: s.window.waiting,
        paused: s.window.paused,
        submits_per_s: s.submits.rate(),
        receipts_per_s: s.receipts.rate(),
        errors: s.errors,
        last_error: s.lastError,
        reconnects: s.reconnects,
      })),
      messages_remembered: this.ids.size,
    };
  }

  /** The least busy bound session able to submit; waits up to response_timeout_ms for one. */
  private pickSession(): Promise<Session> {
    const ready = (): Session | undefined => {
      let best: Session | undefined;
      for (const s of this.sessions) if (s.canSubmit && (!best || s.load < best.load)) best = s;
      return best;
    };
    const now = ready();
    if (now) return Promise.resolve(now);
    const timeout = this.config.response_timeout_ms;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.bindWaiters.delete(waiter);
      };
      const waiter: BindWaiter = {
        check: () => {
          const s = ready();
          if (s) (done(), resolve(s));
        },
        fail: (err) => (done(), reject(err)),
      };
      const timer = setTimeout(() => {
        const states = this.sessions.map((s) => `${s.role} ${s.index}: ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`).join('; ');
        waiter.fail(linkError('no_bind', `no SMPP bind to ${this.config.host}:${this.config.port} is up after ${timeout} ms: ${states}`));
      }, timeout);
      this.bindWaiters.add(waiter);
    });
  }

  private wakeSenders(): void {
    for (const w of [...this.bindWaiters]) w.check();
  }

  private onDeliver(p: Pdu): void {
    const r = parseReceipt(p);
    if (!r) {
      this.log.debug({ from: p.source_addr, esm_class: p.esm_class }, 'SMPP deliver_sm that is not a receipt ignored');
      return;
    }
    const message = this.ids.lookup(r.id);
    if (message) this.emitFor(message, r);
    else this.ids.hold(r.id, r);
  }

  private emitFor(message: SentMessage, r: ParsedReceipt): void {
    if (message.final) return;
    if (r.final) message.final = true;
    this.emit(message.primary, r);
  }

  private emit(providerMessageId: string, r: ParsedReceipt): void {
    try {
      this.ctx?.onReceipt({ provider: this.name, providerMessageId, outcome: r.outcome, errorCode: errorCodeOf(r), at: new Date() });
    } catch (err) {
      this.log.error({ err, providerMessageId }, 'onReceipt failed');
    }
  }
}

export const createSmppProvider: ProviderFactory<SmppConfig> = (name, config) => new SmppProvider(name, config);
