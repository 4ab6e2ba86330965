/**
 * src/webhooks/signature.ts against a vector computed outside Node
 * (printf '%s' '1700000000.{"id":"1","type":"message.status"}' | openssl dgst -sha256 -hmac 'whsec_test_secret_0123456789').
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign, signatureHeader, verifySignature } from '../../src/webhooks/signature.ts';

const SECRET = 'whsec_test_secret_0123456789';
const BODY = '{"id":"1","type":"message.status"}';
const T = 1_700_000_000;
const V1 = 'f8f8fa05046b56906ed6c5d3b01339d3825aa7530520422304f4e32f6173453c';

test('sign is HMAC-SHA256 of "t.body" in hex; the header is t=<unix>,v1=<hex>', () => {
  assert.equal(sign(SECRET, BODY, T), V1);
  assert.equal(signatureHeader(SECRET, BODY, T), `t=${T},v1=${V1}`);
});

test('verifySignature accepts the vector (string or raw bytes) and refuses any change', () => {
  const header = `t=${T},v1=${V1}`;
  assert.equal(verifySignature(SECRET, header, BODY, 300, T), true);
  assert.equal(verifySignature(SECRET, header, Buffer.from(BODY), 300, T + 299), true);
  assert.equal(verifySignature(SECRET, header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='), BODY, 300, T), true, 'hex case does not matter');

  assert.equal(verifySignature(SECRET, header, BODY.replace('1', '2'), 300, T), false, 'tampered body');
  assert.equal(verifySignature(`${SECRET}x`, header, BODY, 300, T), false, 'other secret');
  assert.equal(verifySignature(SECRET, `t=${T + 1},v1=${V1}`, BODY, 300, T), false, 'other timestamp');
  assert.equal(verifySignature(SECRET, header, BODY, 300, T + 301), false, 'older than the tolerance (replay)');
  assert.equal(verifySignature(SECRET, header, BODY, 300, T - 301), false, 'from the future');
});

test('verifySignature: any of several v1 entries may match (secret rotation); malformed headers are false, not a throw', () => {
  const other = sign('another-secret-0123456789', BODY, T);
  assert.equal(verifySignature(SECRET, `t=${T},v1=${other},v1=${V1}`, BODY, 300, T), true);
  assert.equal(verifySignature(SECRET, `t=${T},v1=${other}`, BODY, 300, T), false);
  for (const bad of [undefined, null, '', 'garbage', `v1=${V1}`, `t=${T}`, `t=abc,v1=${V1}`, `t=${T},v1=${V1.slice(2)}`, `t=${T},v1=zz${V1.slice(2)}`])
    assert.equal(verifySignature(SECRET, bad, BODY, 300, T), false, String(bad));
  assert.equal(verifySignature('', `t=${T},v1=${V1}`, BODY, 300, T), false, 'empty secret');
});
