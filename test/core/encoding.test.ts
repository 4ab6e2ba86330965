import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  analyzeText,
  decodeGsm7,
  decodeUcs2,
  encodeGsm7,
  encodeUcs2,
  isGsm7,
  splitSegments,
} from '../../src/core/encoding.ts';

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = '\f^{}\\[~]|€';
const gsmChar = fc.constantFrom(...Array.from(GSM_BASIC + GSM_EXT));
const gsmText = fc.string({ unit: gsmChar, maxLength: 400, size: 'max' });
// Persian, Devanagari, emoji (surrogate pairs), lone surrogates and ASCII, mixed.
const ucsChar = fc.constantFrom('ک', 'ی', 'ر', 'न', 'म', 'स्', '😀', '👍🏽', 'a', '€', ' ', '\ud800', '\udc00');
const ucsText = fc.string({ unit: ucsChar, minLength: 1, maxLength: 300, size: 'max' });
const anyText = fc.oneof(gsmText, ucsText, fc.string({ unit: 'binary', maxLength: 300, size: 'max' }));

function septets(part: string): number {
  return encodeGsm7(part).length;
}

test('GSM-7 single segment holds exactly 160 septets', () => {
  assert.deepEqual(analyzeText('a'.repeat(160)), { encoding: 'gsm7', units: 160, segments: 1, perSegment: 160 });
  assert.equal(analyzeText('a'.repeat(161)).segments, 2);
  assert.equal(analyzeText('a'.repeat(161)).perSegment, 153);
  assert.equal(analyzeText('a'.repeat(306)).segments, 2);
  assert.equal(analyzeText('a'.repeat(307)).segments, 3);
  assert.deepEqual(splitSegments('a'.repeat(307)).map((p) => p.length), [153, 153, 1]);
});

test('empty text is one segment', () => {
  assert.deepEqual(analyzeText(''), { encoding: 'gsm7', units: 0, segments: 1, perSegment: 160 });
  assert.deepEqual(splitSegments(''), ['']);
});

test('extension characters cost two septets', () => {
  assert.equal(analyzeText('€'.repeat(80)).units, 160);
  assert.equal(analyzeText('€'.repeat(80)).segments, 1);
  assert.equal(analyzeText('€'.repeat(81)).units, 162);
  assert.equal(analyzeText('€'.repeat(81)).segments, 2);
  for (const ch of Array.from(GSM_EXT)) assert.equal(analyzeText(ch).units, 2, JSON.stringify(ch));
  assert.equal(analyzeText('a\nb').units, 3, 'line feed is a basic character');
});

test('an escape pair is never split across GSM-7 parts', () => {
  // 152 septets, then '€' (2) would straddle the 153 boundary: it must move to part 2.
  const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
  const parts = splitSegments(text);
  assert.deepEqual(parts, ['a'.repeat(152), '€' + 'b'.repeat(10)]);
  // 306 septets is 2 parts by ceil(306/153), but the moved pair pushes one 'b' to a third.
  const tight = 'a'.repeat(152) + '€' + 'b'.repeat(152);
  assert.equal(analyzeText(tight).units, 306);
  assert.equal(analyzeText(tight).segments, 3);
  assert.equal(splitSegments(tight).length, 3);
});

test('UCS-2 Persian: 70 fits one, then 67 per part', () => {
  const fa = (n: number) => 'ک'.repeat(n);
  assert.deepEqual(analyzeText(fa(70)), { encoding: 'ucs2', units: 70, segments: 1, perSegment: 70 });
  assert.equal(analyzeText(fa(71)).segments, 2);
  assert.equal(analyzeText(fa(134)).segments, 2);
  assert.equal(analyzeText(fa(135)).segments, 3);
  assert.deepEqual(splitSegments(fa(135)).map((p) => p.length), [67, 67, 1]);
});

test('UCS-2 Devanagari counts code units', () => {
  const ne = 'नमस्ते'; // 6 code units
  assert.equal(ne.length, 6);
  assert.equal(analyzeText(ne).encoding, 'ucs2');
  assert.equal(analyzeText(ne.repeat(11)).segments, 1); // 66
  assert.equal(analyzeText(ne.repeat(12)).segments, 2); // 72
});

