/**
 * The simulator's store-and-forward of delivery receipts: each receipt waits receipt_delay_ms,
 * then goes to a bound receiver (transceiver or receiver) of the same system_id; one that is
 * not acknowledged (deliver_sm_resp) before its link drops is sent again on the next bind.
 */
import { pdu, type Pdu, type SmppSessionLike } from '../../src/providers/smpp/lib.ts';

export const STATES: Record<string, number> = {
  ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8,
};

export interface ReceiptJob {
  systemId: string;
  fields: Record<string, unknown>;
}

export interface ReceiptText {
  id: string;
  stat: string;
  err: string;
  submitAt: Date;
  text: string;
}

function smppDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

/** SMPP v3.4 Appendix B: `id:… sub:001 dlvrd:001 submit date:… done date:… stat:… err:… text:…`. */
export function receiptText(r: ReceiptText): string {
  const dlvrd = r.stat === 'DELIVRD' ? '001' : '000';
  const text = r.text.slice(0, 20).replace(/[^\x20-\x7e]/g, '?');
  return `id:${r.id} sub:001 dlvrd:${dlvrd} submit date:${smppDate(r.submitAt)} done date:${smppDate(new Date())} stat:${r.stat} err:${r.err} text:${text}`;
}

export interface Receiver {
  session: SmppSessionLike;
  systemId: string;
  /** deliver_sm sent and not yet answered, by sequence_number. */
  unacked: Map<number, ReceiptJob>;
}

const WINDOW = 50;

export class ReceiptQueue {
  private ready: ReceiptJob[] = [];
  private head = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private rr = 0;
  sent = 0;
  acked = 0;

  constructor(
    private readonly delayMs: number,
    private readonly receivers: () => Receiver[],
  ) {}

  get pending(): number {
    let unacked = 0;
    for (const r of this.receivers()) unacked += r.unacked.size;
    return this.ready.length - this.head + this.timers.size + unacked;
  }

  enqueue(job: ReceiptJob): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.ready.push(job);
      this.pump();
    }, this.delayMs);
    this.timers.add(t);
  }

  /**
   * Write `first` (a submit_sm_resp) and the receipt's deliver_sm in one TCP write on `receiver`,
   * as a fast SMSC does; the receipt is then tracked like any other.
   */
  sendWith(receiver: Receiver, job: ReceiptJob, first: Pdu): void {
    const session = receiver.session as SmppSessionLike & { sequence: number };
    const p = pdu('deliver_sm', job.fields);
    session.sequence = session.sequence >= 0x7fffffff ? 1 : session.sequence + 1;
    p.sequence_number = session.sequence;
    if (session.socket.destroyed) return;
    session.socket.write(Buffer.concat([first.toBuffer(), p.toBuffer()]));
    receiver.unacked.set(p.sequence_number, job);
    this.sent++;
  }

  /** A deliver_sm_resp arrived. */
  ack(receiver: Receiver, resp: Pdu): void {
    if (receiver.unacked.delete(resp.sequence_number)) this.acked++;
    this.pump();
  }

  /** A receiver's link closed: its unacknowledged receipts go back to the front of the queue. */
  requeue(receiver: Receiver): void {
    this.ready.splice(this.head, 0, ...receiver.unacked.values());
    receiver.unacked.clear();
    this.pump();
  }

  /** Hand ready receipts to receivers in order; stops at the first one no receiver can take now. */
  pump(): void {
    const receivers = this.receivers().filter((r) => !r.session.socket.destroyed);
    while (this.head < this.ready.length) {
      const job = this.ready[this.head];
      const able = receivers.filter((r) => r.systemId === job.systemId && r.unacked.size < WINDOW);
      if (able.length === 0) break;
      const r = able[this.rr++ % able.length];
      const p = pdu('deliver_sm', job.fields);
      if (!r.session.send(p)) break;
      r.unacked.set(p.sequence_number, job);
      this.sent++;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ready = [];
    this.head = 0;
  }
}
