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

const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLAIN = `${OPEN}c${CLOSE}`;
const SPACED = `${OPEN}s${CLOSE}`;

export function maskCode(text: string, code: string): string {
  const spaced = spaceDigits(code);
  let out = text.replaceAll(code, PLAIN);
  if (spaced !== code) out = out.replaceAll(spaced, SPACED);
  return out;
}

export function unmaskCode(masked: string, code: string): string {
  return masked.replaceAll(PLAIN, code).replaceAll(SPACED, spaceDigits(code));
}

/** What APIs show of a stored body: the code hidden, never recoverable from the response. */
export function redactedBody(masked: string): string {
  return masked.replaceAll(PLAIN, '******').replaceAll(SPACED, '* * * * * *');
}

export function hasMask(text: string): boolean {
  return text.includes(PLAIN) || text.includes(SPACED);
}
