/**
 * A generic HTTP/JSON carrier configured by templates, for vendors without a dedicated file.
 *
 * Request: `method` `url` with `headers` and `body_template`, a JSON text whose placeholders are
 * replaced JSON-escaped (URL-encoded in `url`, verbatim in headers):
 *   {to} "+9779851023212"  {to_digits} "9779851023212"  {to_national} "9851023212" (no trunk 0)
 *   {text} {channel} ("sms"|"voice")  {id} (our message id)  {from}  {locale}  {encoding}
 *   {code} (the OTP found in the text by `code_pattern`)
 * Success: HTTP status in `success_status` (default any 2xx); the carrier id is at `id_path` in
 * the JSON answer ("data.id"), or our message id when id_path is unset. Errors: 429/5xx/network/
 * timeout retryable; other statuses permanent with the value at `error_code_path` as providerCode.
 *
 * Callback (optional `callback`): the carrier id at `id_field`, its status at `status_field` (dot
 * paths into a JSON body, or form/query names); `delivered_values` / `undelivered_values` decide the
 * outcome, anything else is enroute. With `secret`, the header X-Signature must be the hex
 * HMAC-SHA256 of the raw body (an optional "sha256=" prefix is accepted).
 */
import { badResponse, badSignature, channelsOf, codePatternOf, dig, findCode, headerOf, hmac, httpError, httpRequest, parseE164, safeEqual, timeoutOf, unsupportedChannel } from './http-util.ts';
import { ProviderConfigError, type CallbackRequest, type Channel, type OutboundMessage, type Provider, type ProviderFactory, type Receipt, type SendResult } from './types.ts';

export interface HttpCallbackConfig {
  id_field: string;
  status_field: string;
  delivered_values: string[];
  undelivered_values: string[];
  /** Field holding the carrier's error detail, copied into Receipt.errorCode. */
  error_field?: string;
  secret?: string;
}

export interface HttpProviderConfig {
  url: string;
  method?: 'POST' | 'PUT' | 'GET';
  headers?: Record<string, string>;
  /** Default: {"to":"{to}","text":"{text}","channel":"{channel}","id":"{id}"}. Ignored for GET. */
  body_template?: string;
  id_path?: string;
  success_status?: number | number[];
  error_code_path?: string;
  /** Default sender for {from}. */
  from?: string;
  code_pattern?: string;
  /** Default ["sms"]; add "voice" when the endpoint places calls (use {channel} to tell it which). */
  channels?: Channel[];
  callback?: HttpCallbackConfig;
  timeout_ms?: number;
}

const PLACEHOLDERS = ['to', 'to_digits', 'to_national', 'text', 'channel', 'id', 'from', 'locale', 'encoding', 'code'];
const PLACEHOLDER = /\{([a-z_]+)\}/g;
const DEFAULT_BODY = '{"to":"{to}","text":"{text}","channel":"{channel}","id":"{id}"}';

export const createHttpProvider: ProviderFactory<HttpProviderConfig> = (name, config) => new HttpProvider(name, config);

class HttpProvider implements Provider {
  readonly kind = 'http';
  readonly channels: readonly Channel[];
  private readonly method: string;
  private readonly bodyTemplate?: string;
  private readonly success: (status: number) => boolean;
  private readonly timeoutMs: number;
  private readonly codePattern?: RegExp;

