/**
 * API key resolution shared by every family: a key is looked up by its SHA-256, cached briefly
 * (the hot path must not cost a query per request), and must be scoped to the calling family.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { findApiKey, getAccount, touchApiKey } from '../store/accounts.ts';
import type { Account, ApiKey, Database, VendorCredential } from '../store/schema.ts';
import { findCredential, hashSecret } from '../store/vendors.ts';

export interface Principal {
  account: Account;
  key: ApiKey;
}

const TTL_MS = 5_000;
const TOUCH_EVERY_MS = 60_000;

export class ApiKeyAuth {
  private cache = new Map<string, { principal: Principal | undefined; until: number }>();
  private touched = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal for `Bearer <token>` headers (scheme matched case-insensitively), if valid for `family`. */
  async fromHeader(header: string | undefined, family: string): Promise<Principal | undefined> {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m ? this.resolve(m[1], family) : undefined;
  }

  async resolve(token: string, family: string): Promise<Principal | undefined> {
    const now = this.now();
    let hit = this.cache.get(token);
    if (!hit || hit.until < now) {
      const key = await findApiKey(this.db, token);
      const account = key ? await getAccount(this.db, key.account_id) : undefined;
      hit = { principal: key && account ? { key, account } : undefined, until: now + TTL_MS };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, hit);
    }
    const p = hit.principal;
    if (!p || (p.key.family !== '*' && p.key.family !== family)) return undefined;
    if ((this.touched.get(p.key.id) ?? 0) + TOUCH_EVERY_MS < now) {
      this.touched.set(p.key.id, now);
      void touchApiKey(this.db, p.key.id, now).catch(() => {});
    }
    return p;
  }

  /** Forget cached keys (after a revoke in this process). */
  invalidate(): void {
    this.cache.clear();
  }
}

/** A vendor family's caller: its otpgate account and the credential it authenticated with. */
export interface VendorPrincipal {
  account: Account;
  credential: VendorCredential;
}

/** `Authorization: Basic base64(user:password)` split at the first colon (RFC 7617), or undefined. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i > 0 ? { user: text.slice(0, i), password: text.slice(i + 1) } : undefined;
}

/**
 * The vendor families' credentials (src/store/vendors.ts): HTTP Basic with a Twilio AC/SK sid or
 * a Vonage api_key and its secret, compared by SHA-256 in constant time; and Vonage's Bearer JWT,
 * RS256-signed by an application's private key and verified with its registered public key
 * (jose; the `application_id` claim names the application, as Vonage's SDKs send it). Lookups
 * are cached for a few seconds, like API keys.
 */
export class VendorAuth {
  private cache = new Map<string, { principal: VendorPrincipal | undefined; until: number }>();
  private keys = new Map<string, CryptoKey>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal for a Basic header whose user is a credential of `family` with a secret. */
  async basic(header: string | undefined, family: string): Promise<VendorPrincipal | undefined> {
    const b = parseBasic(header);
    if (!b) return undefined;
    const p = await this.lookup(family, b.user);
    const stored = p?.credential.secret_hash;
    if (!p || !stored) return undefined;
    const given = Buffer.from(hashSecret(b.password), 'hex');
    return given.length === 32 && timingSafeEqual(given, Buffer.from(stored, 'hex')) ? p : undefined;
  }

  /** The principal for `Bearer <JWT>` signed by a registered Vonage application (RS256, unexpired). */
  async vonageJwt(header: string | undefined): Promise<VendorPrincipal | undefined> {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    // jose (~9 MB of RSS) is loaded by the first Vonage JWT, not at start.
    const { decodeJwt, importSPKI, jwtVerify } = await import('jose');
    let appId: unknown;
    try {
      appId = decodeJwt(m[1]).application_id;
    } catch {
      return undefined;
    }
    if (typeof appId !== 'string') return undefined;
    const p = await this.lookup('vonage', appId);
    const pem = p?.credential.public_key;
    if (!p || !pem) return undefined;
    try {
      let key = this.keys.get(p.credential.id);
      if (!key) {
        key = await importSPKI(pem, 'RS256');
        this.keys.set(p.credential.id, key);
      }
      // iat is required and a token lives a day at most, whatever its exp says (Vonage's SDK signs 15-minute tokens).
      await jwtVerify(m[1], key, { algorithms: ['RS256'], currentDate: new Date(this.now()), clockTolerance: 60, maxTokenAge: '1d' });
      return p;
    } catch {
      return undefined;
    }
  }

  private async lookup(family: string, id: string): Promise<VendorPrincipal | undefined> {
    const now = this.now();
    const k = `${family}\u0000${id}`;
    let hit = this.cache.get(k);
    if (!hit || hit.until < now) {
      const credential = id.length <= 64 ? await findCredential(this.db, family, id) : undefined;
      const account = credential ? await getAccount(this.db, credential.account_id) : undefined;
      hit = { principal: credential && account ? { credential, account } : undefined, until: now + TTL_MS };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(k, hit);
    }
    return hit.principal;
  }
}
