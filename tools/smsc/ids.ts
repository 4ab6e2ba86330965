/**
 * How the simulator writes message ids, each a habit of real SMSCs: upper-case hex ('hex'),
 * 10-digit zero-padded hex ('hex10', e.g. 0000000031 — all digits by chance), plain decimal
 * ('decimal'), or a UUID-like string ('uuid', which has no number in it and so no other radix).
 */
export type IdFormat = 'hex' | 'hex10' | 'decimal' | 'uuid';
export const ID_FORMATS: readonly IdFormat[] = ['hex', 'hex10', 'decimal', 'uuid'];

/** Id number `n` written in format `f`. */
export function formatId(n: number, f: IdFormat): string {
  switch (f) {
    case 'hex':
      return n.toString(16).toUpperCase();
    case 'hex10':
      return n.toString(16).toUpperCase().padStart(10, '0');
    case 'decimal':
      return String(n);
    case 'uuid': {
      const h = n.toString(16).padStart(12, '0');
      return `5f1c${h.slice(0, 4)}-9a0e-4c1b-8d2f-${h.slice(-12)}`.toUpperCase();
    }
  }
}

/**
 * The same id as the "other" form a carrier writes beside it: lower case and without leading
 * zeros (hex), or zero-padded to 12 (decimal); a UUID only changes case.
 */
export function disguiseId(id: string): string {
  if (/^[0-9]+$/.test(id)) return id.padStart(12, '0');
  if (/^[0-9A-F]+$/i.test(id)) return id.replace(/^0+(?=.)/, '').toLowerCase();
  return id.toLowerCase();
}
