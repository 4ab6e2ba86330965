/**
 * Receipt id matching. Carriers disagree on id radix: many return a hex id in submit_sm_resp
 * and put the same number in decimal in the receipt text (or the reverse, or change case and
 * leading zeros). Like Kannel, we compare both interpretations; the dispatcher matches by exact
 * string, so a receipt is re-labelled with the id exactly as submit_sm_resp returned it (for a
 * multipart message: the first part's id, which is what send() resolved with).
 *
 * Bounded: at most `max` messages, each forgotten after `ttlMs`. A receipt for an id not known
 * yet (its submit_sm_resp still on the way, e.g. on the other socket of a transmitter/receiver
 * pair) is held for `holdMs`, then emitted with the id as received.
 */
export interface SentMessage {
  /** The id send() resolved with. */
  primary: string;
  /** A final receipt was reported; later ones (other parts, repeats) are ignored. */
  final: boolean;
  keys: string[];
  at: number;
}

const HEX = /^[0-9a-f]+$/i;
const DEC = /^[0-9]+$/;

/** Keys a submit_sm_resp id is stored under: exact, and its value read as hex and/or decimal. */
function storeKeys(id: string): string[] {
  const keys = ['x:' + id];
  if (id.length <= 40 && HEX.test(id)) keys.push('h:' + BigInt('0x' + id).toString());
  if (id.length <= 40 && DEC.test(id)) keys.push('d:' + BigInt(id).toString());
  return keys;
}

/** Keys to try for a receipt id, most specific first: exact, same radix, then the other radix. */
function lookupKeys(id: string): string[] {
  const keys = ['x:' + id];
  if (id.length > 40) return keys;
  if (DEC.test(id)) {
    const v = BigInt(id).toString();
    keys.push('d:' + v, 'h:' + v);
  }
  if (HEX.test(id)) {
    const v = BigInt('0x' + id).toString();
    keys.push('h:' + v, 'd:' + v);
  }
  return keys;
}

export class IdIndex<P> {
  private readonly byKey = new Map<string, SentMessage>();
  private readonly order: SentMessage[] = [];
  private head = 0;
  private held: Array<{ id: string; payload: P; until: number }> = [];

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly holdMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.order.length - this.head;
  }

  /**
   * Remember a sent message by all its part ids (first = primary). Returns the held receipts
   * that turn out to belong to it, in arrival order.
   */
  add(partIds: string[]): { message: SentMessage; held: P[] } {
    this.evict();
    const message: SentMessage = { primary: partIds[0], final: false, keys: [], at: this.now() };
    for (const id of partIds) for (const key of storeKeys(id)) {
      message.keys.push(key);
      this.byKey.set(key, message);
    }
    this.order.push(message);
    const held: P[] = [];
    if (this.held.length > 0) {
      this.held = this.held.filter((h) => {
        if (this.lookup(h.id) !== message) return true;
        held.push(h.payload);
        return false;
      });
    }
    return { message, held };
  }

  lookup(id: string): SentMessage | undefined {
    for (const key of lookupKeys(id)) {
      const m = this.byKey.get(key);
      if (m) return m;
    }
    return undefined;
  }

  /** Hold a receipt whose id is unknown; `expired()` hands it back once holdMs passed. */
  hold(id: string, payload: P): void {
    if (this.held.length >= 10_000) this.held.shift();
    this.held.push({ id, payload, until: this.now() + this.holdMs });
  }

  /** Held receipts whose wait is over (removed from the hold). */
  expired(): P[] {
    const t = this.now();
    const out: P[] = [];
    while (this.held.length > 0 && this.held[0].until <= t) out.push(this.held.shift()!.payload);
    return out;
  }

  /** Everything still held (for shutdown). */
  drainHeld(): P[] {
    const out = this.held.map((h) => h.payload);
    this.held = [];
    return out;
  }

  private evict(): void {
    const oldest = this.now() - this.ttlMs;
    while (this.head < this.order.length && (this.size >= this.max || this.order[this.head].at < oldest)) {
      const m = this.order[this.head++];
      for (const key of m.keys) if (this.byKey.get(key) === m) this.byKey.delete(key);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