  constructor(readonly name: string, private readonly config: HttpProviderConfig) {
    const fail = (field: string, fix: string) => new ProviderConfigError(name, field, fix);
    if (typeof config.url !== 'string' || !/^https?:\/\/[^/]+/.test(config.url)) throw fail('url', 'is required: the carrier endpoint, e.g. "https://api.example.com/sms?to={to_digits}"');
    this.method = (config.method ?? 'POST').toUpperCase();
    if (!['POST', 'PUT', 'GET'].includes(this.method)) throw fail('method', 'must be POST, PUT or GET');
    for (const [k, v] of Object.entries(config.headers ?? {})) {
      if (typeof v !== 'string' || /[\r\n]/.test(v)) throw fail(`headers.${k}`, 'must be a single-line string');
    }
    this.bodyTemplate = this.method === 'GET' ? undefined : (config.body_template ?? DEFAULT_BODY);
    const templates: Array<[string, string]> = [['url', config.url], ['body_template', this.bodyTemplate ?? ''], ...Object.entries(config.headers ?? {}).map(([k, v]): [string, string] => [`headers.${k}`, v])];
    for (const [field, tpl] of templates) {
      const unknown = [...tpl.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((p) => !PLACEHOLDERS.includes(p));
      if (unknown.length) throw fail(field, `uses unknown placeholder {${unknown[0]}}; allowed are ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
    if (this.bodyTemplate !== undefined) {
      try {
        JSON.parse(this.bodyTemplate.replace(PLACEHOLDER, 'x'));
      } catch (err) {
        throw fail('body_template', `is not valid JSON once placeholders are filled (${(err as Error).message}); put placeholders inside JSON strings`);
      }
    }
    const wanted = config.success_status === undefined ? undefined : ([] as number[]).concat(config.success_status);
    if (wanted && (!wanted.length || wanted.some((s) => !Number.isInteger(s) || s < 100 || s > 599))) throw fail('success_status', 'must be an HTTP status or a list of them');
    this.success = wanted ? (s) => wanted.includes(s) : (s) => s >= 200 && s < 300;
    const cb = config.callback;
    if (cb) {
      if (!cb.id_field || !cb.status_field) throw fail('callback', 'needs id_field and status_field (dot paths into the callback body)');
      if (!Array.isArray(cb.delivered_values) || !cb.delivered_values.length) throw fail('callback.delivered_values', 'must list the status values meaning delivered');
      if (!Array.isArray(cb.undelivered_values)) throw fail('callback.undelivered_values', 'must list the status values meaning undelivered ([] if none)');
    }
    this.codePattern = codePatternOf(name, config);
    this.channels = channelsOf(name, config.channels ?? ['sms'], { sms: undefined, voice: undefined });
    this.timeoutMs = timeoutOf(name, config);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.channels.includes(msg.channel)) throw unsupportedChannel(this.name, msg.channel, this.channels);
    const vars = this.variables(msg);
    const fill = (tpl: string, escape: (s: string) => string) => tpl.replace(PLACEHOLDER, (_, p: string) => escape(vars(p)));
    const url = fill(this.config.url, encodeURIComponent);
    const headers = Object.fromEntries(Object.entries(this.config.headers ?? {}).map(([k, v]) => [k, fill(v, (s) => s)]));
    const body = this.bodyTemplate === undefined ? undefined : fill(this.bodyTemplate, (s) => JSON.stringify(s).slice(1, -1));
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const res = await httpRequest(this.name, url, { method: this.method, headers, body, timeoutMs: this.timeoutMs });
    if (!this.success(res.status)) {
      const vendor = this.config.error_code_path ? dig(res.json, this.config.error_code_path) : undefined;
      throw httpError(this.name, res.status, vendor === undefined || vendor === null ? undefined : String(vendor), res.text.slice(0, 200) || undefined);
    }
    if (!this.config.id_path) return { providerMessageId: msg.id };
    const id = dig(res.json, this.config.id_path);
    if (typeof id !== 'string' && typeof id !== 'number') throw badResponse(this.name, `no carrier id at "${this.config.id_path}"`);
    return { providerMessageId: String(id) };
  }

  private variables(msg: OutboundMessage): (p: string) => string {
    const cache = new Map<string, string>();
    const compute = (p: string): string => {
      switch (p) {
        case 'to': return msg.to;
        case 'to_digits': return msg.to.replace(/^\+/, '');
        case 'to_national': return parseE164(this.name, msg.to).nationalNumber;
        case 'text': return msg.text;
        case 'channel': return msg.channel;
        case 'id': return msg.id;
        case 'from': return msg.from ?? this.config.from ?? '';
        case 'locale': return msg.locale;
        case 'encoding': return msg.encoding;
        default: return findCode(this.name, msg.text, this.codePattern, msg.code).code; // 'code'
      }
    };
    return (p) => cache.get(p) ?? (cache.set(p, compute(p)), cache.get(p)!);
  }

  async handleCallback(req: CallbackRequest): Promise<Receipt[]> {
    const cb = this.config.callback;
    if (!cb) return [];
    if (cb.secret) {
      const given = (headerOf(req, 'x-signature') ?? '').replace(/^sha256=/, '').toLowerCase();
      if (!safeEqual(given, hmac('sha256', cb.secret, req.rawBody).toString('hex'))) throw badSignature(this.name, 'X-Signature is not the HMAC-SHA256 of the body with callback.secret');
    }
    const items = Array.isArray(req.body) ? req.body : [req.body && typeof req.body === 'object' ? req.body : {}];
    const receipts: Receipt[] = [];
    for (const item of items) {
      const get = (path: string) => {
        const v = dig(item, path) ?? (items.length === 1 ? req.query[path] : undefined);
        return v === undefined || v === null ? undefined : String(v);
      };
      const id = get(cb.id_field);
      const status = get(cb.status_field);
      if (!id || status === undefined) continue;
      const outcome = cb.delivered_values.includes(status) ? 'delivered' : cb.undelivered_values.includes(status) ? 'undelivered' : 'enroute';
      const errorCode = outcome === 'undelivered' ? ((cb.error_field && get(cb.error_field)) || status) : undefined;
      receipts.push({ provider: this.name, providerMessageId: id, outcome, at: new Date(), ...(errorCode ? { errorCode } : {}) });
    }
    return receipts;
  }
}
