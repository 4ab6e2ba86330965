import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalCode, digitRuns, foldDigits, stripFormatChars, writeDigits } from '../../src/core/text.ts';
import { codeMatches, deriveKey, hashCode } from '../../src/core/code.ts';
import { normalizePhone } from '../../src/core/phone.ts';

/** Every Nd code point of the running Unicode version, found by category, not from a list of ours. */
const ND: number[] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) if (/^\p{Nd}$/u.test(String.fromCodePoint(cp))) ND.push(cp);
const CF: number[] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) if (/^\p{Cf}$/u.test(String.fromCodePoint(cp))) CF.push(cp);

test('every Unicode decimal digit (Nd) folds to its ASCII digit: each script’s run reads 0123456789', () => {
  assert.ok(ND.length >= 600, `the Unicode data knows ${ND.length} Nd digits`);
  // The zeros, found from the table alone: each contiguous block of Nd is whole runs of ten.
  const nd = new Set(ND);
  const zeros: number[] = [];
  for (const cp of ND) {
    if (nd.has(cp - 1)) continue;
    let end = cp;
    while (nd.has(end + 1)) end++;
    assert.equal((end - cp + 1) % 10, 0, `block at U+${cp.toString(16)} is whole runs of ten`);
    for (let z = cp; z <= end; z += 10) zeros.push(z);
  }
  for (const zero of zeros) {
    const run = Array.from({ length: 10 }, (_, d) => String.fromCodePoint(zero + d)).join('');
    assert.equal(foldDigits(run), '0123456789', `run at U+${zero.toString(16)}`);
  }
  for (const cp of ND) assert.match(foldDigits(String.fromCodePoint(cp)), /^[0-9]$/, `U+${cp.toString(16)}`);
  // Named examples from the scripts users type codes in.
  const cases: Array<[string, string]> = [
    ['۸۹۰۹۳۱', '890931'], // Persian (extended Arabic-Indic)
    ['٨٩٠٩٣١', '890931'], // Arabic-Indic
    ['८९०९३१', '890931'], // Devanagari (Nepali, Hindi)
    ['৮৯০৯৩১', '890931'], // Bengali
    ['๘๙๐๙๓๑', '890931'], // Thai
    ['８９０９３１', '890931'], // fullwidth
    ['𝟖𝟗𝟎𝟗𝟑𝟏', '890931'], // mathematical bold (astral)
    ['𝟾𝟿𝟶𝟿𝟹𝟷', '890931'], // mathematical monospace: the fifth run of a back-to-back block
    ['၈၉၀၉၃၁', '890931'], // Myanmar
    ['A۱b٢', 'A1b2'], // letters kept, scripts mixed
  ];
  for (const [typed, ascii] of cases) assert.equal(foldDigits(typed), ascii, typed);
  // Not decimal digits: superscripts, fractions, roman numerals, circled digits stay as they are.
  for (const other of ['²', '½', 'Ⅷ', '①', '〇']) assert.equal(foldDigits(other), other);
  assert.equal(foldDigits(42 as unknown as string), '');
});

test('every format character (Cf) is dropped, and nothing else', () => {
  assert.ok(CF.length >= 150, `the Unicode data knows ${CF.length} Cf characters`);
  const all = CF.map((cp) => String.fromCodePoint(cp)).join('');
  assert.equal(stripFormatChars(`+1${all}415`), '+1415');
  for (const kept of ['+', ' ', '-', '(', 'a', '۱', '\u00a0']) assert.equal(stripFormatChars(kept), kept);
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => !/\p{Cf}/u.test(stripFormatChars(s))));
});

test('canonicalCode: digits folded, Cf dropped, ends trimmed, letters kept; codes hash the same in any script', () => {
  assert.equal(canonicalCode('\u200f۸۹۰۹۳۱\u200e '), '890931');
  assert.equal(canonicalCode('Ab۱2'), 'Ab12');
  const key = deriveKey(Buffer.alloc(32, 7), 'code-hash');
  const stored = hashCode(key, 'v1', '890931');
  for (const typed of ['890931', '۸۹۰۹۳۱', '٨٩٠٩٣١', '८९०९३१', '８９０９３１', '\u2066890931\u2069', '89\u200b0931'])
    assert.ok(codeMatches(key, 'v1', typed, stored), typed);
  assert.ok(!codeMatches(key, 'v1', '890932', stored));
  assert.ok(!codeMatches(key, 'v1', '۸۹۰۹۳۲', stored));
  // A caller-supplied code in Persian digits is hashed as its ASCII form.
  assert.ok(codeMatches(key, 'v2', '1234', hashCode(key, 'v2', '۱۲۳۴')));
  fc.assert(fc.property(fc.stringMatching(/^[0-9]{4,10}$/), fc.constantFrom(...ND.filter((cp) => foldDigits(String.fromCodePoint(cp)) === '0')), (code, zero) => {
    return codeMatches(key, 's', writeDigits(code, zero), hashCode(key, 's', code));
  }));
});

test('digitRuns splits text into runs of one script each', () => {
  const runs = digitRuns('کد ۱۲۳۴۵ و 67, 12۳۴');
  assert.deepEqual(runs.map((r) => [r.text, r.ascii, r.zero]), [
    ['۱۲۳۴۵', '12345', 0x6f0],
    ['67', '67', 0x30],
    ['12', '12', 0x30],
    ['۳۴', '34', 0x6f0],
  ]);
  assert.equal('کد ۱۲۳۴۵ و 67'.slice(runs[0].index, runs[0].index + runs[0].text.length), '۱۲۳۴۵');
  assert.deepEqual(digitRuns('no digits'), []);
  assert.equal(writeDigits('0429', 0x966), '०४२९');
});

test('a number with invisible format characters anywhere parses as without them', () => {
  const marks = ['\u200e', '\u200f', '\u061c', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad'];
  for (const m of marks) {
    for (const typed of [`${m}+14155550102`, `+1415${m}5550102`, `+14155550102${m}`, `${m}${m}+1 (415) 555-0102${m}`]) {
      const r = normalizePhone(typed, 'US');
      assert.ok(r.ok && r.e164 === '+14155550102', `${JSON.stringify(typed)}: ${JSON.stringify(r)}`);
    }
  }
  // Persian digits with a right-to-left mark, as pasted from an Iranian app.
  const ir = normalizePhone('\u200f۰۹۱۲۱۲۳۴۵۶۷', 'IR');
  assert.ok(ir.ok && ir.e164 === '+989121234567', JSON.stringify(ir));
  // Devanagari and Bengali digits fold as well as the four scripts of before.
  const np = normalizePhone('९८५१०२३२१२', 'NP');
  assert.ok(np.ok && np.e164 === '+9779851023212', JSON.stringify(np));
  const bd = normalizePhone('+৮৮০১৭১২৩৪৫৬৭৮', 'BD');
  assert.ok(bd.ok && bd.e164 === '+8801712345678', JSON.stringify(bd));
  // Only marks: still no number.
  assert.equal(normalizePhone('\u200e\u200f', 'US').ok, false);
});
