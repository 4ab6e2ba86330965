// One-time codes are secrets: drawn from the CSPRNG, stored only as keyed hashes, and
// kept sealed (not hashed) only where a resend must repeat the same code.

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { canonicalCode } from './text.ts';

export const DIGITS = '0123456789';

const MIN_LENGTH = 1;
const MAX_LENGTH = 64;

/** Each character drawn independently and uniformly (randomInt rejects modulo bias). */
export function generateCode(length: number, alphabet: string = DIGITS): string {
  if (!Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH) {
    throw new RangeError(`code length must be an integer from ${MIN_LENGTH} to ${MAX_LENGTH}, got ${length}`);
  }
  const symbols = Array.from(alphabet);
  if (symbols.length < 2 || new Set(symbols).size !== symbols.length) {
    throw new RangeError('code alphabet needs at least 2 characters, none repeated (a repeat skews the odds)');
  }
  let code = '';
  for (let i = 0; i < length; i++) code += symbols[randomInt(symbols.length)];
  return code;
}

/** A code chosen by the caller must survive SMS, voice and keypads unchanged. */
export function isValidCustomCode(code: string): boolean {
  return typeof code === 'string' && /^[0-9A-Za-z]{4,10}$/.test(code);
}

// Keyed (a leaked table of 6-digit hashes is otherwise brute-forced in milliseconds) and
// scoped to the verification, so a hash copied to another row never matches there.
export function hashCode(secret: Buffer, scope: string, code: string): string {
  return hmac(secret, scope, code).toString('hex');
}

export function codeMatches(secret: Buffer, scope: string, code: string, storedHash: string): boolean {
  // The user's code only enters the HMAC, so the compare below always runs on 32 bytes;
  // the shape check is on our own stored value, which reveals nothing about the guess.
  const actual = hmac(secret, scope, typeof code === 'string' ? code : '');
  if (typeof storedHash !== 'string' || !/^[0-9a-f]{64}$/i.test(storedHash)) return false;
  return timingSafeEqual(actual, Buffer.from(storedHash, 'hex'));
}

// Every code enters the HMAC in its canonical form (src/core/text.ts): "۸۹۰۹۳۱" typed on a Persian
// keyboard, "８９０９３１" from a fullwidth IME and "890931" are one code, on every family and
// for caller-supplied codes alike, and an invisible mark pasted with it changes nothing.
function hmac(secret: Buffer, scope: string, code: string): Buffer {
  return createHmac('sha256', secret).update(`${scope}:${canonicalCode(code)}`).digest();
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** base64url(iv | tag | ciphertext), AES-256-GCM with a fresh IV per seal. */
export function sealCode(key: Buffer, code: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** Throws when the sealed text was altered or sealed under another key. */
export function openCode(key: Buffer, sealed: string): string {
  checkKey(key);
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES || raw.toString('base64url') !== sealed) {
    throw new Error('sealed code is malformed: expected base64url of iv|tag|ciphertext as made by sealCode');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('sealed code failed authentication: it was altered or sealed with another key');
  }
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new RangeError(`sealing key must be ${KEY_BYTES} bytes; derive one with deriveKey(secret, purpose)`);
  }
}

// One server secret, many keys: a key used for hashing is never also a cipher key.
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  if (secret.length === 0) throw new RangeError('server secret is empty; configure a random secret of at least 32 bytes');
  return Buffer.from(hkdfSync('sha256', secret, 'otpgate', purpose, KEY_BYTES));
}
