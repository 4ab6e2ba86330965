/**
 * Text → the submit_sm bodies that carry it. GSM-7 goes as data_coding 0 with one byte per
 * septet (unpacked; the SMSC packs), UCS-2 as data_coding 8 (UTF-16BE). Long texts go either as
 * concatenated parts (UDH with an 8-bit reference, esm_class 0x40; the split is core's, so the
 * parts are exactly the segments charged) or as one submit_sm carrying message_payload.
 */
import { analyzeText, encodeGsm7, encodeUcs2, splitSegments } from '../../core/encoding.ts';

export const DC_GSM7 = 0x00;
export const DC_UCS2 = 0x08;
export const ESM_UDHI = 0x40;
/** short_message holds at most 254 octets; 140 is what one SMS carries. */
const MAX_SHORT_MESSAGE = 254;

export interface SubmitBody {
  esm_class: number;
  data_coding: number;
  short_message: Buffer;
  message_payload?: Buffer;
}

export interface EncodedMessage {
  encoding: 'gsm7' | 'ucs2';
  parts: SubmitBody[];
}

/**
 * Encode `text` for submit_sm. `ref` is the concatenation reference (0–255), shared by the
 * parts of one message; pick a new one per message (and per retry).
 */
export function encodeMessage(text: string, mode: 'udh' | 'payload', ref: number): EncodedMessage {
  const info = analyzeText(text);
  const data_coding = info.encoding === 'gsm7' ? DC_GSM7 : DC_UCS2;
  const encode = info.encoding === 'gsm7' ? encodeGsm7 : encodeUcs2;
  if (info.segments <= 1) {
    return { encoding: info.encoding, parts: [{ esm_class: 0, data_coding, short_message: encode(text) }] };
  }
  if (mode === 'payload') {
    const payload = encode(text);
    return {
      encoding: info.encoding,
      parts: [{ esm_class: 0, data_coding, short_message: Buffer.alloc(0), message_payload: payload }],
    };
  }
  const texts = splitSegments(text);
  if (texts.length > 255) throw new RangeError(`text needs ${texts.length} parts; concatenation allows at most 255`);
  const parts = texts.map((part, i) => {
    const udh = Buffer.from([0x05, 0x00, 0x03, ref & 0xff, texts.length, i + 1]);
    const short_message = Buffer.concat([udh, encode(part)]);
    if (short_message.length > MAX_SHORT_MESSAGE) throw new RangeError(`part ${i + 1} is ${short_message.length} octets`);
    return { esm_class: ESM_UDHI, data_coding, short_message };
  });
  return { encoding: info.encoding, parts };
}
