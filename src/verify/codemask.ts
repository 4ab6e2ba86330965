/**
 * A stored message body never holds the code: it is masked on write and filled in by the
 * dispatcher right before the carrier call. Both the plain code and its spaced form (voice
 * scripts, TingTing's echo) are masked.
 */
import { spaceDigits } from '../core/templates.ts';
import { digitRuns, writeDigits } from '../core/text.ts';

const PLAIN = '\u0000c\u0000';
const SPACED = '\u0000s\u0000';
/** The code written in another script's digits (a caller's own text, e.g. "۱۲۳۴۵"): "\0n<zero in hex>\0". */
const SCRIPT = /\u0000n([0-9a-f]{2,6})\u0000/g;

export function maskCode(text: string, code: string): string {
  const spaced = spaceDigits(code);
  let out = text.replaceAll(code, PLAIN);
  if (spaced !== code) out = out.replaceAll(spaced, SPACED);
  // The same code in Persian, Devanagari, … digits, as a caller's own text may carry it.
  for (const run of digitRuns(out).reverse())
    if (run.zero !== 0x30 && run.ascii === code) out = out.slice(0, run.index) + `\u0000n${run.zero.toString(16)}\u0000` + out.slice(run.index + run.text.length);
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
  return text.includes('\u0000');
}
