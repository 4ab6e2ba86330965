/**
 * A stored message body never holds the code: it is masked on write and filled in by the
 * dispatcher right before the carrier call. Both the plain code and its spaced form (voice
 * scripts, TingTing's echo) are masked.
 */
import { spaceDigits } from '../core/templates.ts';

const PLAIN = '\u0000c\u0000';
const SPACED = '\u0000s\u0000';

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
  return text.includes('\u0000');
}
