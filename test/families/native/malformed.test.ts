/**
 * Malformed requests against every native route, generated from tables and by fast-check: wrong
 * types, missing and unknown fields, huge strings and bodies, bad and truncated JSON, wrong
 * content types, unicode edge cases, bad query parameters, ids and credentials. Each must be a
 * 4xx whose body is exactly {error:{code,message[,field]}} with a known snake_case code, naming
 * the field when one field is at fault. The last test counts them and asserts none was a 5xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { build, type Harness } from '../../helpers/gateway.ts';

const US = '+14155552671';
const NOID = '0'.repeat(32); // well-formed, never issued
const SEND = '/v1/verifications';
const CHECK = '/v1/verifications/check';
const CANCEL = `/v1/verifications/${NOID}/cancel`;
const SEND_BASE = { to: US, channel: 'sms' };
const CHECK_BASE = { id: NOID, code: '123456' };
const POSTS = [SEND, CHECK, CANCEL];
const GETS = [`/v1/verifications/${NOID}`, `/v1/messages/${NOID}`, '/v1/messages'];

/** Every code a malformed request may get: a new code is a change to the API, so it fails here first. */
const KNOWN_CODES = new Set([
  'invalid_json', 'invalid_type', 'invalid_value', 'missing_field', 'unknown_field', 'unsupported_media_type', 'body_too_large',
  'invalid_path', 'path_too_long', 'not_found', 'unauthorized', 'invalid_phone_number', 'invalid_locale', 'template_not_found',
  'verification_not_found', 'message_not_found',
]);
const SNAKE = /^[a-z]+(_[a-z0-9]+)*$/;

const seen = { total: 0, fiveXx: 0, byStatus: new Map<number, number>(), byCode: new Map<string, number>() };

interface Expect {
  status?: number | number[];
  code?: string | string[];
  field?: string;
}

const oneOf = <T>(x: T | T[] | undefined, v: T) => x === undefined || (Array.isArray(x) ? x.includes(v) : x === v);

