/**
 * Credentials of the vendor API families (Twilio, Vonage), mapped to otpgate accounts. Secrets
 * are random and shown once; only their SHA-256 is stored (like API keys: 128+ random bits make
 * a fast hash enough). Ids are what the vendor's SDK sends: Twilio's AC…/SK… sids as the Basic
 * user name, Vonage's api_key as the Basic user name, Vonage's application_id as a JWT claim.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../core/ids.ts';
import type { Database, Message, VendorCredential, Verification } from './schema.ts';

type Db = Kysely<Database>;

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Twilio's shape: an Account SID (AC + 32 hex) and auth token (32 hex), an API key (SK + 32 hex) and its secret (32 chars). */
export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  apiKeySid: string;
  apiKeySecret: string;
}

/** Issues an Account SID with its auth token and one API key under it, for one otpgate account. */
export async function createTwilioCredentials(db: Db, accountId: string, now: number): Promise<TwilioCredentials> {
  const c: TwilioCredentials = {
    accountSid: `AC${newId()}`,
    authToken: hex(16),
    apiKeySid: `SK${newId()}`,
    apiKeySecret: randomBytes(24).toString('base64url').slice(0, 32),
  };
  await db
    .insertInto('vendor_credentials')
    .values([
      { id: c.accountSid, account_id: accountId, family: 'twilio', kind: 'account', owner_sid: null, secret_hash: hashSecret(c.authToken), public_key: null, created_at: now, revoked_at: null },
      { id: c.apiKeySid, account_id: accountId, family: 'twilio', kind: 'api_key', owner_sid: c.accountSid, secret_hash: hashSecret(c.apiKeySecret), public_key: null, created_at: now, revoked_at: null },
    ])
    .execute();
  return c;
}

/** Vonage's shape: an application (UUID) with an RSA key pair, and an API key (8 hex) with its secret (16 chars). */
export interface VonageCredentials {
  applicationId: string;
  /** PKCS#8 PEM, only when otpgate generated the pair (absent when a public key was registered). */
  privateKey?: string;
  apiKey: string;
  apiSecret: string;
}

/**
 * Issues a Vonage application and an API key for one otpgate account. With `publicKeyPem` (SPKI
 * PEM) the caller keeps its own private key; otherwise a 2048-bit RSA pair is generated and the
 * private key returned once.
 */
export async function createVonageCredentials(db: Db, accountId: string, now: number, publicKeyPem?: string): Promise<VonageCredentials> {
  let publicKey = publicKeyPem;
  let privateKey: string | undefined;
  if (!publicKey) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    publicKey = pair.publicKey;
    privateKey = pair.privateKey;
  }
  const c: VonageCredentials = { applicationId: randomUUID(), privateKey, apiKey: hex(4), apiSecret: randomBytes(12).toString('base64url').slice(0, 16) };
  await db
    .insertInto('vendor_credentials')
    .values([
      { id: c.applicationId, account_id: accountId, family: 'vonage', kind: 'application', owner_sid: null, secret_hash: null, public_key: publicKey, created_at: now, revoked_at: null },
      { id: c.apiKey, account_id: accountId, family: 'vonage', kind: 'api_key', owner_sid: null, secret_hash: hashSecret(c.apiSecret), public_key: null, created_at: now, revoked_at: null },
    ])
    .execute();
  return c;
}

/** An active credential of `family` by its id, or undefined. */
export function findCredential(db: Db, family: string, id: string): Promise<VendorCredential | undefined> {
  return db
    .selectFrom('vendor_credentials')
    .selectAll()
    .where('id', '=', id)
    .where('family', '=', family)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export function listCredentials(db: Db, accountId?: string): Promise<VendorCredential[]> {
  let q = db.selectFrom('vendor_credentials').selectAll().orderBy('created_at');
  if (accountId) q = q.where('account_id', '=', accountId);
  return q.execute();
}

export async function revokeCredential(db: Db, id: string, now: number): Promise<boolean> {
  const r = await db.updateTable('vendor_credentials').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The messages of one verification, oldest first (Twilio's send_code_attempts). */
export function messagesOfVerification(db: Db, accountId: string, verificationId: string): Promise<Message[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('verification_id', '=', verificationId)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

/**
 * Pending verifications of `family` last sent at or before `sentBefore` (epoch ms), oldest first:
 * the candidates of a timed workflow step (Vonage's channel_timeout), which the caller filters by
 * their own step timeout kept in meta.
 */
export function pendingSentBefore(db: Db, family: string, sentBefore: number, now: number, limit: number): Promise<Verification[]> {
  return db
    .selectFrom('verifications')
    .selectAll()
    .where('family', '=', family)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .where('last_sent_at', '<=', sentBefore)
    .orderBy('last_sent_at')
    .limit(limit)
    .execute();
}
