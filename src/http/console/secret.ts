/** Secret comparison shared by the console's sign-in and /metrics. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two secrets of any length (both hashed to the same size first). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or ''. */
export function bearerToken(header: string | undefined): string {
  return /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
}
