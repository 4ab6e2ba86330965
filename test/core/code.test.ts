import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  codeMatches,
  deriveKey,
  generateCode,
  hashCode,
  isValidCustomCode,
  openCode,
  sealCode,
} from '../../src/core/code.ts';

// 0.999 quantile of chi-square with 9 degrees of freedom: a fair generator fails 1 run in 1000.
const CHI2_9_999 = 27.88;

function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

test('codes have the exact length and only alphabet characters', () => {
  for (const length of [4, 6, 8, 10]) {
    for (let i = 0; i < 200; i++) assert.match(generateCode(length), new RegExp(`^[0-9]{${length}}$`));
  }
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const code = generateCode(7, alphabet);
    assert.equal(code.length, 7);
    for (const ch of code) {
      assert.ok(alphabet.includes(ch), ch);
      seen.add(ch);
    }
  }
  assert.equal(seen.size, alphabet.length, 'every symbol eventually appears');
});

test('invalid lengths and alphabets are refused', () => {
  for (const length of [0, -1, 1.5, NaN, 65]) assert.throws(() => generateCode(length), RangeError, String(length));
  assert.throws(() => generateCode(6, 'a'), RangeError);
  assert.throws(() => generateCode(6, 'aab'), RangeError);
});

test('single digits are uniform (chi-square, 100k draws)', () => {
  const n = 100_000;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) counts[Number(generateCode(1))]++;
  const chi2 = chiSquare(counts, n);
  assert.ok(chi2 < CHI2_9_999, `chi-square ${chi2.toFixed(2)} >= ${CHI2_9_999}: ${counts}`);
});

test('first digit of 6-digit codes is uniform (chi-square, 100k draws)', () => {
  const n = 100_000;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) counts[Number(generateCode(6)[0])]++;
  const chi2 = chiSquare(counts, n);
  assert.ok(chi2 < CHI2_9_999, `chi-square ${chi2.toFixed(2)} >= ${CHI2_9_999}: ${counts}`);
});

test('the chi-square check rejects a biased generator', () => {
  // Math.floor(rand * 16) % 10 style modulo bias: 0-5 twice as likely as 6-9.
  const n = 100_000;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) counts[(i % 16) % 10]++;
  assert.ok(chiSquare(counts, n) > CHI2_9_999);
});

test('custom codes: 4 to 10 ASCII letters or digits', () => {
  for (const c of ['1234', 'abcd', 'A1b2C3d4E5', '0000']) assert.equal(isValidCustomCode(c), true, c);
  for (const c of ['123', 'A1b2C3d4E5F', '12 34', '12-34', '۱۲۳۴', '', 'ab_cd', '1234\n']) {
    assert.equal(isValidCustomCode(c), false, JSON.stringify(c));
  }
});

test('hashing is deterministic, keyed and scoped', () => {
  const secret = randomBytes(32);
  const h = hashCode(secret, 'ver1', '123456');
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(hashCode(secret, 'ver1', '123456'), h);
  assert.notEqual(hashCode(secret, 'ver2', '123456'), h, 'scope');
  assert.notEqual(hashCode(secret, 'ver1', '123457'), h, 'code');
  assert.notEqual(hashCode(randomBytes(32), 'ver1', '123456'), h, 'key');
  assert.notEqual(hashCode(secret, 'ver', '1:123456'), hashCode(secret, 'ver1', ':123456'));
});

test('codeMatches accepts the right code only', () => {
  const secret = randomBytes(32);
  const stored = hashCode(secret, 'ver1', '123456');
  assert.equal(codeMatches(secret, 'ver1', '123456', stored), true);
  assert.equal(codeMatches(secret, 'ver1', '123455', stored), false);
  assert.equal(codeMatches(secret, 'ver2', '123456', stored), false, 'hash replayed on another verification');
  assert.equal(codeMatches(randomBytes(32), 'ver1', '123456', stored), false);
  assert.equal(codeMatches(secret, 'ver1', '', stored), false);
  assert.equal(codeMatches(secret, 'ver1', '1'.repeat(10_000), stored), false);
  assert.equal(codeMatches(secret, 'ver1', '123456', stored.toUpperCase()), true);
  assert.equal(codeMatches(secret, 'ver1', '123456', stored.slice(0, 63)), false);
  assert.equal(codeMatches(secret, 'ver1', '123456', ''), false);
  assert.equal(codeMatches(secret, 'ver1', '123456', 'zz' + stored.slice(2)), false);
});

test('sealed codes open to the same code, with a fresh IV each time', () => {
  const key = deriveKey(randomBytes(32), 'seal');
  const a = sealCode(key, '482913');
  const b = sealCode(key, '482913');
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]+$/);
  assert.equal(openCode(key, a), '482913');
  assert.equal(openCode(key, b), '482913');
  assert.equal(openCode(key, sealCode(key, '')), '');
});

test('tampered or foreign sealed codes throw', () => {
  const key = deriveKey(randomBytes(32), 'seal');
  const sealed = sealCode(key, '482913');
  const raw = Buffer.from(sealed, 'base64url');
  for (const index of [0, 12, 20, raw.length - 1]) {
    const bad = Buffer.from(raw);
    bad[index] ^= 0x01;
    assert.throws(() => openCode(key, bad.toString('base64url')), /authentication/, `byte ${index}`);
  }
  assert.throws(() => openCode(deriveKey(randomBytes(32), 'seal'), sealed), /authentication/);
  assert.throws(() => openCode(key, sealed.slice(0, 20)), /malformed/);
  assert.throws(() => openCode(key, sealed + '!'), /malformed/);
  assert.throws(() => openCode(key, ''), /malformed/);
  assert.throws(() => sealCode(Buffer.alloc(16), '1'), /32 bytes/);
});

test('deriveKey separates purposes and secrets', () => {
  const secret = Buffer.from('server secret of some length......');
  const hash = deriveKey(secret, 'hash');
  assert.equal(hash.length, 32);
  assert.deepEqual(deriveKey(secret, 'hash'), hash);
  assert.notDeepEqual(deriveKey(secret, 'seal'), hash);
  assert.notDeepEqual(deriveKey(Buffer.from('another secret'), 'hash'), hash);
  assert.throws(() => deriveKey(Buffer.alloc(0), 'hash'), /empty/);
});
