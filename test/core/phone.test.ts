import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRegionCode, normalizePhone, type PhoneResult } from '../../src/core/phone.ts';

function ok(r: PhoneResult): Extract<PhoneResult, { ok: true }> {
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r;
}

function notOk(r: PhoneResult): Extract<PhoneResult, { ok: false }> {
  assert.ok(!r.ok, `expected failure, got ${JSON.stringify(r)}`);
  return r;
}

test('Nepal mobile in every accepted shape', () => {
  const shapes = [
    '+9779851023212',
    '9779851023212',
    '009779851023212',
    '9851023212',
    '+977 985-102-3212',
    '(+977) 985 102 3212',
    '  985 102 3212 ',
    '९८५१०२३२१२', // Devanagari digits
  ];
  for (const input of shapes) {
    const r = ok(normalizePhone(input, 'NP'));
    assert.equal(r.e164, '+9779851023212', input);
    assert.equal(r.country, 'NP');
    assert.equal(r.type, 'MOBILE');
    assert.equal(r.national, '9851023212');
  }
  assert.equal(ok(normalizePhone('9843818700', 'NP')).e164, '+9779843818700');
});

test('Iran mobile, national with and without trunk 0, Persian digits', () => {
  for (const input of ['09121234567', '9121234567', '0912 123 4567', '+98 912 123 4567', '۰۹۱۲۱۲۳۴۵۶۷', '00989121234567']) {
    const r = ok(normalizePhone(input, 'IR'));
    assert.equal(r.e164, '+989121234567', input);
    assert.equal(r.country, 'IR');
    assert.equal(r.national, '9121234567');
  }
});

test('international without + is accepted when the national reading fails', () => {
  assert.equal(ok(normalizePhone('9779851023212', 'US')).e164, '+9779851023212');
  assert.equal(ok(normalizePhone('447400123456', 'IR')).e164, '+447400123456');
  assert.equal(ok(normalizePhone('989121234567', 'NP')).e164, '+989121234567');
});

test('US and UK types', () => {
  const us = ok(normalizePhone('+1 650 253 0000', 'US'));
  assert.equal(us.type, 'FIXED_LINE_OR_MOBILE');
  assert.equal(ok(normalizePhone('(650) 253-0000', 'US')).e164, '+16502530000');
  const uk = ok(normalizePhone('+44 7400 123456', 'GB'));
  assert.equal(uk.type, 'MOBILE');
  assert.equal(ok(normalizePhone('07400 123456', 'GB')).e164, '+447400123456');
});

test('fixed line is not_mobile unless allowed', () => {
  const r = notOk(normalizePhone('+44 20 7946 0958', 'GB'));
  assert.equal(r.reason, 'not_mobile');
  assert.match(r.message, /\+44 20 7946 0958/);
  assert.match(r.message, /mobile/);
  const allowed = ok(normalizePhone('+44 20 7946 0958', 'GB', { allowFixedLine: true }));
  assert.equal(allowed.type, 'FIXED_LINE');
  assert.equal(allowed.e164, '+442079460958');
});

test('failures carry a reason and a sentence naming the input and the fix', () => {
  const short = notOk(normalizePhone('0912', 'IR'));
  assert.equal(short.reason, 'too_short');
  assert.match(short.message, /"0912" is too short .* IR; send E\.164 like \+98\d+/);

  assert.equal(notOk(normalizePhone('091212345678', 'IR')).reason, 'too_long');
  assert.equal(notOk(normalizePhone('+12345678901234567', 'US')).reason, 'too_long');
  assert.equal(notOk(normalizePhone('98510232', 'NP')).reason, 'too_short');

  for (const input of ['abc', '', '   ', '+', '12a34', 'tel:+9779851023212']) {
    const r = notOk(normalizePhone(input, 'NP'));
    assert.equal(r.reason, 'not_a_number', input);
    assert.match(r.message, /send E\.164 like \+977\d+/);
  }

  const noRegion = notOk(normalizePhone('9851023212', 'XX'));
  assert.equal(noRegion.reason, 'invalid');
  assert.match(noRegion.message, /"XX" is not a known region/);

  assert.equal(notOk(normalizePhone('+99912345', 'NP')).reason, 'invalid');
});

test('E.164 input does not need a known region', () => {
  assert.equal(ok(normalizePhone('+9779851023212', '')).e164, '+9779851023212');
  assert.equal(ok(normalizePhone('+989121234567', 'ir')).e164, '+989121234567');
});

test('isRegionCode', () => {
  for (const r of ['NP', 'IR', 'US', 'GB']) assert.equal(isRegionCode(r), true, r);
  for (const r of ['np', 'XX', 'UK', '', 'USA', '001']) assert.equal(isRegionCode(r), false, r);
});

test('non-string input from untyped callers is a failure, not a crash', () => {
  assert.equal(notOk(normalizePhone(null as unknown as string, 'NP')).reason, 'not_a_number');
  assert.equal(notOk(normalizePhone(9851023212 as unknown as string, 'NP')).reason, 'not_a_number');
  assert.equal(ok(normalizePhone('+9779851023212', undefined as unknown as string)).e164, '+9779851023212');
});

test('property: never throws, always a well-formed result', () => {
  const phoneish = fc.string({ unit: fc.constantFrom(...'+0123456789 -()۰۹x'.split('')), maxLength: 30 });
  const region = fc.oneof(fc.constantFrom('NP', 'IR', 'US', 'GB', 'DE', '', 'XX', 'np'), fc.string({ maxLength: 4 }));
  const input = fc.oneof(phoneish, fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 200, size: 'max' }));
  fc.assert(
    fc.property(input, region, fc.boolean(), (s, r, allowFixedLine) => {
      const res = normalizePhone(s, r, { allowFixedLine });
      if (res.ok) {
        assert.match(res.e164, /^\+[1-9]\d{6,14}$/);
        assert.ok(['MOBILE', 'FIXED_LINE_OR_MOBILE', ...(allowFixedLine ? ['FIXED_LINE'] : [])].includes(res.type!));
      } else {
        assert.ok(['invalid', 'not_mobile', 'too_short', 'too_long', 'not_a_number'].includes(res.reason));
        assert.ok(res.message.length > 0 && res.message.length < 300);
      }
    }),
    // A 17-digit German "landline" found with fast-check's large sizes (seed 1611241218): longer than E.164 allows.
    { numRuns: 500, examples: [['495155۹3361340۰40', '', true]] },
  );
});

test('a number longer than E.164\'s 15 digits is too_long, naming the country code, even where the plan would read it as a landline', () => {
  const res = normalizePhone('+49515593361340040', '', { allowFixedLine: true });
  assert.equal(res.ok, false);
  assert.equal(!res.ok && res.reason, 'too_long');
  assert.match(!res.ok ? res.message : '', /too long for a phone number with country code \+49; send E\.164 like \+49/);
  // 15 digits is still a number.
  assert.equal(normalizePhone('+4915123456789', '').ok, true);
});
