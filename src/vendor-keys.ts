/**
 * `otpgate keys create --family twilio|vonage`: issues a vendor family's credentials for an
 * account and returns the text that shows them once (secrets are stored hashed).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from './store/schema.ts';
import { createTwilioCredentials, createVonageCredentials } from './store/vendors.ts';

/** Thrown for a --public-key that cannot be read or is not an RSA public key. */
export class VendorKeyError extends Error {
  override readonly name = 'VendorKeyError';
}

export async function vendorKeys(db: Kysely<Database>, accountId: string, family: 'twilio' | 'vonage', publicKeyFile?: string): Promise<string> {
  const now = Date.now();
  if (family === 'twilio') {
    const c = await createTwilioCredentials(db, accountId, now);
    return [
      `twilio credentials for account ${accountId} (shown only now; store them safely):`,
      `  Account SID  ${c.accountSid}`,
      `  Auth Token   ${c.authToken}`,
      `  API Key SID  ${c.apiKeySid}`,
      `  API Secret   ${c.apiKeySecret}`,
      `use: twilio(accountSid, authToken) or twilio(apiKeySid, apiSecret, { accountSid }), with the base URL pointed at this gateway`,
    ].join('\n');
  }
  let pem: string | undefined;
  if (publicKeyFile) {
    try {
      pem = readFileSync(publicKeyFile, 'utf8');
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'rsa') throw new Error(`it is a ${key.asymmetricKeyType} key; Vonage signs RS256 with RSA`);
      pem = key.export({ type: 'spki', format: 'pem' }).toString();
    } catch (e) {
      throw new VendorKeyError(`--public-key ${publicKeyFile}: ${(e as Error).message}; pass an RSA public key in PEM`);
    }
  }
  const c = await createVonageCredentials(db, accountId, now, pem);
  return [
    `vonage credentials for account ${accountId} (shown only now; store them safely):`,
    `  Application ID  ${c.applicationId}`,
    `  API Key         ${c.apiKey}`,
    `  API Secret      ${c.apiSecret}`,
    ...(c.privateKey ? ['  Private key (PEM):', c.privateKey.trimEnd()] : ['  Public key: registered from ' + publicKeyFile]),
  ].join('\n');
}
