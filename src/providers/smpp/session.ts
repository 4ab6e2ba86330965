/**
 * One SMPP connection: connect, bind, keep alive, answer the SMSC, submit through the window,
 * and reconnect with backoff after a drop or a refused bind. A transceiver both submits and
 * receives receipts; a transmitter/receiver pair is two of these.
 */
import type { Logger } from 'pino';
import { backoffDelay } from '../../core/backoff.ts';
import type { ProviderError } from '../types.ts';
import type { ResolvedSmppConfig } from './config.ts';
import { bindRefusedLine, isThrottle, linkError, submitError } from './errors.ts';
import { Inflight } from './inflight.ts';
import { pdu, smpp, Status, type Pdu, type SmppSessionLike } from './lib.ts';
import { RateMeter, Window } from './window.ts';

export type Role = 'transceiver' | 'transmitter' | 'receiver';
export type SessionState = 'down' | 'connecting' | 'binding' | 'bound' | 'stopped';

export interface SessionHooks {
  /**
   * A deliver_sm / data_sm arrived. It is answered once the returned promise settles (the
   * receipt recorded), so a crash before that leaves it unanswered and the SMSC sends it again.
   */
  onDeliver(p: Pdu, session: Session): Promise<unknown> | void;
  /** State changed (bound, down, …): the provider wakes senders waiting for a bind. */
  onState(session: Session): void;
}

const BIND_COMMAND: Record<Role, string> = {
  transceiver: 'bind_transceiver',
  transmitter: 'bind_transmitter',
  receiver: 'bind_receiver',
};

export class Session {
  state: SessionState = 'down';
  readonly window: Window;
  readonly submits = new RateMeter();
  readonly receipts = new RateMeter();
  errors = 0;
  lastError: string | null = null;
  reconnects = 0;
  private conn: SmppSessionLike | undefined;
  private readonly inflight: Inflight;
  private failures = 0;
  private throttleStreak = 0;
  private closeReason: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private enquiring = false;

  constructor(
    readonly index: number,
    readonly role: Role,
    private readonly cfg: ResolvedSmppConfig,
    private readonly configName: string,
    private readonly log: Logger,
    private readonly hooks: SessionHooks,
  ) {
    this.window = new Window(cfg.window, cfg.throughput);
    this.inflight = new Inflight(`${cfg.host}:${cfg.port}`, (message) => this.noteError(message));
  }

  get peer(): string {
    return `${this.cfg.host}:${this.cfg.port}`;
  }

  get canSubmit(): boolean {
    return this.role !== 'receiver' && this.state === 'bound' && this.conn?.socket.writable === true;
  }

  /** Load for picking the least busy bind. */
  get load(): number {
    return this.window.inUse + this.window.waiting;
  }

  start(): void {
    if (this.state === 'stopped' || this.conn) return;
    const conn = smpp.connect({ host: this.cfg.host, port: this.cfg.port });
    this.conn = conn;
    this.closeReason = undefined;
    this.setState('connecting');
    conn.socket.setNoDelay(true);
    const connectTimer = setTimeout(() => this.kill(conn, `no TCP connection within ${this.cfg.response_timeout_ms} ms`), this.cfg.response_timeout_ms);
    conn.on('connect', () => {
      clearTimeout(connectTimer);
      this.bind(conn);
    });
    conn.on('pdu', (p: Pdu) => this.onPdu(conn, p));
    conn.on('error', (err: NodeJS.ErrnoException) => this.kill(conn, err.code ?? err.message));
    conn.on('close', () => {
      clearTimeout(connectTimer);
      this.onClose(conn);
    });
  }

  /**
   * Submit one submit_sm through the window; resolves with the SMSC's message_id. `abort`
   * (checked once a slot is granted) stops the remaining parts of a message whose part failed.
   * `onAnswer` is called synchronously when an accepting submit_sm_resp is read, before any later
   * PDU of this connection is handled; the window slot is held until the promise it returns
   * settles (the answer durably recorded), so at most `window` submits per bind are ever
   * accepted by the SMSC but not yet on record.
   */
  async submit(fields: Record<string, unknown>, abort?: { aborted: boolean }, onAnswer?: (messageId: string) => Promise<unknown>): Promise<string> {
    const timeout = this.cfg.response_timeout_ms;
    const deadline = Date.now() + timeout;
    let resp: Pdu;
    for (;;) {
      await this.window.acquire(Math.max(1, deadline - Date.now()), () =>
        this.state === 'bound'
          ? linkError('busy', `SMPP bind ${this.index} to ${this.peer}: window stayed full for ${timeout} ms`)
          : linkError('link_down', `SMPP bind ${this.index} to ${this.peer} is down (${this.lastError ?? this.state}) and did not come back within ${timeout} ms`),
      );
      const conn = this.conn;
      if (abort?.aborted) {
        this.window.release();
        throw linkError('link_down', 'another part of this message failed; not sending the rest');
      }
      if (!conn || !this.canSubmit) {
        // The link died under us before this PDU left: wait for the rebind instead of failing.
        this.window.release();
        this.window.setOpen(false);
        if (conn) this.kill(conn, 'socket no longer writable');
        continue;
      }
      const answer: { recorded?: Promise<unknown> } = {};
      const sync = (r: Pdu) => {
        if (r.command_status === Status.ROK && onAnswer) answer.recorded = onAnswer(String(r.message_id ?? ''));
      };
      try {
        resp = await this.request(conn, pdu('submit_sm', fields), timeout, sync);
        // A failed record is not a failed submit: the carrier took it; send()'s caller records it again.
        await answer.recorded?.catch(() => undefined);
      } finally {
        this.window.release();
      }
      break;
    }
    const status = resp.command_status;
    if (status !== Status.ROK) {
      const err = submitError(status);
      this.noteError(err.message);
      if (isThrottle(status)) {
        this.throttleStreak++;
        this.window.pause(this.cfg.throttle_backoff_ms * 2 ** Math.min(this.throttleStreak - 1, 4));
      }
      throw err;
    }
    this.throttleStreak = 0;
    this.submits.mark();
    return String(resp.message_id ?? '');
  }