test('a surrogate pair at a part boundary goes whole to the next part', () => {
  // 66 units + '😀' (2 units) would end at 68 > 67: the emoji starts part 2.
  const text = 'a'.repeat(66) + '😀' + 'b'.repeat(10);
  assert.equal(analyzeText(text).encoding, 'ucs2');
  const parts = splitSegments(text);
  assert.deepEqual(parts, ['a'.repeat(66), '😀' + 'b'.repeat(10)]);
  // 66 + 2 + 66 = 134 units is ceil(134/67) = 2 by division, but the pair forces 3 parts.
  const tight = 'a'.repeat(66) + '😀' + 'b'.repeat(66);
  assert.equal(tight.length, 134);
  assert.equal(analyzeText(tight).segments, 3);
  // A pair that fits exactly stays in the part.
  assert.deepEqual(splitSegments('a'.repeat(65) + '😀' + 'b'.repeat(10)).map((p) => p.length), [67, 10]);
  // Emoji only: 36 pairs = 72 units, 33 pairs (66 units) per part.
  assert.deepEqual(splitSegments('😀'.repeat(36)).map((p) => p.length), [66, 6]);
});

test('GSM detection', () => {
  assert.equal(isGsm7('Hello @ £5 {x} €'), true);
  assert.equal(isGsm7('café'), true);
  assert.equal(isGsm7('código'), false); // ó is not in GSM 03.38
  assert.equal(isGsm7('ç'), false);
  assert.equal(isGsm7('کد'), false);
  assert.equal(isGsm7('\x1b'), false, 'the escape septet is not a character');
});

test('GSM-7 byte encoding uses escape pairs', () => {
  assert.deepEqual([...encodeGsm7('@A€[')], [0x00, 0x41, 0x1b, 0x65, 0x1b, 0x3c]);
  assert.equal(decodeGsm7(Buffer.from([0x48, 0x69, 0x1b, 0x65, 0x00])), 'Hi€@');
  assert.throws(() => encodeGsm7('کد'), /not in the GSM-7 alphabet/);
  assert.deepEqual([...encodeUcs2('A😀')], [0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00]);
});

test('property: parts join back to the text', () => {
  fc.assert(fc.property(anyText, (t) => splitSegments(t).join('') === t));
});

test('property: segment count equals the number of parts', () => {
  fc.assert(
    fc.property(anyText, (t) => {
      const parts = splitSegments(t);
      assert.equal(analyzeText(t).segments, parts.length);
    }),
  );
});

test('property: every part within the limits, no pair split', () => {
  fc.assert(
    fc.property(anyText, (t) => {
      const info = analyzeText(t);
      const parts = splitSegments(t);
      if (parts.length === 1) {
        assert.ok(info.units <= info.perSegment);
        return;
      }
      for (const [i, part] of parts.entries()) {
        assert.ok(part.length > 0, 'no empty part');
        if (info.encoding === 'gsm7') assert.ok(septets(part) <= 153);
        else {
          assert.ok(part.length <= 67);
          const last = part.charCodeAt(part.length - 1);
          const next = parts[i + 1]?.charCodeAt(0) ?? 0;
          const splitPair = last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
          assert.ok(!splitPair, 'surrogate pair split');
        }
      }
    }),
  );
});

test('property: GSM-7 encode/decode round trip', () => {
  fc.assert(
    fc.property(gsmText, (t) => {
      assert.equal(decodeGsm7(encodeGsm7(t)), t);
      assert.equal(encodeGsm7(t).length, analyzeText(t).units);
    }),
  );
});

test('property: UCS-2 encode/decode round trip', () => {
  fc.assert(
    fc.property(anyText, (t) => {
      assert.equal(decodeUcs2(encodeUcs2(t)), t);
      assert.equal(encodeUcs2(t).length, t.length * 2);
    }),
  );
});

test('property generators reach multi-part texts', () => {
  // Guards the properties above: fast-check's default size would keep texts under 160.
  const samples = fc.sample(anyText, 200);
  assert.ok(samples.filter((t) => splitSegments(t).length > 2).length >= 20);
});
