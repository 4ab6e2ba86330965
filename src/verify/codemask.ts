/**
 * A stored message body never holds the code: it is masked on write and filled in by the
 * dispatcher right before the carrier call. Both the plain code and its spaced form (voice
 * scripts, TingTing's echo) are masked.
 *
 * The mark is a pair of Unicode private-use characters (U+E000, U+E001) around a letter: any
 * TEXT column takes it (PostgreSQL refuses NUL in text, which the first mark used), it never
 * comes out of a template, and it is a valid UCS-2 unit, so nothing else in the body moves.
 * Rows written with the old NUL mark are rewritten by migration 007_cluster (store/migrations.ts).
 */
import { spaceDigits } from '../core/templates.ts';
import { digitRuns, writeDigits } from '../core/text.ts';

const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLAIN = `${OPEN}c${CLOSE}`;
const SPACED = `${OPEN}s${CLOSE}`;
/** The code written in another script's digits (a caller's own text, e.g. "۱۲۳۴۵"): OPEN n<zero in hex> CLOSE. */
const SCRIPT = /\uE000n([0-9a-f]{2,6})\uE001/g;

export function maskCode(text: string, code: string): string {
  const spaced = spaceDigits(code);
  let out = text.replaceAll(code, PLAIN);
  if (spaced !== code) out = out.replaceAll(spaced, SPACED);
  // The same code in Persian, Devanagari, … digits, as a caller's own text may carry it.
  for (const run of digitRuns(out).reverse())
    if (run.zero !== 0x30 && run.ascii === code) out = out.slice(0, run.index) + `${OPEN}n${run.zero.toString(16)}${CLOSE}` + out.slice(run.index + run.text.length);
  return out;
}

export function unmaskCode(masked: string, code: string): string {
  return masked
    .replaceAll(PLAIN, code)
    .replaceAll(SPACED, spaceDigits(code))
    .replace(SCRIPT, (_m, zero: string) => writeDigits(code, Number.parseInt(zero, 16)));
}

/** What APIs show of a stored body: the code hidden, never recoverable from the response. */
export function redactedBody(masked: string): string {
  return masked.replaceAll(PLAIN, '******').replaceAll(SPACED, '* * * * * *').replace(SCRIPT, '******');
}

export function hasMask(text: string): boolean {
  return text.includes(PLAIN) || text.includes(SPACED);
}
