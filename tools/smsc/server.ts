/**
 * An SMSC simulator over real TCP (node-smpp's server): binds with a password check, answers
 * submit_sm with message ids, reassembles and decodes what it got, and sends delivery receipts.
 * Switches for the faults carriers produce: throttling, dropped links, slow answers, refused
 * binds, undeliverable numbers, hex or decimal ids, text or TLV receipts.
 */
import { pdu, smpp, Status, type Pdu, type SmppSessionLike } from '../../src/providers/smpp/lib.ts';
import { decodeBody, partOf, Reassembler } from './reassembly.ts';
import { disguiseId, formatId, type IdFormat } from './ids.ts';
import { ReceiptQueue, receiptText, STATES, type Receiver } from './receipts.ts';

export interface SmscOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Expected credentials; a wrong system_id gets ESME_RINVSYSID, a wrong password ESME_RINVPASWD. Defaults otpgate / secret. */
  system_id?: string;
  password?: string;
  /** Delay between submit_sm_resp and the receipt; default 0. */
  receipt_delay_ms?: number;
  /** Receipt stat by destination suffix (longest wins); default { '0': 'UNDELIV', '9': 'REJECTD' }, otherwise DELIVRD. */
  outcomes?: Record<string, string>;
  /** Answer every Nth submit_sm with ESME_RTHROTTLED; 0 = never. */
  throttle_every?: number;
  /** Cut the connection when the Nth submit_sm arrives (it stays unanswered and is not accepted), and every N after; 0 = never. */
  drop_after?: number;
  /** Delay before each submit_sm_resp; default 0. */
  response_delay_ms?: number;
  /** Message ids in submit_sm_resp: 'hex' (default, upper case), 'hex10' (zero-padded to 10), 'decimal' or 'uuid'. */
  id_format?: IdFormat;
  /** The id in the receipt text (carriers differ from their submit_sm_resp); default = id_format. */
  receipt_id_format?: IdFormat;
  /**
   * Receipt as text in short_message, as receipted_message_id/message_state TLVs, or both
   * (default); 'mixed' is both with the TLV id in another case / padding than the text's.
   */
  receipt_format?: 'text' | 'tlv' | 'both' | 'mixed';
  /** First message id number (default random); `restart()` starts again from it, as an SMSC restart does. */
  id_start?: number;
  /**
   * Write each receipt in the same TCP write as its submit_sm_resp, on the same transceiver
   * (a fast SMSC: the client reads both PDUs at once). Ignores the delays.
   */
  same_write?: boolean;
  /**
   * Per-part receipt stats for multipart messages by destination suffix (longest wins), e.g.
   * { '5': ['DELIVRD', 'UNDELIV'] }: part 1 delivered, part 2 not; parts beyond the list get the last.
   */
  part_outcomes?: Record<string, string[]>;
  /** Destinations starting with one of these get ESME_RINVDSTADR (a permanent error); default none. */
  invalid_prefixes?: string[];
  /** Keep at most this many received messages in `messages`; default 100000. */
  max_messages?: number;
}

export interface ReceivedMessage {
  /** The first part's message id, as submit_sm_resp returned it. */
  id: string;
  ids: string[];
  system_id: string;
  from: string;
  to: string;
  text: string;
  data_coding: number;
  parts: number;
  via: 'single' | 'udh' | 'sar' | 'payload';
  ref?: number;
  /** The receipt stat the simulator gave each part (or will give, once the receipt is due). */
  stats: string[];
  at: Date;
}

export interface SmscStats {
  sessions: number;
  binds: number;
  bind_refusals: number;
  submits: number;
  accepted: number;
  throttled: number;
  rejected: number;
  drops: number;
  /** unbind PDUs received (a client closing cleanly). */
  unbinds: number;
  messages: number;
  receipts_sent: number;
  receipts_acked: number;
  receipts_pending: number;
}

export interface Smsc {
  port: number;
  stats(): SmscStats;
  messages: ReceivedMessage[];
  close(): Promise<void>;
  /** Cut every connection now. */
  dropAll(): void;
  /** Stop answering anything on the current connections (a dead link that TCP still holds open). */
  freezeAll(): void;
  /** An SMSC restart: every connection cut, pending receipts dropped, ids start again at id_start. */
  restart(): void;
}

