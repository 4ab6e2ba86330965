/**
 * Puts submitted parts back together the way a handset would: UDH concatenation (8- or
 * 16-bit reference), SAR TLVs, or one message_payload; then decodes the alphabet.
 */
import { decodeGsm7, decodeUcs2 } from '../../src/core/encoding.ts';

export interface PartInfo {
  /** The short_message (or message_payload) bytes after any UDH. */
  body: Buffer;
  via: 'single' | 'udh' | 'sar' | 'payload';
  ref?: number;
  total: number;
  seq: number;
}

/** Split one submit_sm into its concatenation info and body bytes. */
export function partOf(p: Record<string, unknown>): PartInfo {
  const sm = Buffer.isBuffer(p.short_message) ? p.short_message : Buffer.alloc(0);
  const payload = Buffer.isBuffer(p.message_payload) ? p.message_payload : undefined;
  const esm = Number(p.esm_class ?? 0);
  if (payload && payload.length > 0 && sm.length === 0) return { body: payload, via: 'payload', total: 1, seq: 1 };
  if (esm & 0x40 && sm.length > 0) {
    const udhl = sm[0];
    const body = sm.subarray(1 + udhl);
    for (let i = 1; i + 1 < 1 + udhl; ) {
      const iei = sm[i];
      const len = sm[i + 1];
      const d = sm.subarray(i + 2, i + 2 + len);
      if (iei === 0x00 && len === 3) return { body, via: 'udh', ref: d[0], total: d[1], seq: d[2] };
      if (iei === 0x08 && len === 4) return { body, via: 'udh', ref: d.readUInt16BE(0), total: d[2], seq: d[3] };
      i += 2 + len;
    }
    return { body, via: 'single', total: 1, seq: 1 };
  }
  if (typeof p.sar_msg_ref_num === 'number' && typeof p.sar_total_segments === 'number' && typeof p.sar_segment_seqnum === 'number')
    return { body: sm, via: 'sar', ref: p.sar_msg_ref_num, total: p.sar_total_segments, seq: p.sar_segment_seqnum };
  return { body: sm, via: 'single', total: 1, seq: 1 };
}

/** Text of a message body under its data_coding (0 GSM-7 unpacked, 8 UCS-2, 1/3 Latin-1). */
export function decodeBody(body: Buffer, dataCoding: number): string {
  switch (dataCoding & 0x0f) {
    case 0x00:
      return decodeGsm7(body);
    case 0x08:
      return decodeUcs2(body);
    default:
      return body.toString('latin1');
  }
}

interface Partial<M> {
  parts: Array<{ body: Buffer; meta: M } | undefined>;
  got: number;
  at: number;
}

/** Collects parts by (key, ref, total); hands back all of them, in order, once complete. */
export class Reassembler<M> {
  private readonly open = new Map<string, Partial<M>>();

  constructor(private readonly maxOpen = 10_000) {}

  add(key: string, part: PartInfo, meta: M): Array<{ body: Buffer; meta: M }> | null {
    if (part.total <= 1) return [{ body: part.body, meta }];
    const k = `${key}|${part.ref}|${part.total}`;
    let partial = this.open.get(k);
    if (!partial) {
      if (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value!);
      partial = { parts: new Array(part.total).fill(undefined), got: 0, at: Date.now() };
      this.open.set(k, partial);
    }
    if (part.seq < 1 || part.seq > part.total) return null;
    if (!partial.parts[part.seq - 1]) partial.got++;
    partial.parts[part.seq - 1] = { body: part.body, meta };
    if (partial.got < part.total) return null;
    this.open.delete(k);
    return partial.parts as Array<{ body: Buffer; meta: M }>;
  }

  get pending(): number {
    return this.open.size;
  }
}