function assertRefused(res: LightMyRequestResponse, exp: Expect, label: string): void {
  seen.total++;
  seen.byStatus.set(res.statusCode, (seen.byStatus.get(res.statusCode) ?? 0) + 1);
  if (res.statusCode >= 500) seen.fiveXx++;
  const show = `${label} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, show);
  assert.match(String(res.headers['content-type']), /^application\/json/, show);
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body), ['error'], show);
  const { code, message, field, ...rest } = body.error;
  assert.deepEqual(rest, {}, show);
  assert.match(code, SNAKE, show);
  assert.ok(KNOWN_CODES.has(code), `unknown code: ${show}`);
  assert.ok(typeof message === 'string' && message.length > 10, `a message says what to fix: ${show}`);
  assert.ok(field === undefined || (typeof field === 'string' && field.length > 0), show);
  seen.byCode.set(code, (seen.byCode.get(code) ?? 0) + 1);
  assert.ok(oneOf(exp.status, res.statusCode), `status: ${show}`);
  assert.ok(oneOf(exp.code, code), `code: ${show}`);
  if (exp.field !== undefined) assert.equal(field, exp.field, `field: ${show}`);
}

type Req = Omit<InjectOptions, 'headers'> & { headers?: Record<string, string> };

async function expectRefused(h: Harness, req: Req, exp: Expect, label = `${req.method} ${String(req.url).slice(0, 80)}`): Promise<void> {
  const res = await h.app.inject({ ...req, headers: { ...h.auth(), ...req.headers } } as InjectOptions);
  assertRefused(res, exp, label);
}

/** A JSON text body, sent as is (so it can be broken). */
const json = (url: string, payload: string | Buffer, headers: Record<string, string> = {}): Req => ({
  method: 'POST',
  url,
  payload,
  headers: { 'content-type': 'application/json', ...headers },
});
const body = (url: string, value: unknown) => json(url, JSON.stringify(value));

type Kind = 'string' | 'integer' | 'channel';
const SEND_FIELDS: Record<string, Kind> = {
  to: 'string', channel: 'channel', locale: 'string', code_length: 'integer', code: 'string', app_name: 'string', template_id: 'string', ttl_seconds: 'integer',
};
const CHECK_FIELDS: Record<string, Kind> = { id: 'string', to: 'string', code: 'string' };
const ROUTES = [
  { url: SEND, base: SEND_BASE, fields: SEND_FIELDS },
  { url: CHECK, base: CHECK_BASE, fields: CHECK_FIELDS },
];

const NOT_STRINGS: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, [], ['x'], {}, { a: 1 }];
const NOT_INTEGERS: unknown[] = [null, true, false, 6.5, '6', '', '６', [], [6], {}, { n: 6 }];
const wrongTypes = (k: Kind) => (k === 'integer' ? NOT_INTEGERS : NOT_STRINGS);
const typeCodes = (k: Kind) => (k === 'channel' ? ['invalid_type', 'invalid_value'] : 'invalid_type');

test('wrong types for each field of send and check: 400 naming the field', async (t) => {
  const h = await build(t);
  for (const { url, base, fields } of ROUTES)
    for (const [name, kind] of Object.entries(fields))
      for (const v of wrongTypes(kind))
        await expectRefused(h, body(url, { ...base, [name]: v }), { status: 400, code: typeCodes(kind), field: name }, `${url} ${name}=${JSON.stringify(v)}`);
});

test('values out of range or of the wrong form: 400 naming the field', async (t) => {
  const h = await build(t);
  const bad: Array<[string, unknown[], string | string[]]> = [
    ['channel', ['SMS', 'email', '', ' sms', 'sms ', 'voice\u0000'], 'invalid_value'],
    ['code_length', [3, 11, 0, -4, 2 ** 31, 2 ** 53 + 2], 'invalid_value'],
    ['ttl_seconds', [59, 3601, 0, -60, 86_400], 'invalid_value'],
    // Other scripts' digits fold to ASCII (typed-input.test.ts); folded, these are still bad.
    ['code', ['123', '12345678901', '12 34', '12-34', 'abc!', '１２３', '١٢٣٤٥٦٧٨٩٠١', '१२-३४५६', ''], 'invalid_value'],
    ['locale', ['e', 'x'.repeat(17), ''], 'invalid_value'],
    ['locale', ['zz', 'klingon', 'e_n', 'xx-YY', 'ｅｎ', 'еn' /* Cyrillic е */], 'invalid_locale'],
    ['to', ['', 'x'.repeat(65), `${US}${US}${US}${US}${US}${US}`], 'invalid_value'],
    ['to', ['+', 'abc', '+1', '+999999999999999999', '123', '0000000000', '+1 (415) 555-267', '+0123456789', 'tel:', '++14155552671'], 'invalid_phone_number'],
    ['app_name', ['', 'x'.repeat(65)], 'invalid_value'],
    ['template_id', ['', 'x'.repeat(65)], 'invalid_value'],
    ['template_id', ['nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty'], 'template_not_found'],
  ];
  for (const [name, values, code] of bad)
    for (const v of values) await expectRefused(h, body(SEND, { ...SEND_BASE, [name]: v }), { status: 400, code, field: name }, `send ${name}=${JSON.stringify(v)}`);
  const checkBad: Array<[string, unknown[], string]> = [
    ['id', ['', 'x'.repeat(65)], 'invalid_value'],
    ['code', ['', '12345678901'], 'invalid_value'],
    ['to', ['', 'x'.repeat(65)], 'invalid_value'],
  ];
  for (const [name, values, code] of checkBad)
    for (const v of values) await expectRefused(h, body(CHECK, { ...CHECK_BASE, [name]: v }), { status: 400, code, field: name }, `check ${name}=${JSON.stringify(v)}`);
  // Well-formed but unknown: a 404 naming what was looked up.
  await expectRefused(h, body(CHECK, { id: NOID, code: '123456' }), { status: 404, code: 'verification_not_found', field: 'id' });
  await expectRefused(h, body(CHECK, { to: US, code: '123456' }), { status: 404, code: 'verification_not_found', field: 'to' });
  await expectRefused(h, body(CHECK, { to: 'abc', code: '123456' }), { status: 400, code: 'invalid_phone_number', field: 'to' });
});

test('missing fields and unknown fields: 400 naming the field', async (t) => {
  const h = await build(t);
  for (const name of ['to', 'channel']) {
    const { [name as 'to']: _, ...rest } = SEND_BASE;
    await expectRefused(h, body(SEND, rest), { status: 400, code: 'missing_field', field: name });
  }
  await expectRefused(h, body(SEND, {}), { status: 400, code: 'missing_field', field: 'to' });
  await expectRefused(h, body(CHECK, { id: NOID }), { status: 400, code: 'missing_field', field: 'code' });
  await expectRefused(h, body(CHECK, { code: '123456' }), { status: 400, code: 'missing_field', field: 'id' });
  await expectRefused(h, body(CHECK, {}), { status: 400, code: 'missing_field', field: 'code' });
  const extras = ['foo', 'To', 'CHANNEL', 'to ', ' to', 'code_Length', '\u200Bto', 'toString', 'hasOwnProperty', 'valueOf', 'id\u0000', 'ｔｏ', 'a.b', 'verification_id'];
  for (const { url, base } of ROUTES)
    for (const name of [...extras, ...(url === SEND ? ['id', 'attempts', 'status'] : ['channel', 'locale'])])
      await expectRefused(h, body(url, { ...base, [name]: 'x' }), { status: 400, code: 'unknown_field', field: name }, `${url} +${JSON.stringify(name)}`);
  await expectRefused(h, body(SEND, { ...SEND_BASE, '': 1 }), { status: 400, code: 'unknown_field' });
});

test('huge strings (1 MB) name the field; bodies over 1 MiB are 413 body_too_large on every POST', async (t) => {
  const h = await build(t);
  const mb = 'x'.repeat(1_000_000);
  const emojiMb = '🙂'.repeat(250_000); // 1 MB of UTF-8, 500k UTF-16 units
  for (const { url, base, fields } of ROUTES)
    for (const [name, kind] of Object.entries(fields))
      if (kind !== 'integer')
        for (const big of [mb, emojiMb])
          await expectRefused(h, body(url, { ...base, [name]: big }), { status: 400, code: 'invalid_value', field: name }, `${url} ${name}=<1 MB>`);
  const over = 'x'.repeat(1_100_000);
  for (const url of POSTS) {
    await expectRefused(h, body(url, { ...SEND_BASE, to: over }), { status: 413, code: 'body_too_large' }, `${url} 1.1 MB field`);
    await expectRefused(h, json(url, `{"a":"${'é'.repeat(530_000)}"}`), { status: 413, code: 'body_too_large' }, `${url} 1.06 MB of 2-byte chars`);
    await expectRefused(h, json(url, ' '.repeat(1_048_577)), { status: 413, code: 'body_too_large' }, `${url} 1 MiB + 1 of spaces`);
  }
  // Deep nesting is a type error at the field, not a stack overflow.
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  await expectRefused(h, json(SEND, `{"to":${deep},"channel":"sms"}`), { status: 400, code: 'invalid_type', field: 'to' });
  await expectRefused(h, json(CHECK, `{"id":"${NOID}","code":${deep}}`), { status: 400, code: 'invalid_type', field: 'code' });
  // Headers: the Idempotency-Key is bounded too.
  for (const key of ['', 'k'.repeat(256), 'k'.repeat(1_000_000)])
    await expectRefused(h, json(SEND, JSON.stringify(SEND_BASE), { 'idempotency-key': key }), { status: 400, code: 'invalid_value', field: 'idempotency-key' }, `idempotency-key of ${key.length}`);
});

const BAD_JSON = [
  '{', '}', '[', '{"to":}', "{'to':'x'}", '{"to":"+1",}', '[1,2', 'undefined', 'NaN', '{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}',
  '{"to":"\\x"}', '{"to":"\\u12"}', '{"to":"a\u0000b"}', '{"to":"line\nbreak"}', '{"to":01}', '{"to":+1}', '{"to":.5}', '{"to":1.}',
  '{"to":"a"}garbage', '{"to":"a"}{"to":"b"}', '\u0000', 'true false', '{"to" "x"}', '/* c */{}', '{"to":"x"} // c', '{to:"x"}',
  '{"code_length":６}', '{"ttl_seconds":٦٠}', '{"a":0x10}', '{"a":1e}', '{"a":--1}', '{"a":tru}', '{"a":nul}', '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}', '{"a":"\\ud800\\"}', '\uFEFF\uFEFF{}', '{"a":[}', '{,}', '{"a":1,,"b":2}',
];

test('bad and truncated JSON: 400 invalid_json on every POST', async (t) => {
  const h = await build(t);
  for (const url of POSTS) {
    for (const text of BAD_JSON) await expectRefused(h, json(url, text), { status: 400, code: 'invalid_json' }, `${url} ${JSON.stringify(text)}`);
    // A route that takes no body (cancel) reads an empty JSON body as none (test/http/body.test.ts).
    if (url !== CANCEL) await expectRefused(h, json(url, ''), { status: 400, code: 'invalid_json' }, `${url} empty body`);
  }
  const valid = [
    [SEND, JSON.stringify({ ...SEND_BASE, locale: 'fa', app_name: 'بانک', ttl_seconds: 120 })],
    [CHECK, JSON.stringify(CHECK_BASE)],
  ];
  for (const [url, text] of valid)
    for (let n = 1; n < text.length; n++) await expectRefused(h, json(url, text.slice(0, n)), { status: 400, code: 'invalid_json' }, `${url} truncated at ${n}`);
  // Bytes cut inside a multi-byte character.
  const bytes = Buffer.from(JSON.stringify({ ...SEND_BASE, app_name: 'नमस्ते' }));
  for (const n of [bytes.length - 5, bytes.length - 4, bytes.length - 3])
    await expectRefused(h, json(SEND, bytes.subarray(0, n)), { status: 400, code: 'invalid_json' }, `send truncated bytes at ${n}`);
});

test('wrong content types: 4xx on every POST, 415 for the ones no parser takes', async (t) => {
  const h = await build(t);
  const text = JSON.stringify(SEND_BASE);
  const cases: Array<[string | undefined, string | Buffer, Expect]> = [
    ['text/plain', text, { status: 400, code: 'invalid_type', field: 'body' }],
    ['text/plain; charset=utf-8', '', { status: 400, code: 'invalid_type', field: 'body' }],
    ['application/x-www-form-urlencoded', 'to=%2B14155552671&channel=sms', { status: 415, code: 'unsupported_media_type' }],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="to"\r\n\r\n+14155552671\r\n--x--', { status: 415, code: 'unsupported_media_type' }],
    [undefined, Buffer.from(text), { status: 415, code: 'unsupported_media_type' }],
    ['application/xml', '<to>+14155552671</to>', { status: 415, code: 'unsupported_media_type' }],
    ['application/jsonx', text, { status: 415, code: 'unsupported_media_type' }],
    ['application/octet-stream', Buffer.from(text), { status: 415, code: 'unsupported_media_type' }],
    ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), { status: 415, code: 'unsupported_media_type' }],
    ['json', text, { status: 415, code: 'unsupported_media_type' }],
    ['application/json', Buffer.from(text, 'utf16le'), { status: 400, code: 'invalid_json' }],
  ];
  for (const url of [SEND, CHECK])
    for (const [ct, payload, exp] of cases)
      await expectRefused(h, { method: 'POST', url, payload, headers: ct ? { 'content-type': ct } : {} }, exp, `${url} as ${ct ?? 'no content type'}`);
  // Cancel takes no body: whatever arrives, the unknown id is refused (or the body first, with its own code).
  for (const [ct, payload] of cases)
    await expectRefused(h, { method: 'POST', url: CANCEL, payload, headers: ct ? { 'content-type': ct } : {} }, { status: [400, 404, 415] }, `cancel as ${ct ?? 'none'}`);
  await expectRefused(h, { method: 'POST', url: SEND }, { status: 400, code: 'invalid_type', field: 'body' }, 'send with no body at all');
  for (const v of [[], null, 'x', 1, true])
    for (const url of [SEND, CHECK]) await expectRefused(h, body(url, v), { status: 400, code: 'invalid_type', field: 'body' }, `${url} body ${JSON.stringify(v)}`);
});

// Invisible, control, combining and half-pair characters, each inserted into otherwise good input.
const UNICODE: Record<string, string> = {
  lrm: '\u200E', rlm: '\u200F', rlo: '\u202E', zwsp: '\u200B', zwj: '\u200D', zwnj: '\u200C', bom: '\uFEFF', nul: '\u0000', bel: '\u0007', esc: '\u001B',
  del: '\u007F', nel: '\u0085', combining: '\u0301', high_surrogate: '\uD800', low_surrogate: '\uDC00', swapped_pair: '\uDC00\uD800',
  line_separator: '\u2028', bidi_isolate: '\u2066', replacement: '\uFFFD', tag: '\u{E0041}',
};
const CONTROL_OR_HALF = ['nul', 'bel', 'esc', 'del', 'nel', 'high_surrogate', 'low_surrogate', 'swapped_pair'];
// Whitespace to JavaScript, so a phone number reads it as a space ("+1415 5552671"), as a person would mean it.
const SPACE_LIKE = ['line_separator', 'bom'];
// Invisible format characters (Unicode Cf) are dropped from numbers and codes: a number or code
// pasted with them is the same without them (test/families/native/typed-input.test.ts).
const FORMAT = Object.keys(UNICODE).filter((k) => /^\p{Cf}+$/u.test(UNICODE[k]));

test('unicode edge cases in every text field, path and query: refused, naming the field', async (t) => {
  const h = await build(t);
  for (const [name, c] of Object.entries(UNICODE)) {
    const label = (what: string) => `${what} with ${name}`;
    if (!SPACE_LIKE.includes(name) && !FORMAT.includes(name))
      await expectRefused(h, body(SEND, { ...SEND_BASE, to: `+1415${c}5552671` }), { status: 400, code: 'invalid_phone_number', field: 'to' }, label('send.to'));
    await expectRefused(h, body(SEND, { ...SEND_BASE, to: `+14155552671${c}x` }), { status: 400, code: 'invalid_phone_number', field: 'to' }, label('send.to end'));
    await expectRefused(h, body(SEND, { ...SEND_BASE, locale: `en${c}` }), { status: 400, code: ['invalid_locale', 'invalid_value'], field: 'locale' }, label('locale'));
    // A code's ends are trimmed (as typed with a trailing newline); format characters dropped.
    if (!FORMAT.includes(name) && !SPACE_LIKE.includes(name)) await expectRefused(h, body(SEND, { ...SEND_BASE, code: `1234${c}` }), { status: 400, code: 'invalid_value', field: 'code' }, label('code'));
    await expectRefused(h, body(SEND, { ...SEND_BASE, channel: `sms${c}` }), { status: 400, code: 'invalid_value', field: 'channel' }, label('channel'));
    await expectRefused(h, body(SEND, { ...SEND_BASE, template_id: `otp${c}` }), { status: 400, code: 'template_not_found', field: 'template_id' }, label('template_id'));
    if (CONTROL_OR_HALF.includes(name))
      await expectRefused(h, body(SEND, { ...SEND_BASE, app_name: `Bank${c}` }), { status: 400, code: 'invalid_value', field: 'app_name' }, label('app_name'));
    // A malformed id is refused as in a path (GET /v1/verifications/{id}), not looked up.
    await expectRefused(h, body(CHECK, { id: `${c}${NOID}`, code: '123456' }), { status: 400, code: 'invalid_value', field: 'id' }, label('check.id'));
    if (!SPACE_LIKE.includes(name) && !FORMAT.includes(name))
      await expectRefused(h, body(CHECK, { to: `+1415${c}5552671`, code: '123456' }), { status: 400, code: 'invalid_phone_number', field: 'to' }, label('check.to'));
    await expectRefused(h, body(CHECK, { id: NOID, code: `12345${c}` }), { status: 404, code: 'verification_not_found', field: 'id' }, label('check.code'));
    if (name === 'high_surrogate' || name === 'low_surrogate' || name === 'swapped_pair') continue; // not encodable in a URL
    const enc = encodeURIComponent(c);
    for (const path of GETS.slice(0, 2).concat(CANCEL))
      await expectRefused(h, { method: path === CANCEL ? 'POST' : 'GET', url: path.replace(NOID, enc + NOID.slice(1)) }, { status: 400, code: 'invalid_value', field: 'id' }, label(path));
    for (const [param, value, code] of [
      ['to', `+1415${enc}5552671`, 'invalid_phone_number'], ['status', `sent${enc}`, 'invalid_value'], ['cursor', enc + NOID.slice(1), 'invalid_value'],
      ['since', `2024-01-01T00:00:00Z${enc}`, 'invalid_value'], ['limit', `5${enc}`, 'invalid_type'],
    ])
      if (param !== 'to' || (!SPACE_LIKE.includes(name) && !FORMAT.includes(name)))
        await expectRefused(h, { method: 'GET', url: `/v1/messages?${param}=${value}` }, { status: 400, code, field: param }, label(`?${param}`));
  }
  // Numbers written in other scripts are numbers to a person but not to JSON or a query string.
  for (const digits of ['６', '٦', '६', '𝟔'])
    for (const name of ['code_length', 'ttl_seconds']) {
      await expectRefused(h, json(SEND, `{"to":"${US}","channel":"sms","${name}":${digits}}`), { status: 400, code: 'invalid_json' }, `raw ${name} ${digits}`);
      await expectRefused(h, body(SEND, { ...SEND_BASE, [name]: digits }), { status: 400, code: 'invalid_type', field: name }, `string ${name} ${digits}`);
      await expectRefused(h, { method: 'GET', url: `/v1/messages?limit=${encodeURIComponent(digits)}` }, { status: 400, code: 'invalid_type', field: 'limit' }, `limit ${digits}`);
    }
});

test('bad ids in the path of every id route: 400 naming id, or a 4xx from the router', async (t) => {
  const h = await build(t);
  const ids = ['abc', 'A'.repeat(32), '0'.repeat(31), '0'.repeat(33), 'g'.repeat(32), `${'0'.repeat(31)} `, '%20' + '0'.repeat(32), '%00', '-1', 'null', '..%2F..%2F', '%2F'.repeat(11)];
  const routes = [
    (id: string): Req => ({ method: 'GET', url: `/v1/verifications/${id}` }),
    (id: string): Req => ({ method: 'GET', url: `/v1/messages/${id}` }),
    (id: string): Req => ({ method: 'POST', url: `/v1/verifications/${id}/cancel` }),
  ];
  for (const r of routes) {
    for (const id of ids) await expectRefused(h, r(id), { status: 400, code: 'invalid_value', field: 'id' });
    for (const id of ['%ED%A0%80', '%C0%AF', '%FF', '%', '%G0', '%E2%82', 'a%'])
      await expectRefused(h, r(id), { status: 400, code: 'invalid_path' });
    await expectRefused(h, r('a'.repeat(101)), { status: 414, code: 'path_too_long' });
    await expectRefused(h, r(NOID), { status: 404, code: ['verification_not_found', 'message_not_found'], field: 'id' });
  }
  for (const url of [...POSTS, ...GETS])
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) await expectRefused(h, { method, url }, { status: 404, code: 'not_found' });
});

test('bad query parameters of GET /v1/messages: 400 naming the parameter', async (t) => {
  const h = await build(t);
  const cases: Array<[string, string, string]> = [
    ['limit', 'abc', 'invalid_type'], ['limit', '0', 'invalid_value'], ['limit', '201', 'invalid_value'], ['limit', '1.5', 'invalid_type'],
    ['limit', '-1', 'invalid_type'], ['limit', '', 'invalid_type'], ['limit', '1e2', 'invalid_type'], ['limit', '0x10', 'invalid_type'],
    ['limit', '9999999999', 'invalid_type'], ['limit', ' 5', 'invalid_type'], ['limit', 'Infinity', 'invalid_type'],
    ['status', 'x', 'invalid_value'], ['status', 'SENT', 'invalid_value'], ['status', '', 'invalid_value'],
    ['since', 'yesterday', 'invalid_value'], ['since', '2024-01-01', 'invalid_value'], ['since', '2024-01-01T00:00:00', 'invalid_value'],
    ['since', '2024-13-01T00:00:00Z', 'invalid_value'], ['since', '2024-02-30T00:00:00Z', 'invalid_value'], ['since', '1700000000000', 'invalid_value'],
    ['since', '2016-12-31T23:59:60Z', 'invalid_value'], ['since', '2024-01-01T00:00:00%2B25:00', 'invalid_value'],
    ['cursor', 'zz', 'invalid_value'], ['cursor', 'A'.repeat(32), 'invalid_value'], ['cursor', NOID + '0', 'invalid_value'],
    ['to', 'abc', 'invalid_phone_number'], ['to', '%00', 'invalid_phone_number'], ['to', '+1', 'invalid_phone_number'], ['to', 'x'.repeat(65), 'invalid_value'],
  ];
  for (const [param, value, code] of cases)
    await expectRefused(h, { method: 'GET', url: `/v1/messages?${param}=${value}` }, { status: 400, code, field: param }, `?${param}=${value}`);
  for (const param of ['limit', 'status', 'since', 'cursor', 'to'])
    await expectRefused(h, { method: 'GET', url: `/v1/messages?${param}=a&${param}=b` }, { status: 400, code: 'invalid_type', field: param }, `?${param} twice`);
  await expectRefused(h, { method: 'GET', url: '/v1/messages?to=%ED%A0%80' }, { status: 400, code: 'invalid_phone_number', field: 'to' });
});

test('bad credentials on every route: 401 naming Authorization, before the body is read', async (t) => {
  const h = await build(t);
  const headers: Array<Record<string, string>> = [
    {}, { authorization: '' }, { authorization: 'Bearer' }, { authorization: 'Bearer  ' }, { authorization: `Basic ${h.token}` },
    { authorization: 'Bearer otpg_wrong' }, { authorization: `Bearer ${h.token}x` }, { authorization: `Bearer ${h.token} extra` },
    { authorization: `Bearer ${h.token.slice(0, -1)}` }, { authorization: `Bearer\u0000${h.token}` }, { authorization: `${h.token}` },
  ];
  const requests: Req[] = [
    ...POSTS.map((url) => json(url, '{"broken')),
    ...GETS.map((url): Req => ({ method: 'GET', url: `${url}?limit=zero` })),
  ];
  for (const r of requests)
    for (const auth of headers) {
      const res = await h.app.inject({ ...r, headers: { ...r.headers, ...auth } } as InjectOptions);
      assertRefused(res, { status: 401, code: 'unauthorized', field: 'Authorization' }, `${r.url} with ${JSON.stringify(auth).slice(0, 40)}`);
    }
});

// fast-check: generated values, not just the ones we thought of.
const RUNS = 40;

/**
 * Whether Fastify's body parser (secure-json-parse, onProtoPoisoning and onConstructorPoisoning
 * 'error') refuses this value: a `__proto__` key anywhere, or a `constructor` key whose value is
 * an object with a `prototype` key. A `"__proto__"` string as a value is ordinary data.
 */
function poisoned(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(o, '__proto__')) return true;
  const c = Object.prototype.hasOwnProperty.call(o, 'constructor') ? o.constructor : undefined;
  if (c !== null && typeof c === 'object' && Object.prototype.hasOwnProperty.call(c, 'prototype')) return true;
  return Object.values(o).some(poisoned);
}

test('property: any JSON value of the wrong type in any field is a 400 naming that field', async (t) => {
  const h = await build(t);
  for (const { url, base, fields } of ROUTES) {
    const entries = Object.entries(fields);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...entries),
        fc.jsonValue().filter((v) => typeof v !== 'string' && !Number.isInteger(v)),
        async ([name, kind], v) => {
          const text = JSON.stringify({ ...base, [name]: v });
          const res = await h.app.inject({ method: 'POST', url, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: text });
          assertRefused(res, poisoned(v) ? { status: 400, code: 'invalid_json' } : { status: 400, code: typeCodes(kind), field: name }, `${url} ${name}=${text.slice(0, 80)}`);
        },
      ),
      // CI's seed 1269342318 found the first: "__proto__" as a string value is data, not poison.
      { numRuns: RUNS, examples: [[entries[0], { '': { '': '__proto__' } }], [entries[0], { constructor: 1 }], [entries[0], [{ constructor: { prototype: 1 } }]]] },
    );
  }
});

test('property: any text as a JSON body is a 4xx with a known code, never a 5xx', async (t) => {
  const h = await build(t);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...POSTS), fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.json()), async (url, text) => {
      const res = await h.app.inject({ method: 'POST', url, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: text });
      assertRefused(res, {}, `${url} ${JSON.stringify(text).slice(0, 80)}`);
    }),
    { numRuns: RUNS },
  );
});

test('property: any malformed id in the path is refused naming id (or by the router)', async (t) => {
  const h = await build(t);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET /v1/verifications/', 'GET /v1/messages/', 'POST /v1/verifications/'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/^[0-9a-f]{32}$/.test(s) && s !== '.' && s !== '..'),
      async (route, id) => {
        const [method, prefix] = route.split(' ');
        const url = prefix + encodeURIComponent(id) + (method === 'POST' ? '/cancel' : '');
        const res = await h.app.inject({ method: method as 'GET', url, headers: h.auth() });
        assertRefused(res, res.statusCode === 400 ? { code: 'invalid_value', field: 'id' } : { status: 414, code: 'path_too_long' }, `${method} ${url}`);
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: any malformed query parameter is a 400 naming it', async (t) => {
  const h = await build(t);
  const invalid: Record<string, fc.Arbitrary<string>> = {
    limit: fc.oneof(fc.string({ unit: 'grapheme' }).filter((s) => !/^[0-9]{1,9}$/.test(s)), fc.integer({ min: 201, max: 999_999_999 }).map(String), fc.constant('0')),
    status: fc.string({ unit: 'grapheme' }).filter((s) => !['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'canceled'].includes(s)),
    cursor: fc.string({ unit: 'grapheme' }).filter((s) => !/^[0-9a-f]{32}$/.test(s)),
    since: fc.string({ unit: 'grapheme' }),
    to: fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => !/[0-9\p{Nd}]/u.test(s)),
  };
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...Object.keys(invalid)).chain((p) => fc.tuple(fc.constant(p), invalid[p])), async ([param, value]) => {
      const res = await h.app.inject({ method: 'GET', url: `/v1/messages?${param}=${encodeURIComponent(value)}`, headers: h.auth() });
      assertRefused(res, { status: 400, field: param }, `?${param}=${JSON.stringify(value)}`);
    }),
    { numRuns: RUNS * 2 },
  );
});

test(`at least 500 malformed requests exercised, none answered with a 5xx`, () => {
  const codes = [...seen.byCode].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}=${n}`).join(' ');
  const statuses = [...seen.byStatus].sort().map(([s, n]) => `${s}=${n}`).join(' ');
  console.log(`malformed requests exercised: ${seen.total}; 5xx: ${seen.fiveXx}\n  by status: ${statuses}\n  by code: ${codes}`);
  assert.equal(seen.fiveXx, 0);
  assert.ok(seen.total >= 500, `only ${seen.total} exercised`);
});