interface Conn extends Receiver {
  role: 'transceiver' | 'transmitter' | 'receiver' | null;
  frozen: boolean;
}

const BINDS: Record<string, Conn['role']> = {
  bind_transceiver: 'transceiver',
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
};

export async function startSmsc(opts: SmscOptions = {}): Promise<Smsc> {
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as SmscOptions;
  const o: Required<Omit<SmscOptions, 'receipt_id_format' | 'id_start' | 'part_outcomes'>> & SmscOptions = {
    port: 0, host: '127.0.0.1', system_id: 'otpgate', password: 'secret', receipt_delay_ms: 0, outcomes: { '0': 'UNDELIV', '9': 'REJECTD' },
    throttle_every: 0, drop_after: 0, response_delay_ms: 0, id_format: 'hex', receipt_format: 'both', max_messages: 100_000, invalid_prefixes: [], same_write: false,
    ...given,
  };
  const receiptIdFormat = o.receipt_id_format ?? o.id_format;
  const conns = new Set<Conn>();
  const messages: ReceivedMessage[] = [];
  const reassembler = new Reassembler<{ id: string; dc: number; stat: string }>();
  const receipts = new ReceiptQueue(o.receipt_delay_ms, () => [...conns].filter((c) => c.role === 'transceiver' || c.role === 'receiver'));
  const timers = new Set<NodeJS.Timeout>();
  const s = { binds: 0, bind_refusals: 0, submits: 0, accepted: 0, throttled: 0, rejected: 0, drops: 0, unbinds: 0 };
  const firstId = o.id_start ?? 0x3a00_0000 + Math.floor(Math.random() * 0x10_0000);
  let nextId = firstId;

  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => (timers.delete(t), fn()), ms);
    timers.add(t);
  };

  const longest = <T>(map: Record<string, T>, to: string): T | undefined => {
    let best: string | undefined;
    for (const suffix of Object.keys(map)) if (to.endsWith(suffix) && suffix.length > (best?.length ?? -1)) best = suffix;
    return best === undefined ? undefined : map[best];
  };
  /** The stat of part `seq` (1-based) of a `total`-part message to `to`. */
  const statFor = (to: string, seq: number, total: number): string => {
    const perPart = total > 1 && o.part_outcomes ? longest(o.part_outcomes, to) : undefined;
    if (perPart?.length) return perPart[Math.min(seq, perPart.length) - 1];
    return longest(o.outcomes, to) ?? 'DELIVRD';
  };

  const receiptFields = (p: Pdu, n: number, stat: string, text: string): Record<string, unknown> => {
    const id = formatId(n, o.id_format);
    const err = stat === 'DELIVRD' ? '000' : '001';
    const fields: Record<string, unknown> = {
      source_addr_ton: p.dest_addr_ton, source_addr_npi: p.dest_addr_npi, source_addr: p.destination_addr,
      dest_addr_ton: p.source_addr_ton, dest_addr_npi: p.source_addr_npi, destination_addr: p.source_addr,
      esm_class: 0x04, data_coding: 0,
      short_message: o.receipt_format === 'tlv' ? Buffer.alloc(0) : Buffer.from(receiptText({ id: formatId(n, receiptIdFormat), stat, err, submitAt: new Date(), text }), 'latin1'),
    };
    if (o.receipt_format !== 'text')
      Object.assign(fields, { receipted_message_id: o.receipt_format === 'mixed' ? disguiseId(id) : id, message_state: STATES[stat] ?? 7 });
    return fields;
  };

  const onSubmit = (c: Conn, p: Pdu) => {
    if (c.role !== 'transceiver' && c.role !== 'transmitter') return c.session.send(p.response({ command_status: Status.RINVBNDSTS }));
    const count = ++s.submits;
    if (o.drop_after > 0 && count % o.drop_after === 0) {
      s.drops++;
      return c.session.destroy();
    }
    const answer = (fields: Record<string, unknown>) => later(o.response_delay_ms, () => c.session.send(p.response(fields)));
    if (o.throttle_every > 0 && count % o.throttle_every === 0) {
      s.throttled++;
      return answer({ command_status: Status.RTHROTTLED });
    }
    const to = String(p.destination_addr);
    if (!/^\d{1,20}$/.test(to) || o.invalid_prefixes.some((prefix) => to.startsWith(prefix))) {
      s.rejected++;
      return answer({ command_status: Status.RINVDSTADR });
    }
    const n = nextId++;
    const id = formatId(n, o.id_format);
    s.accepted++;
    const dc = Number(p.data_coding ?? 0);
    const part = partOf(p);
    const stat = statFor(to, part.seq, part.total);
    const done = reassembler.add(`${c.systemId}|${p.source_addr}|${p.destination_addr}`, part, { id, dc, stat });
    if (done) {
      const text = decodeBody(Buffer.concat(done.map((d) => d.body)), dc);
      messages.push({
        id: done[0].meta.id, ids: done.map((d) => d.meta.id), system_id: c.systemId, from: String(p.source_addr), to,
        text, data_coding: dc, parts: done.length, via: part.via, ref: part.ref, stats: done.map((d) => d.meta.stat), at: new Date(),
      });
      if (messages.length > o.max_messages) messages.splice(0, messages.length - o.max_messages);
    }
    const wantsReceipt = (Number(p.registered_delivery ?? 0) & 0x03) !== 0;
    if (o.same_write && wantsReceipt && c.role === 'transceiver')
      return receipts.sendWith(c, { systemId: c.systemId, fields: receiptFields(p, n, stat, decodeBody(part.body, dc)) }, p.response({ message_id: id }));
    answer({ message_id: id });
    if (wantsReceipt) later(o.response_delay_ms, () => receipts.enqueue({ systemId: c.systemId, fields: receiptFields(p, n, stat, decodeBody(part.body, dc)) }));
  };

  const onBind = (c: Conn, p: Pdu) => {
    if (c.role) return c.session.send(p.response({ command_status: Status.RALYBND }));
    const status = p.system_id !== o.system_id ? Status.RINVSYSID : p.password !== o.password ? Status.RINVPASWD : Status.ROK;
    if (status !== Status.ROK) {
      s.bind_refusals++;
      c.session.send(p.response({ command_status: status }));
      return setTimeout(() => c.session.close(), 20);
    }
    s.binds++;
    c.role = BINDS[p.command];
    c.systemId = String(p.system_id);
    c.session.send(p.response({ system_id: 'otpgate-smsc' }));
    receipts.pump();
  };

  const server = smpp.createServer((session: SmppSessionLike) => {
    const c: Conn = { session, systemId: '', role: null, unacked: new Map(), frozen: false };
    conns.add(c);
    session.socket.setNoDelay(true);
    session.on('error', () => session.destroy());
    session.on('close', () => {
      conns.delete(c);
      receipts.requeue(c);
    });
    session.on('pdu', (p: Pdu) => {
      if (c.frozen) return;
      if (p.isResponse()) return p.command === 'deliver_sm_resp' ? receipts.ack(c, p) : undefined;
      if (p.command in BINDS) return onBind(c, p);
      if (p.command === 'enquire_link') return session.send(p.response());
      if (!c.role) return session.send(p.response({ command_status: Status.RINVBNDSTS }));
      if (p.command === 'submit_sm') return onSubmit(c, p);
      if (p.command === 'unbind') {
        s.unbinds++;
        session.send(p.response());
        return session.close();
      }
      session.send(pdu('generic_nack', { sequence_number: p.sequence_number, command_status: 0x03 }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;

  return {
    port,
    messages,
    stats: () => ({
      ...s, sessions: conns.size, messages: messages.length,
      receipts_sent: receipts.sent, receipts_acked: receipts.acked, receipts_pending: receipts.pending,
    }),
    dropAll() {
      for (const c of conns) {
        s.drops++;
        c.session.destroy();
      }
    },
    freezeAll() {
      for (const c of conns) c.frozen = true;
    },
    restart() {
      receipts.close();
      for (const c of conns) {
        s.drops++;
        c.unacked.clear();
        c.session.destroy();
      }
      nextId = firstId;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      receipts.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of conns) c.session.destroy();
      await closed;
    },
  };
}
