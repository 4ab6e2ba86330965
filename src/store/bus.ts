/**
 * Fans committed store events out to the other instances of a deployment, so a dispatcher wakes
 * for work another instance accepted (no busy polling) and a dev inbox or dashboard client sees
 * changes made on any instance. PostgreSQL LISTEN/NOTIFY carries them: the database every
 * instance already shares, transactional, and no extra service to run.
 *
 * Local events of one event-loop turn go out as one NOTIFY (a JSON array under PostgreSQL's
 * 8,000-byte payload limit, split when longer); a peer re-emits them on its own hub. Every hub
 * listener only reads or wakes (SSE frames, claim now), so a remote event can never cause a
 * second write. On SQLite (one process per file) the bus does nothing.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { EventHub, StoreEvent } from './events.ts';
import type { DialectName } from './dialect.ts';

const CHANNEL = 'otpgate_events';
/** Bytes of JSON per NOTIFY, under PostgreSQL's 8,000-byte limit with room for the envelope. */
const MAX_PAYLOAD = 7_000;

interface Envelope {
  from: string;
  events: StoreEvent[];
}

export class ClusterBus {
  readonly instanceId = randomUUID();
  private listener?: pg.Client;
  private pending: StoreEvent[] = [];
  private scheduled = false;
  private readonly remote = new WeakSet<StoreEvent>();
  private offHub?: () => void;
  private closed = false;
  private retry?: NodeJS.Timeout;
  /** Events received from peers and sent to them (metrics, tests). */
  readonly stats = { received: 0, sent: 0 };

  constructor(
    private readonly d: { dialect: DialectName; url: string; hub: EventHub; log: Logger },
  ) {}

  async start(): Promise<void> {
    if (this.d.dialect !== 'postgres') return;
    await this.listen();
    this.offHub = this.d.hub.on((e) => {
      if (this.remote.has(e)) return;
      this.pending.push(e);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.publish());
      }
    });
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.offHub?.();
    clearTimeout(this.retry);
    await this.publish();
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    // pg is loaded only here (~15 MB of RSS): an embedded SQLite instance never listens.
    const { default: pgLib } = await import('pg');
    const client = new pgLib.Client({ connectionString: this.d.url });
    client.on('notification', (n) => this.receive(n.payload));
    client.on('error', (err) => {
      // The connection is gone (database restart, failover): listen again on a new one.
      this.d.log.warn({ err }, 'cluster event listener lost its connection; reconnecting');
      this.reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  private reconnect(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closed) this.listen().catch(() => this.reconnect());
    }, 1_000).unref();
  }

  private receive(payload: string | undefined): void {
    if (!payload) return;
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (env.from === this.instanceId) return;
    for (const e of env.events) {
      this.stats.received++;
      this.remote.add(e);
      this.d.hub.emit(e);
    }
  }

  private async publish(): Promise<void> {
    this.scheduled = false;
    const events = this.pending;
    this.pending = [];
    const client = this.listener;
    if (events.length === 0 || !client) return;
    for (const chunk of chunks(events, this.instanceId))
      try {
        await client.query('select pg_notify($1, $2)', [CHANNEL, chunk]);
        this.stats.sent++;
      } catch (err) {
        // Peers then learn of the work at their next poll: slower, never lost (rows are the truth).
        this.d.log.warn({ err }, 'publishing events to the other instances failed');
      }
  }
}

/** Envelopes of consecutive events, each under MAX_PAYLOAD bytes. */
function chunks(events: StoreEvent[], from: string): string[] {
  const out: string[] = [];
  let batch: StoreEvent[] = [];
  let size = 0;
  for (const e of events) {
    const n = Buffer.byteLength(JSON.stringify(e));
    if (batch.length > 0 && size + n > MAX_PAYLOAD) {
      out.push(JSON.stringify({ from, events: batch }));
      [batch, size] = [[], 0];
    }
    batch.push(e);
    size += n + 1;
  }
  if (batch.length > 0) out.push(JSON.stringify({ from, events: batch }));
  return out;
}