  /** Unbind (waiting briefly for unbind_resp), close, and reject whatever is still in flight. */
  async stop(): Promise<void> {
    const conn = this.conn;
    const wasBound = this.state === 'bound';
    this.setState('stopped');
    clearTimeout(this.reconnectTimer);
    this.stopKeepAlive();
    this.window.failAll(() => linkError('stopped', `SMPP provider ${this.configName} is stopping`));
    if (!conn) return;
    if (wasBound) await this.request(conn, pdu('unbind'), Math.min(this.cfg.response_timeout_ms, 2000)).catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (conn.socket.destroyed) return resolve();
      conn.socket.once('close', () => resolve());
      this.kill(conn, 'stopped');
    });
  }

  private bind(conn: SmppSessionLike): void {
    this.setState('binding');
    const body = { system_id: this.cfg.system_id, password: this.cfg.password, system_type: this.cfg.system_type, interface_version: 0x34 };
    this.request(conn, pdu(BIND_COMMAND[this.role], body)).then(
      (resp) => {
        if (resp.command_status !== Status.ROK) return this.bindRefused(conn, resp.command_status);
        this.failures = 0;
        this.setState('bound');
        this.window.setOpen(true);
        this.log.info({ bind: this.index, role: this.role }, `SMPP bound to ${this.peer} as ${this.role} (bind ${this.index})`);
        this.enquireTimer = setInterval(() => this.enquire(conn), this.cfg.enquire_link_ms);
      },
      (err: ProviderError) => this.kill(conn, `bind: ${err.message}`),
    );
  }

  private bindRefused(conn: SmppSessionLike, status: number): void {
    const line = bindRefusedLine(this.peer, status, this.configName);
    this.noteError(line);
    this.log.error({ bind: this.index, command_status: status }, line);
    this.closeReason = 'bind refused';
    conn.destroy();
  }

  private enquire(conn: SmppSessionLike): void {
    if (this.enquiring || this.state !== 'bound') return;
    this.enquiring = true;
    this.request(conn, pdu('enquire_link')).then(
      () => (this.enquiring = false),
      () => {
        this.enquiring = false;
        this.kill(conn, `no enquire_link_resp within ${this.cfg.response_timeout_ms} ms (dead link)`);
      },
    );
  }

  private request(conn: SmppSessionLike, req: Pdu, timeoutMs = this.cfg.response_timeout_ms, sync?: (resp: Pdu) => void): Promise<Pdu> {
    return this.inflight.request(conn, req, timeoutMs, sync);
  }

  private onPdu(conn: SmppSessionLike, p: Pdu): void {
    if (p.isResponse()) return void this.inflight.settle(p); // false: a late answer after its timeout
    switch (p.command) {
      case 'enquire_link':
        conn.send(p.response());
        return;
      case 'deliver_sm':
      case 'data_sm': {
        this.receipts.mark();
        const recorded = this.hooks.onDeliver(p, this);
        if (!recorded) return void conn.send(p.response());
        // A link that closed meanwhile refuses the send: the SMSC re-sends it on the next bind.
        void recorded.then(
          () => conn.send(p.response()),
          () => conn.send(p.response()),
        );
        return;
      }
      case 'unbind':
        conn.send(p.response());
        this.closeReason = 'the SMSC unbound';
        conn.close();
        return;
      case 'alert_notification':
        return;
      default:
        conn.send(pdu('generic_nack', { sequence_number: p.sequence_number, command_status: 0x03 }));
    }
  }

  private kill(conn: SmppSessionLike, reason: string): void {
    if (this.conn === conn && this.closeReason === undefined) this.closeReason = reason;
    conn.destroy();
  }

  private onClose(conn: SmppSessionLike): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.stopKeepAlive();
    const wasBound = this.state === 'bound';
    const reason = this.closeReason ?? 'closed by peer';
    this.inflight.failAll(() =>
      linkError(this.state === 'stopped' ? 'stopped' : 'link_down', `SMPP link to ${this.peer} closed (${reason}) with the PDU in flight`),
    );
    this.window.setOpen(false);
    if (this.state === 'stopped') return;
    this.setState('down');
    const delay = backoffDelay(++this.failures, { baseMs: this.cfg.reconnect_min_ms, maxMs: this.cfg.reconnect_max_ms, factor: 2, jitter: 0.2 });
    if (reason !== 'bind refused') {
      this.noteError(reason);
      const what = wasBound ? `link to ${this.peer} lost` : `connect to ${this.peer} failed`;
      this.log.warn({ bind: this.index, role: this.role }, `SMPP ${what} (${reason}); reconnecting in ${delay} ms`);
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnects++;
      this.start();
    }, delay);
  }

  private stopKeepAlive(): void {
    clearInterval(this.enquireTimer);
    this.enquireTimer = undefined;
    this.enquiring = false;
  }

  private noteError(message: string): void {
    this.errors++;
    this.lastError = message;
  }

  private setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.hooks.onState(this);
  }
}
