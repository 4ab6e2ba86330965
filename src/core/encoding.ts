// GSM 03.38 and UCS-2 rules for SMS: which alphabet a text needs, how many
// billable segments it takes, and how it splits into concatenated parts.

export type Encoding = 'gsm7' | 'ucs2';

export interface TextInfo {
  encoding: Encoding;
  /** septets for gsm7 (extension characters count 2), UTF-16 code units for ucs2 */
  units: number;
  segments: number;
  /** the most units one part may carry for this text (single or concatenated) */
  perSegment: number;
}

export const GSM7_SINGLE = 160;
export const GSM7_PART = 153; // 7 septets go to the concatenation header (UDH)
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67; // 6 bytes of UDH = 3 UCS-2 units

const ESC = 0x1b;

// Index = septet value. 0x1B is the escape to the extension table, never a character itself.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

const EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

const basicCode = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== ESC) basicCode.set(BASIC[i], i);
const extCode = new Map<string, number>(EXTENSION);
const extChar = new Map<number, string>(EXTENSION.map(([c, n]) => [n, c]));

/** Septets a character costs in GSM-7, or 0 when it is not in either table. */
function gsmCost(ch: string): number {
  if (basicCode.has(ch)) return 1;
  if (extCode.has(ch)) return 2;
  return 0;
}

export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (gsmCost(text[i]) === 0) return false;
  return true;
}

function gsmUnits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += gsmCost(text[i]);
  return n;
}

export function analyzeText(text: string): TextInfo {
  if (isGsm7(text)) {
    const units = gsmUnits(text);
    if (units <= GSM7_SINGLE) return { encoding: 'gsm7', units, segments: 1, perSegment: GSM7_SINGLE };
    // Counted by splitting, not ceil(units/153): an escape pair that would straddle a
    // boundary moves whole to the next part, which can add a part the division misses.
    return { encoding: 'gsm7', units, segments: splitGsm(text).length, perSegment: GSM7_PART };
  }
  const units = text.length;
  if (units <= UCS2_SINGLE) return { encoding: 'ucs2', units, segments: 1, perSegment: UCS2_SINGLE };
  return { encoding: 'ucs2', units, segments: splitUcs2(text).length, perSegment: UCS2_PART };
}

export function splitSegments(text: string): string[] {
  if (isGsm7(text)) return gsmUnits(text) <= GSM7_SINGLE ? [text] : splitGsm(text);
  return text.length <= UCS2_SINGLE ? [text] : splitUcs2(text);
}

// A handset shows an escape septet cut from its partner as garbage, so pairs stay whole.
function splitGsm(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    const cost = gsmCost(text[i]);
    if (used + cost > GSM7_PART) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += cost;
  }
  parts.push(text.slice(start));
  return parts;
}

// Half a surrogate pair in each part renders as two replacement characters, so a pair
// that does not fit goes whole to the next part (that part then carries 66 units).
function splitUcs2(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const width = isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
    if (i + width - start > UCS2_PART) {
      parts.push(text.slice(start, i));
      start = i;
    }
    i += width;
  }
  parts.push(text.slice(start));
  return parts;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** One byte per septet (unpacked, as SMPP data_coding 0 carries it); throws on a non-GSM character. */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const basic = basicCode.get(ch);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = extCode.get(ch);
    if (ext === undefined) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new RangeError(`character U+${cp} at index ${i} is not in the GSM-7 alphabet; send the text as UCS-2`);
    }
    out.push(ESC, ext);
  }
  return Buffer.from(out);
}

// Lenient, because it reads what carriers send us: GSM 03.38 says an unknown escape
// shows as the basic-table character, and a byte outside 7 bits is not a septet at all.
export function decodeGsm7(buf: Buffer): string {
  let out = '';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === ESC) {
      if (i + 1 >= buf.length) break;
      const next = buf[++i];
      out += extChar.get(next) ?? (next === ESC || next > 0x7f ? '?' : BASIC[next]);
      continue;
    }
    out += b > 0x7f ? '?' : BASIC[b];
  }
  return out;
}

export function encodeUcs2(text: string): Buffer {
  const buf = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) buf.writeUInt16BE(text.charCodeAt(i), i * 2);
  return buf;
}

export function decodeUcs2(buf: Buffer): string {
  let out = '';
  // A trailing odd byte is half a unit: dropped rather than guessed.
  for (let i = 0; i + 1 < buf.length; i += 2) out += String.fromCharCode(buf.readUInt16BE(i));
  return out;
}
