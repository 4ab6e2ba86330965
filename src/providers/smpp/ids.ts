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
  /** The id send() resolved with (the first part's). */
  primary: string;
  /** The other parts' ids, for a multipart message. */
  more?: string[];
  /** A final receipt was reported; later ones (other parts, repeats) are ignored. */
  final: boolean;
  at: number;
}

const HEX = /^[0-9a-f]+$/i;
const DEC = /^[0-9]+$/;

/**
 * Keys an id is stored under: its value as hex ("h" + upper-case digits, no leading zeros)
 * and, when it is all digits, as decimal ("d" + digits); an id that is neither is kept exact.
 */
function storeKeys(id: string): string[] {
  const keys: string[] = [];
  if (HEX.test(id)) keys.push('h' + (id.replace(/^0+/, '').toUpperCase() || '0'));
  if (DEC.test(id)) keys.push('d' + (id.replace(/^0+/, '') || '0'));
  if (keys.length === 0) keys.push('x' + id);
  return keys;
}

/** Keys to try for a receipt id: same radix first (case, leading zeros), then the other radix. */
function lookupKeys(id: string): string[] {
  const keys = storeKeys(id);
  if (id.length > 40) return keys;
  if (DEC.test(id)) keys.push('h' + BigInt(id).toString(16).toUpperCase());
  if (HEX.test(id)) keys.push('d' + BigInt('0x' + id).toString(10));
  return keys;
}

interface Held<P> {
  id: string;
  payload: P;
  until: number;
  /** Matched to a message since (and already handed out by add()). */
  done: boolean;
  seq: number;
}

/** At most this many receipts wait for their id; beyond it the oldest are released early. */
const MAX_HELD = 10_000;

export class IdIndex<P> {
  private readonly byKey = new Map<string, SentMessage>();
  private readonly order: SentMessage[] = [];
  private head = 0;
  /** Receipts waiting for their id, in arrival order, and indexed by every key they could match. */
  private held: Array<Held<P>> = [];
  private heldHead = 0;
  private readonly heldByKey = new Map<string, Array<Held<P>>>();
  private heldSeq = 0;

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
    const message: SentMessage = { primary: partIds[0], final: false, at: this.now() };
    if (partIds.length > 1) message.more = partIds.slice(1);
    for (const id of partIds) for (const key of storeKeys(id)) this.byKey.set(key, message);
    this.order.push(message);
    const matched: Array<Held<P>> = [];
    if (this.heldByKey.size > 0)
      for (const id of partIds)
        for (const key of storeKeys(id)) {
          for (const h of this.heldByKey.get(key) ?? []) if (!h.done && this.lookup(h.id) === message) (h.done = true), matched.push(h);
        }
    matched.sort((a, b) => a.seq - b.seq);
    return { message, held: matched.map((h) => h.payload) };
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
    const h: Held<P> = { id, payload, until: this.now() + this.holdMs, done: false, seq: this.heldSeq++ };
    this.held.push(h);
    for (const key of lookupKeys(id)) {
      const list = this.heldByKey.get(key);
      if (list) list.push(h);
      else this.heldByKey.set(key, [h]);
    }
  }

  /** Held receipts whose wait is over (or that overflow MAX_HELD), removed from the hold. */
  expired(all = false): P[] {
    const t = this.now();
    const out: P[] = [];
    while (this.heldHead < this.held.length) {
      const h = this.held[this.heldHead];
      if (!all && h.until > t && this.held.length - this.heldHead <= MAX_HELD) break;
      this.heldHead++;
      if (!h.done) out.push(h.payload);
      for (const key of lookupKeys(h.id)) {
        const rest = this.heldByKey.get(key)?.filter((x) => x !== h);
        if (rest?.length) this.heldByKey.set(key, rest);
        else this.heldByKey.delete(key);
      }
    }
    if (this.heldHead > 1024 && this.heldHead * 2 > this.held.length) {
      this.held = this.held.slice(this.heldHead);
      this.heldHead = 0;
    }
    return out;
  }

  /** Everything still held (for shutdown). */
  drainHeld(): P[] {
    return this.expired(true);
  }

  private evict(): void {
    const oldest = this.now() - this.ttlMs;
    while (this.head < this.order.length && (this.size >= this.max || this.order[this.head].at < oldest)) {
      const m = this.order[this.head++];
      for (const id of [m.primary, ...(m.more ?? [])])
        for (const key of storeKeys(id)) if (this.byKey.get(key) === m) this.byKey.delete(key);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
