/**
 * Requests awaiting their response on one connection, by sequence_number, each with its own
 * timeout. A late response (after its timeout) is dropped; a closed link rejects them all.
 */
import type { ProviderError } from '../types.ts';
import { linkError } from './errors.ts';
import type { Pdu, SmppSessionLike } from './lib.ts';

interface Pending {
  /** Runs synchronously as the response is read, before the next PDU of the connection. */
  sync?(resp: Pdu): void;
  resolve(resp: Pdu): void;
  reject(err: ProviderError): void;
  timer: NodeJS.Timeout;
}

export class Inflight {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly peer: string,
    /** Called when a request times out (counted as an error of the bind). */
    private readonly onTimeout: (message: string) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Send `req` and await its response (whatever its command_status); rejects on timeout or drop.
   * `sync` sees the response in the same turn it is read (a promise's continuation would run
   * only after node-smpp handed over every other PDU of that TCP read).
   */
  request(conn: SmppSessionLike, req: Pdu, timeoutMs: number, sync?: (resp: Pdu) => void): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      let sent = false;
      try {
        sent = conn.send(req);
      } catch (err) {
        return reject(linkError('link_down', `could not encode ${req.command}: ${(err as Error).message}`));
      }
      if (!sent) return reject(linkError('link_down', `SMPP link to ${this.peer} is closed; ${req.command} not sent`));
      const seq = req.sequence_number;
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        const message = `SMPP ${this.peer} did not answer ${req.command} within ${timeoutMs} ms`;
        this.onTimeout(message);
        reject(linkError('timeout', message));
      }, timeoutMs);
      this.pending.set(seq, { sync, resolve, reject, timer });
    });
  }

  /** Hand a response PDU to its request; false if nobody waits for it any more. */
  settle(resp: Pdu): boolean {
    const p = this.pending.get(resp.sequence_number);
    if (!p) return false;
    this.pending.delete(resp.sequence_number);
    clearTimeout(p.timer);
    p.sync?.(resp);
    p.resolve(resp);
    return true;
  }

  failAll(err: () => ProviderError): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err());
    }
    this.pending.clear();
  }
}
