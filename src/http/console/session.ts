/**
 * The console's session: a signed cookie, no server-side state, so any instance of a cluster
 * accepts it. Value = `<expiry ms>.<nonce>.<HMAC-SHA256(key, expiry.nonce)>`, with the key
 * derived from the admin token: changing the token signs everyone out. The cookie is HttpOnly
 * (script cannot read it), SameSite=Strict (no other site's page can send it) and Secure when
 * served over HTTPS. Admin actions also need the CSRF token: HMAC(key, "csrf:" + nonce), handed
 * to the page by GET /dashboard/api/session and sent back as the `X-CSRF-Token` header, which a
 * cross-site form cannot set (OWASP CSRF cheat sheet: signed double-submit token).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from './secret.ts';

export const COOKIE = 'otpgate_console';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts 12 h: one operator's working day. */
export const SESSION_MS = 12 * 3_600_000;

export class ConsoleSessions {
  private readonly key: Buffer;

  constructor(adminToken: string) {
    this.key = createHmac('sha256', 'otpgate-console-session').update(adminToken).digest();
  }

  /** A new session cookie value valid until now + SESSION_MS. */
  issue(now: number): string {
    const body = `${now + SESSION_MS}.${randomBytes(18).toString('base64url')}`;
    return `${body}.${this.sign(body)}`;
  }

  /** The session's nonce when `value` is a cookie we signed and it has not expired; else undefined. */
  verify(value: string | undefined, now: number): string | undefined {
    const m = /^(\d{1,15})\.([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    if (!m || Number(m[1]) <= now) return undefined;
    return sameSecret(this.sign(`${m[1]}.${m[2]}`), m[3]) ? m[2] : undefined;
  }

  /** The CSRF token bound to one session (its nonce). */
  csrf(nonce: string): string {
    return this.sign(`csrf:${nonce}`);
  }

  private sign(s: string): string {
    return createHmac('sha256', this.key).update(s).digest('base64url');
  }
}

/** The Set-Cookie header for a session value (or, with value '', one that deletes it). */
export function sessionCookie(value: string, secure: boolean): string {
  const parts = [`${COOKIE}=${value}`, 'Path=/dashboard', 'HttpOnly', 'SameSite=Strict'];
  parts.push(value ? `Max-Age=${SESSION_MS / 1000}` : 'Max-Age=0');
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** The session cookie's value from a Cookie header. */
export function readCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}
