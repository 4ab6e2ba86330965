import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText } from '../../src/core/encoding.ts';
import {
  LOCALES,
  TEMPLATE_PLACEHOLDERS,
  findTemplatePlaceholders,
  isLocale,
  renderSms,
  renderTemplate,
  spaceDigits,
  templateProblem,
  textDirection,
  voiceScript,
  type Locale,
} from '../../src/core/templates.ts';

const UCS2_LOCALES: Locale[] = ['fa', 'ne', 'ar', 'hi', 'ru', 'tr'];
const GSM7_LOCALES: Locale[] = ['en', 'es', 'fr', 'de'];

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

test('every locale renders the code in ASCII digits, with and without app name', () => {
  assert.equal(LOCALES.length, 10);
  for (const locale of LOCALES) {
    for (const appName of [undefined, 'Daraz']) {
      const text = renderSms({ locale, code: '048213', appName, minutes: 10 });
      assert.equal(count(text, '048213'), 1, `${locale}: ${text}`);
      assert.ok(text.includes('10'), `${locale} minutes: ${text}`);
      assert.ok(!/[{}]/.test(text), `${locale} left a placeholder: ${text}`);
      assert.ok(!/[\u06f0-\u06f9\u0660-\u0669\u0966-\u096f]/.test(text), `${locale} uses non-ASCII digits`);
      if (appName) assert.ok(text.includes(appName), `${locale} app name: ${text}`);
      // A one-time code should cost one segment.
      assert.equal(analyzeText(text).segments, 1, `${locale}: ${text}`);
    }
  }
});

test('default texts differ per locale and the app-less variant names no app', () => {
  const texts = LOCALES.map((locale) => renderSms({ locale, code: '1234', minutes: 5 }));
  assert.equal(new Set(texts).size, LOCALES.length);
  assert.equal(renderSms({ locale: 'en', code: '1234', minutes: 5 }), 'Your verification code is 1234. It expires in 5 minutes.');
  assert.equal(
    renderSms({ locale: 'en', code: '1234', appName: 'Acme', minutes: 5 }),
    'Your Acme verification code is 1234. It expires in 5 minutes.',
  );
  assert.equal(renderSms({ locale: 'en', code: '1234', appName: '  ', minutes: 5 }), texts[0], 'blank app name = none');
});

test('encodings: scripts outside GSM-7 are UCS-2, the Latin texts stay GSM-7', () => {
  for (const locale of UCS2_LOCALES) {
    const text = renderSms({ locale, code: '123456', appName: 'Acme', minutes: 10 });
    assert.equal(analyzeText(text).encoding, 'ucs2', locale);
  }
  for (const locale of GSM7_LOCALES) {
    for (const appName of [undefined, 'Acme']) {
      const text = renderSms({ locale, code: '123456', appName, minutes: 10 });
      assert.equal(analyzeText(text).encoding, 'gsm7', `${locale}: ${text}`);
    }
  }
});

test('scripts are the locale\'s own', () => {
  const script: Partial<Record<Locale, RegExp>> = {
    fa: /[\u0600-\u06ff]/,
    ar: /[\u0600-\u06ff]/,
    ne: /[\u0900-\u097f]/,
    hi: /[\u0900-\u097f]/,
    ru: /[\u0400-\u04ff]/,
  };
  for (const [locale, re] of Object.entries(script) as [Locale, RegExp][]) {
    assert.match(renderSms({ locale, code: '1', minutes: 1 }), re, locale);
    assert.match(voiceScript({ locale, code: '1' }), re, locale);
  }
  assert.match(renderSms({ locale: 'fa', code: '1', minutes: 1 }), /[پچژگکی]/, 'Persian letters, not Arabic');
});

test('text direction', () => {
  assert.equal(textDirection('fa'), 'rtl');
  assert.equal(textDirection('ar'), 'rtl');
  for (const l of ['en', 'ne', 'hi', 'es', 'fr', 'de', 'ru', 'tr', 'xx']) assert.equal(textDirection(l), 'ltr', l);
});

test('isLocale', () => {
  for (const l of LOCALES) assert.equal(isLocale(l), true);
  for (const l of ['EN', 'pt', '', 'en-US', 'toString']) assert.equal(isLocale(l), false, l);
});

