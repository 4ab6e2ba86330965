// The words a user reads or hears, per locale. Codes stay in ASCII digits in every
// language: carriers, SMS autofill (iOS/Android) and OTP readers look for them.

export const LOCALES = ['en', 'fa', 'ne', 'ar', 'hi', 'es', 'fr', 'de', 'ru', 'tr'] as const;
export type Locale = (typeof LOCALES)[number];

/** Placeholders a caller's template may use; anything else is a typo worth rejecting. */
export const TEMPLATE_PLACEHOLDERS: readonly string[] = ['code', 'app_name', 'minutes'];

const RTL_LOCALES: ReadonlySet<string> = new Set(['fa', 'ar']);

export function isLocale(x: string): x is Locale {
  return (LOCALES as readonly string[]).includes(x);
}

export function textDirection(locale: string): 'rtl' | 'ltr' {
  return RTL_LOCALES.has(locale) ? 'rtl' : 'ltr';
}

interface SmsTexts {
  withApp: string;
  plain: string;
}

// es avoids á/í/ó/ú and tr/ru/fa/ar/ne/hi cannot avoid UCS-2: the Latin texts are worded
// to stay in GSM-7, which halves the cost per character (160 vs 70 per segment).
const SMS: Record<Locale, SmsTexts> = {
  en: {
    withApp: 'Your {app_name} verification code is {code}. It expires in {minutes} minutes.',
    plain: 'Your verification code is {code}. It expires in {minutes} minutes.',
  },
  fa: {
    withApp: 'کد تأیید {app_name} شما: {code}\nاین کد تا {minutes} دقیقه معتبر است.',
    plain: 'کد تأیید شما: {code}\nاین کد تا {minutes} دقیقه معتبر است.',
  },
  ne: {
    withApp: 'तपाईंको {app_name} प्रमाणीकरण कोड {code} हो। यो {minutes} मिनेटमा समाप्त हुन्छ।',
    plain: 'तपाईंको प्रमाणीकरण कोड {code} हो। यो {minutes} मिनेटमा समाप्त हुन्छ।',
  },
  ar: {
    withApp: 'رمز التحقق الخاص بك في {app_name} هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة.',
    plain: 'رمز التحقق الخاص بك هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة.',
  },
  hi: {
    withApp: 'आपका {app_name} सत्यापन कोड {code} है। यह {minutes} मिनट में समाप्त हो जाएगा।',
    plain: 'आपका सत्यापन कोड {code} है। यह {minutes} मिनट में समाप्त हो जाएगा।',
  },
  es: {
    withApp: 'Tu clave de acceso de {app_name} es {code}. Vence en {minutes} minutos.',
    plain: 'Tu clave de acceso es {code}. Vence en {minutes} minutos.',
  },
  fr: {
    withApp: 'Votre code de vérification {app_name} est {code}. Il expire dans {minutes} minutes.',
    plain: 'Votre code de vérification est {code}. Il expire dans {minutes} minutes.',
  },
  de: {
    withApp: 'Ihr Bestätigungscode für {app_name} lautet {code}. Er läuft in {minutes} Minuten ab.',
    plain: 'Ihr Bestätigungscode lautet {code}. Er läuft in {minutes} Minuten ab.',
  },
  ru: {
    // "мин." sidesteps the three Russian plural forms of "minute".
    withApp: 'Ваш код подтверждения {app_name}: {code}. Действует {minutes} мин.',
    plain: 'Ваш код подтверждения: {code}. Действует {minutes} мин.',
  },
  tr: {
    withApp: '{app_name} doğrulama kodunuz: {code}. Kod {minutes} dakika geçerlidir.',
    plain: 'Doğrulama kodunuz: {code}. Kod {minutes} dakika geçerlidir.',
  },
};

interface VoiceTexts {
  withApp: string;
  plain: string;
  again: string;
}

// Text-to-speech reads "1 2 3" digit by digit but "123" as a number, hence {digits}.
const VOICE: Record<Locale, VoiceTexts> = {
  en: {
    withApp: 'Your {app_name} verification code is {digits}.',
    plain: 'Your verification code is {digits}.',
    again: 'Again, your code is {digits}.',
  },
  fa: {
    withApp: 'کد تأیید {app_name} شما {digits} است.',
    plain: 'کد تأیید شما {digits} است.',
    again: 'تکرار می‌کنم، کد شما {digits} است.',
  },
  ne: {
    withApp: 'तपाईंको {app_name} प्रमाणीकरण कोड {digits} हो।',
    plain: 'तपाईंको प्रमाणीकरण कोड {digits} हो।',
    again: 'फेरि भन्छु, तपाईंको कोड {digits} हो।',
  },
  ar: {
    withApp: 'رمز التحقق الخاص بك في {app_name} هو {digits}.',
    plain: 'رمز التحقق الخاص بك هو {digits}.',
    again: 'أكرر، رمزك هو {digits}.',
  },
  hi: {
    withApp: 'आपका {app_name} सत्यापन कोड {digits} है।',
    plain: 'आपका सत्यापन कोड {digits} है।',
    again: 'फिर से, आपका कोड {digits} है।',
  },
  es: {
    withApp: 'Su código de verificación de {app_name} es {digits}.',
    plain: 'Su código de verificación es {digits}.',
    again: 'Repito, su código es {digits}.',
  },
  fr: {
    withApp: 'Votre code de vérification {app_name} est {digits}.',
    plain: 'Votre code de vérification est {digits}.',
    again: 'Je répète, votre code est {digits}.',
  },
  de: {
    withApp: 'Ihr Bestätigungscode für {app_name} lautet {digits}.',
    plain: 'Ihr Bestätigungscode lautet {digits}.',
    again: 'Noch einmal, Ihr Code lautet {digits}.',
  },
  ru: {
    withApp: 'Ваш код подтверждения {app_name}: {digits}.',
    plain: 'Ваш код подтверждения: {digits}.',
    again: 'Повторяю, ваш код: {digits}.',
  },
  tr: {
    withApp: '{app_name} doğrulama kodunuz: {digits}.',
    plain: 'Doğrulama kodunuz: {digits}.',
    again: 'Tekrar ediyorum, kodunuz: {digits}.',
  },
};

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

