/**
 * Text as people type and paste it: every script's decimal digits, and the invisible format
 * characters a right-to-left interface, a word processor or a web page leaves in a copied number.
 * Pure, no I/O; used before a number is parsed and before a code is hashed or compared.
 */

/** Unicode general category Cf (format): LRM/RLM, LRE…PDF, LRI…PDI, ZWSP/ZWNJ/ZWJ, BOM, soft hyphen, … */
const FORMAT = /\p{Cf}/gu;
/** Unicode general category Nd (decimal digit), in every script. */
const DECIMAL = /\p{Nd}/gu;
const IS_DECIMAL = /^\p{Nd}$/u;

// Memo of a digit's value by code point: the walk below is short but runs per character.
const values = new Map<number, number>();

/**
 * The value 0–9 of one Nd code point. Unicode keeps every Nd range contiguous and in runs of
 * ten starting with zero (Unicode Standard §4.6, "Numeric Value", and its stability policy for
 * Nd), so the value is the distance from the start of the range, modulo 10 (the mathematical
 * digits U+1D7CE…U+1D7FF are five runs back to back).
 */
function digitValue(cp: number): number {
  const known = values.get(cp);
  if (known !== undefined) return known;
  let start = cp;
  while (start > 0 && IS_DECIMAL.test(String.fromCodePoint(start - 1))) start--;
  const v = (cp - start) % 10;
  values.set(cp, v);
  return v;
}

/**
 * Every Unicode decimal digit (Nd: Persian ۸, Arabic-Indic ٨, Devanagari ८, Bengali ৮, Thai ๘,
 * fullwidth ８, mathematical 𝟖, …) becomes its ASCII digit; everything else is kept as is.
 * "۸۹۰۹۳۱" → "890931". Never throws; a non-string gives "".
 */
export function foldDigits(s: string): string {
  if (typeof s !== 'string') return '';
  return s.replace(DECIMAL, (ch) => {
    const cp = ch.codePointAt(0)!;
    return cp >= 0x30 && cp <= 0x39 ? ch : String(digitValue(cp));
  });
}

/**
 * Drops every Unicode format character (category Cf): direction marks (U+200E, U+200F, U+061C),
 * embeddings and isolates (U+202A…U+202E, U+2066…U+2069), zero-width space/joiners
 * (U+200B…U+200D), word joiner (U+2060), BOM (U+FEFF), soft hyphen (U+00AD), …. They are invisible,
 * so a user cannot see, let alone remove, them. Never throws; a non-string gives "".
 */
export function stripFormatChars(s: string): string {
  if (typeof s !== 'string') return '';
  return s.replace(FORMAT, '');
}

/**
 * A code as the user typed it, in the form it was hashed: format characters dropped, digits folded
 * to ASCII, surrounding whitespace trimmed. Letters are kept as typed (codes may be alphanumeric).
 */
export function canonicalCode(code: string): string {
  return foldDigits(stripFormatChars(code)).trim();
}

/** A run of decimal digits of one script inside a text. */
export interface DigitRun {
  /** The run as written, e.g. "۱۲۳۴۵". */
  text: string;
  /** The same digits in ASCII, e.g. "12345". */
  ascii: string;
  /** Code point of the zero of the run's script (0x30 ASCII, 0x6f0 Persian, 0x966 Devanagari, …). */
  zero: number;
  /** UTF-16 offset of the run in the text. */
  index: number;
}

/** Every maximal run of decimal digits of one script, in order ("کد ۱۲۳۴ و 56" → ["۱۲۳۴", "56"]). */
export function digitRuns(text: string): DigitRun[] {
  const runs: DigitRun[] = [];
  if (typeof text !== 'string') return runs;
  for (const m of text.matchAll(/\p{Nd}+/gu)) {
    // Split where the script changes: "12۳۴" is two runs, written by two keyboards.
    let start = 0;
    const chars = Array.from(m[0]);
    const zeroOf = (ch: string) => ch.codePointAt(0)! - Number(foldDigits(ch));
    let offset = m.index;
    for (let i = 1; i <= chars.length; i++) {
      if (i < chars.length && zeroOf(chars[i]) === zeroOf(chars[start])) continue;
      const part = chars.slice(start, i).join('');
      runs.push({ text: part, ascii: foldDigits(part), zero: zeroOf(chars[start]), index: offset });
      offset += part.length;
      start = i;
    }
  }
  return runs;
}

/** ASCII digits written in the script whose zero is `zero` ("123", 0x6f0 → "۱۲۳"); other characters kept. */
export function writeDigits(ascii: string, zero: number): string {
  return ascii.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));
}