test('renderTemplate: known replaced, unknown kept, no recursive expansion', () => {
  assert.equal(renderTemplate('{code} {x} {code}', { code: 42 }), '42 {x} 42');
  assert.equal(renderTemplate('{app_name}: {code}', { app_name: '{code}', code: '999' }), '{code}: 999');
  assert.equal(renderTemplate('{toString} {constructor}', {}), '{toString} {constructor}');
  assert.equal(renderTemplate('{ code } {}', { code: 1 }), '{ code } {}');
  assert.equal(renderTemplate('$& $1 {code}', { code: '$&$1' }), '$& $1 $&$1', 'replacement patterns inserted literally');
});

test('an unknown locale from an untyped caller falls back to English', () => {
  const text = renderSms({ locale: 'toString' as Locale, code: '55', minutes: 1 });
  assert.equal(text, 'Your verification code is 55. It expires in 1 minute.');
  assert.match(voiceScript({ locale: 'xx' as Locale, code: '55' }), /^Your verification code is 5 5\./);
});

test('one minute is singular in the Latin locales', () => {
  assert.match(renderSms({ locale: 'en', code: '1', minutes: 1 }), /in 1 minute\.$/);
  assert.match(renderSms({ locale: 'es', code: '1', minutes: 1 }), /en 1 minuto\.$/);
  assert.match(renderSms({ locale: 'de', code: '1', minutes: 1 }), /in 1 Minute ab\.$/);
  assert.match(renderSms({ locale: 'en', code: '1', minutes: 2 }), /in 2 minutes\.$/);
});

test('custom template overrides the default', () => {
  const text = renderSms({ locale: 'fa', code: '777', appName: 'X', minutes: 3, template: '{app_name} code {code} ({minutes}m)' });
  assert.equal(text, 'X code 777 (3m)');
});

test('placeholders are found and validated', () => {
  assert.deepEqual(findTemplatePlaceholders('{code} {app_name} {code} {foo_1}'), ['code', 'app_name', 'foo_1']);
  assert.deepEqual(findTemplatePlaceholders('no placeholders'), []);
  assert.deepEqual([...TEMPLATE_PLACEHOLDERS].sort(), ['app_name', 'code', 'minutes']);
  assert.equal(templateProblem('Code: {code} for {app_name}, {minutes} min'), undefined);
  assert.match(templateProblem('Code: {cod}') ?? '', /unknown placeholder \{cod\}/);
  assert.match(templateProblem('Hello {app_name}') ?? '', /no \{code\}/);
});

test('spaceDigits', () => {
  assert.equal(spaceDigits('12345'), '1 2 3 4 5');
  assert.equal(spaceDigits('7'), '7');
  assert.equal(spaceDigits(''), '');
  assert.equal(spaceDigits('A1b'), 'A 1 b');
});

test('voice script speaks the digits one by one, `repeat` times, in every locale', () => {
  for (const locale of LOCALES) {
    for (const repeat of [1, 2, 3]) {
      const s = voiceScript({ locale, code: '123456', repeat });
      assert.equal(count(s, '1 2 3 4 5 6'), repeat, `${locale} x${repeat}: ${s}`);
      assert.ok(!s.includes('123456'), locale);
      assert.ok(!/[{}]/.test(s), `${locale}: ${s}`);
    }
    assert.equal(count(voiceScript({ locale, code: '9081' }), '9 0 8 1'), 2, `${locale} default repeat`);
    assert.ok(voiceScript({ locale, code: '1', appName: 'Acme' }).includes('Acme'), locale);
  }
  assert.equal(
    voiceScript({ locale: 'en', code: '123456' }),
    'Your verification code is 1 2 3 4 5 6. Again, your code is 1 2 3 4 5 6.',
  );
  assert.equal(count(voiceScript({ locale: 'en', code: '42', repeat: 0 }), '4 2'), 1, 'at least once');
  const voices = new Set(LOCALES.map((locale) => voiceScript({ locale, code: '1' })));
  assert.equal(voices.size, LOCALES.length);
});
