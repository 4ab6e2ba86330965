/**
 * The server secret every instance of a deployment shares: codes are hashed and sealed with
 * keys derived from it, so an instance with another secret can neither check a code sent by its
 * peers nor open a code to send it.
 *
 * Where it comes from, first match wins:
 *   1. config.secret (OTPGATE_SECRET): the operator's choice, the same on every instance;
 *   2. SQLite: data_dir/secret.key, generated on first start (one process owns the file);
 *   3. PostgreSQL: the `settings` row 'server_secret', inserted by whichever instance starts
 *      first (insert-if-absent, then read back: every racing instance reads the winner's).
 *
 * Then the check: the fingerprint stored on first start (settings 'secret_fingerprint') must
 * match, and the newest sealed code must open. A mismatch refuses the start with
 * SecretMismatchError, naming the fix, instead of failing messages one by one later.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openCode } from '../core/code.ts';
import type { DialectName } from './dialect.ts';
import type { Database } from './schema.ts';

export class SecretMismatchError extends Error {
  readonly code = 'secret_mismatch';
  readonly retryable = false;
}

export interface SecretSource {
  /** config.secret (≥ 32 chars) when set. */
  secret?: string;
  data_dir: string;
}

/** The raw secret bytes (file/database secrets are 32 random bytes; a configured one is its UTF-8). */
export async function loadServerSecret(db: Kysely<Database>, dialect: DialectName, config: SecretSource): Promise<Buffer> {
  if (config.secret) return Buffer.from(config.secret, 'utf8');
  if (dialect === 'sqlite') return fileSecret(config.data_dir);
  await db
    .insertInto('settings')
    .values({ key: 'server_secret', value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'server_secret').executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'hex');
}

function fileSecret(dataDir: string): Buffer {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  mkdirSync(dataDir, { recursive: true });
  const s = randomBytes(32);
  writeFileSync(file, s.toString('hex') + '\n', { mode: 0o600 });
  return s;
}

/** A one-way tag of the secret (HMAC of a fixed label): equal tags, equal secrets; nothing leaks. */
export function secretFingerprint(secret: Buffer): string {
  return createHmac('sha256', secret).update('otpgate secret fingerprint v1').digest('hex').slice(0, 32);
}

/**
 * Refuses a secret that is not the deployment's: throws SecretMismatchError when the stored
 * fingerprint differs or the newest sealed code does not open with `sealKey`. Records the
 * fingerprint when none is stored yet (first start, or a database from before 007_cluster).
 */
export async function assertSecretMatches(db: Kysely<Database>, secret: Buffer, sealKey: Buffer): Promise<void> {
  const mine = secretFingerprint(secret);
  const read = () => db.selectFrom('settings').select('value').where('key', '=', 'secret_fingerprint').executeTakeFirst();
  const fix =
    'every instance of one deployment must run with the same secret: set the same OTPGATE_SECRET on all of them ' +
    '(or unset it everywhere so they share the one kept in the database), or point this instance at its own database';
  let stored = await read();
  if (!stored) {
    const newest = await db.selectFrom('verifications').select(['id', 'code_sealed']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (newest) {
      try {
        openCode(sealKey, newest.code_sealed);
      } catch {
        throw new SecretMismatchError(`this instance's server secret cannot open the codes sealed in this database (verification ${newest.id}): ${fix}`);
      }
    }
    // Insert-if-absent, then read back: of two instances starting at once, the second compares with the first.
    await db
      .insertInto('settings')
      .values({ key: 'secret_fingerprint', value: mine })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    stored = await read();
  }
  if (stored && stored.value !== mine)
    throw new SecretMismatchError(`this instance's server secret is not the one this database was started with (fingerprint ${mine}, database ${stored.value}): ${fix}`);
}
