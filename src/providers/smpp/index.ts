/**
 * The SMPP v3.4 carrier link. `binds` sessions (each a transceiver, or a transmitter +
 * receiver pair) to one SMSC; send() picks the least busy bound session, submits every part
 * of the message through its window, reports each part's answer as it is read
 * (SendHooks.accepted) and resolves with the first part's message_id and every part's key.
 * Receipts (deliver_sm) are reported per part, keyed as ids.ts declares, with the destination
 * they name; the store decides the message (delivered only when every part is).
 *
 * Delivery is at-least-once: a submit_sm whose answer is lost (link drop, timeout, crash)
 * is sent again, so a carrier may see a message twice; never zero times. A window slot is
 * freed only once its answer is recorded, which bounds those repeats to the window per bind.
 */
import type { Logger } from 'pino';
import {
  ProviderError,
  type OutboundMessage,
  type Provider,
  type ProviderContext,
  type ProviderFactory,
  type SendHooks,
  type SendResult,
  type SlotLease,
} from '../types.ts';
import { resolveConfig, sourceAddress, type ResolvedSmppConfig, type SmppConfig } from './config.ts';
import { encodeMessage, type EncodedMessage } from './encode.ts';
import { linkError } from './errors.ts';
import { idKey, ReceiptGate, receiptKeys } from './ids.ts';
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
  private readonly gate: ReceiptGate<{ keys: string[]; r: ParsedReceipt }>;
  private readonly bindWaiters = new Set<BindWaiter>();
  private ref = Math.floor(Math.random() * 256);
  private stopped = false;
  private binds: SlotLease | undefined;
  /** Sessions of slots given up, still closing. */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    readonly name: string,
    config: SmppConfig,
  ) {
    this.config = resolveConfig(name, config);
    // A receipt waits for its submit answer at most as long as that answer may take.
    this.gate = new ReceiptGate(({ keys, r }) => this.emit(keys, r), this.config.response_timeout_ms + 1000, this.config.receipt_memory);
  }

  async start(ctx: ProviderContext): Promise<void> {
    if (this.ctx) return;
    this.ctx = ctx;
    this.log = ctx.log.child({ provider: this.name });
    // Other instances submit on this system_id too: their receipts reach this bind (ids.ts holdUnknown).
    if (ctx.leaseSlots) this.gate.holdUnknown = false;
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
  }

  async send(msg: OutboundMessage, hooks: SendHooks = {}): Promise<SendResult> {
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
    const total = encoded.parts.length;
    // Runs in the turn the answer is read: the gate knows the key before the next PDU is handled.
    const onAnswer = (index: number) => (id: string) => {
      const key = idKey(id);
      const rec = hooks.accepted ? hooks.accepted({ index, total, providerMessageId: id, key }) : Promise.resolve();
      this.gate.answered(key, rec);
      return rec;
    };
    const partIds = await Promise.all(
      encoded.parts.map((part, i) =>
        session.submit({ ...base, ...part }, abort, onAnswer(i)).catch((err: unknown) => {
          abort.aborted = true;
          throw err;
        }),
      ),
    );
    return { providerMessageId: partIds[0], parts: partIds.map(idKey) };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of [...this.bindWaiters]) w.fail(linkError('stopped', `SMPP provider ${this.name} is stopping`));
    await this.binds?.stop();
    await Promise.all([...this.sessions.map((s) => s.stop()), ...this.closing]);
    this.gate.expire(true);
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
      receipts_waiting_for_answer: this.gate.waiting,
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

  /** Settles when the receipt was handed to the store (the session answers the deliver_sm then). */
  private onDeliver(p: Pdu): Promise<unknown> | void {
    const r = parseReceipt(p);
    if (!r) {
      this.log.debug({ from: p.source_addr, esm_class: p.esm_class }, 'SMPP deliver_sm that is not a receipt ignored');
      return;
    }
    const { submit_id_format: submit, receipt_id_format: receipt } = this.config;
    // The TLV carries the id as the submit answer wrote it; the text in the receipt's own form.
    let keys = r.idFrom === 'tlv' ? receiptKeys(r.id, submit, submit) : receiptKeys(r.id, submit, receipt);
    if (keys.length === 0 && r.textId) keys = receiptKeys(r.textId, submit, receipt);
    if (keys.length === 0) {
      this.log.warn({ id: r.id, submit_id_format: submit, receipt_id_format: receipt }, `SMPP receipt id "${r.id}" does not read as declared; check providers.${this.name}.receipt_id_format`);
      return;
    }
    return this.gate.receipt(keys, { keys, r });
  }

  private emit(keys: string[], r: ParsedReceipt): unknown {
    try {
      return this.ctx?.onReceipt({
        provider: this.name,
        providerMessageId: keys[0],
        ...(keys.length > 1 ? { candidates: keys } : {}),
        ...(r.from ? { to: r.from } : {}),
        outcome: r.outcome,
        errorCode: errorCodeOf(r),
        at: new Date(),
      });
    } catch (err) {
      this.log.error({ err, keys }, 'onReceipt failed');
    }
  }
}

export const createSmppProvider: ProviderFactory<SmppConfig> = (name, config) => new SmppProvider(name, config);