// One pass over the template: a value containing "{code}" stays literal text, so an
// app name chosen by a customer can never pull another variable into the message.
export function renderTemplate(template: string, vars: Record<string, string | number>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}

/** Distinct placeholder names in order of first use. */
export function findTemplatePlaceholders(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (!names.includes(m[1])) names.push(m[1]);
  return names;
}

/**
 * Why a caller's template cannot be used, as a sentence naming the fix, or undefined
 * when it is fine. A template without {code} would send a message with no code in it.
 */
export function templateProblem(template: string): string | undefined {
  const names = findTemplatePlaceholders(template);
  const unknown = names.filter((n) => !TEMPLATE_PLACEHOLDERS.includes(n));
  if (unknown.length > 0) {
    const list = unknown.map((n) => `{${n}}`).join(', ');
    return `template uses unknown placeholder ${list}; allowed are {code}, {app_name} and {minutes}`;
  }
  if (!names.includes('code')) return 'template has no {code} placeholder; add {code} where the code should appear';
  return undefined;
}

// Where "1 minutes" would read wrong; the other locales use one form after a numeral
// (ru avoids the question with "мин.").
const SINGULAR_MINUTE: Partial<Record<Locale, readonly [string, string]>> = {
  en: ['{minutes} minutes', '{minutes} minute'],
  es: ['{minutes} minutos', '{minutes} minuto'],
  fr: ['{minutes} minutes', '{minutes} minute'],
  de: ['{minutes} Minuten', '{minutes} Minute'],
};

function appNameOf(appName: string | undefined): string | undefined {
  const trimmed = appName?.trim();
  return trimmed ? trimmed : undefined;
}

export function renderSms(opts: {
  locale: Locale;
  code: string;
  appName?: string;
  minutes: number;
  template?: string;
}): string {
  const appName = appNameOf(opts.appName);
  const locale = isLocale(opts.locale) ? opts.locale : 'en';
  const texts = SMS[locale];
  let template = opts.template ?? (appName ? texts.withApp : texts.plain);
  const singular = SINGULAR_MINUTE[locale];
  if (opts.template === undefined && opts.minutes === 1 && singular) template = template.replace(singular[0], singular[1]);
  if (!appName) template = withoutAppName(template);
  return renderTemplate(template, { code: opts.code, app_name: appName ?? '', minutes: opts.minutes });
}

const HSPACE = '[ \\t\\u00a0]';
const APP = '\\{app_name\\}';
/** Line start: "{app_name}: …", "{app_name} - …", "[{app_name}] …", "({app_name}) …". */
const APP_AT_START = new RegExp(`(^|\\n)${HSPACE}*[\\[(]?${APP}[\\])]?${HSPACE}*[:：,،;|\\-–—]?${HSPACE}*`, 'g');
/** Elsewhere, with the space before it (and brackets around it): "Your {app_name} code" → "Your code". */
const APP_INSIDE = new RegExp(`${HSPACE}*[\\[(]?${APP}[\\])]?`, 'g');

/**
 * A caller's template rendered without an app name: the placeholder goes with the separator or
 * the space that belonged to it, so "{app_name} login code: {code}" reads "login code: 123456",
 * not " login code: 123456", and "Your {app_name} code is {code}" reads "Your code is 123456".
 */
function withoutAppName(template: string): string {
  if (!template.includes('{app_name}')) return template;
  return template
    .replace(APP_AT_START, '$1')
    .replace(APP_INSIDE, '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+([.,!?;:،])/g, '$1')
    .replace(/^[ \t]+|[ \t]+$/gm, '')
    .replace(/^\n+/, '');
}

export function spaceDigits(code: string): string {
  return Array.from(code).join(' ');
}

export function voiceScript(opts: { locale: Locale; code: string; appName?: string; repeat?: number }): string {
  const appName = appNameOf(opts.appName);
  const texts = VOICE[isLocale(opts.locale) ? opts.locale : 'en'];
  // Capped: a caller's typo of 1000 must not build a call script nobody sits through.
  const repeat = Math.min(10, Math.max(1, Math.floor(opts.repeat ?? 2) || 1));
  const vars = { digits: spaceDigits(opts.code), app_name: appName ?? '' };
  const sentences = [renderTemplate(appName ? texts.withApp : texts.plain, vars)];
  for (let i = 1; i < repeat; i++) sentences.push(renderTemplate(texts.again, vars));
  return sentences.join(' ');
}
