/**
 * Carrier message ids: how they are compared, and the gate that keeps a receipt behind the
 * record of its submit answer.
 *
 * Nothing is guessed. Like Kannel's `msg-id-type` (smsc_smpp.c: bit 0x01 = the submit_sm_resp
 * id is hex, bit 0x02 = the deliver_sm id is hex, unset = both compared as strings), each link
 * declares how its SMSC writes the submit answer's id and the receipt's id. A submit answer is
 * stored under its key exactly as written (see idKey); a receipt id is turned into the key(s)
 * it names under the declared formats: one key when both are declared. `auto` lists every
 * reading, and the store applies such a receipt only when exactly one open message to that
 * destination matches (store/receipts.ts), so a wrong match is refused rather than made.
 */
export type IdFormat = 'auto' | 'hex' | 'decimal' | 'string';
export const ID_FORMATS: readonly IdFormat[] = ['auto', 'hex', 'decimal', 'string'];

const HEX = /^[0-9a-f]+$/i;
const DEC = /^[0-9]+$/;

/**
 * The key an id is stored and compared under: NULs and blanks trimmed, lower case, leading zeros
 * dropped when it is all hex digits ("0000000A1f" → "a1f"; a UUID keeps its zeros).
 */
export function idKey(id: string): string {
  const s = id.replace(/\0+$/, '').trim().toLowerCase();
  return HEX.test(s) ? s.replace(/^0+(?=.)/, '') : s;
}

function readings(id: string, f: IdFormat): Array<bigint | string> {
  const s = id.replace(/\0+$/, '').trim();
  const out: Array<bigint | string> = [];
  const asHex = () => HEX.test(s) && s.length <= 32 && out.push(BigInt('0x' + s));
  const asDec = () => DEC.test(s) && s.length <= 38 && out.push(BigInt(s));
  if (f === 'hex') asHex();
  else if (f === 'decimal') asDec();
  else if (f === 'string') out.push(idKey(s));
  else {
    // auto: the id as written first (same radix), then the other radix.
    out.push(idKey(s));
    asDec();
    asHex();
  }
  return out;
}

function writings(v: bigint | string, f: IdFormat): string[] {
  if (typeof v === 'string') return [v];
  if (f === 'hex') return [v.toString(16)];
  if (f === 'decimal') return [v.toString(10)];
  if (f === 'string') return [];
  return [v.toString(16), v.toString(10)];
}

/**
 * The keys of the messages a receipt id can name, best first. `receipt` is how the receipt
 * writes ids, `submit` how submit_sm_resp wrote them. Declared formats give one key (none when
 * the id does not parse in its declared radix); `auto` on either side gives every reading.
 */
export function receiptKeys(id: string, submit: IdFormat, receipt: IdFormat): string[] {
  const keys = new Set<string>();
  for (const v of readings(id, receipt)) for (const w of writings(v, submit)) keys.add(w);
  return [...keys];
}

interface Held<P> {
  keys: string[];
  payload: P;
  until: number;
  done(): void;
}

const settle = (v: unknown): Promise<void> => Promise.resolve(v).then(
  () => undefined,
  () => undefined,
);

/**
 * Orders receipts behind the record of their submit answer, per provider. `answered(key, rec)`
 * is called synchronously when a submit_sm_resp is read, before the next PDU of that
 * connection is handled; a receipt naming a key being recorded is emitted once `rec` settled;
 * one naming no key seen yet is held until its answer arrives (at most `holdMs`, at most
 * `maxHeld` receipts: beyond that the oldest go out early and the store parks them).
 * Keys recorded in the last `memory` answers are "known": their receipts pass at once.
 */
export class ReceiptGate<P> {
  private readonly recording = new Map<string, Promise<unknown>>();
  private readonly known = new Set<string>();
  private held: Array<Held<P>> = [];
  private timer: NodeJS.Timeout | undefined;
  /**
   * Whether a receipt naming no key seen here waits for its answer. True for a lone instance:
   * every submit is its own, so the answer is coming. False in a cluster: the SMSC delivers
   * receipts on any bind of the system_id, so most unknown keys were submitted by another
   * instance, whose answer this one never reads. Holding those until holdMs kept their
   * deliver_sm unanswered that long; the SMSC's window of unanswered deliver_sm per bind then
   * filled with them and receipts crawled (issue 12). Handed on at once, the store matches them
   * through the database or parks them, and applies a parked one when its part is recorded
   * (under the carrier key's lock: store/receipts.ts), so nothing is lost by not waiting.
   */
  holdUnknown = true;

  constructor(
    /** Hands a receipt on; a promise it returns (the receipt recorded) settles receipt()'s. */
    private readonly emit: (payload: P) => unknown,
    private readonly holdMs: number,
    private readonly memory: number,
    private readonly maxHeld = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Receipts waiting for their submit answer. */
  get waiting(): number {
    return this.held.length;
  }

  /** A submit answer with `key` was read; `rec` settles when it is durably recorded. */
  answered(key: string, rec: Promise<unknown>): void {
    const done = rec.then(
      () => undefined,
      () => undefined,
    );
    this.recording.set(key, done);
    void done.then(() => {
      if (this.recording.get(key) === done) this.recording.delete(key);
      this.known.delete(key);
      this.known.add(key);
      if (this.known.size > this.memory) this.known.delete(this.known.values().next().value!);
    });
    if (this.held.length === 0) return;
    const mine = this.held.filter((h) => h.keys.includes(key));
    if (mine.length === 0) return;
    this.held = this.held.filter((h) => !mine.includes(h));
    void done.then(() => mine.forEach((h) => this.fire(h)));
  }

  /** A receipt naming `keys` arrived; settles once it was handed on and that settled. */
  receipt(keys: string[], payload: P): Promise<void> {
    const waits = keys.map((k) => this.recording.get(k)).filter((p): p is Promise<unknown> => p !== undefined);
    if (waits.length > 0) return Promise.all(waits).then(() => settle(this.emit(payload)));
    if (!this.holdUnknown || keys.some((k) => this.known.has(k))) return settle(this.emit(payload));
    return new Promise<void>((done) => {
      this.held.push({ keys, payload, until: this.now() + this.holdMs, done });
      while (this.held.length > this.maxHeld) this.fire(this.held.shift()!);
      this.timer ??= setInterval(() => this.expire(), Math.max(10, Math.min(250, this.holdMs / 4)));
      this.timer.unref?.();
    });
  }

  private fire(h: Held<P>): void {
    void settle(this.emit(h.payload)).then(h.done);
  }

  /** Emits held receipts whose wait is over (all of them when `all`). */
  expire(all = false): void {
    const t = this.now();
    const out: Array<Held<P>> = [];
    this.held = this.held.filter((h) => (all || h.until <= t ? (out.push(h), false) : true));
    for (const h of out) this.fire(h);
    if (this.held.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
