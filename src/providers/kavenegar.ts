/**
 * Kavenegar (Iran): SMS through sms/send.json, or verify/lookup.json (a pre-approved template,
 * the code as its token) when `template` is set; voice through call/maketts.json.
 * The API key is part of the path: {base}/v1/{api_key}/{method}.json, form-encoded POST.
 * Docs: https://kavenegar.com/rest.html
 *
 * Answers: {"return":{"status":200,"message":"…"},"entries":[{"messageid":8792343,"status":1,…}]};
 * on error the HTTP status and return.status carry the code (411 receptor invalid, 418 no credit, …).
 *
 * Receipts: Kavenegar is usually polled (sms/status.json); when the account's delivery URL points at
 * /hooks/<name>, it calls it with the form or query fields `messageid` and `status` (Kavenegar's
 * message status: 1 queued, 2 scheduled, 4/5 handed to the operator, 6 failed, 10 delivered,
 * 11 undelivered, 13 cancelled, 14 blocked by the recipient, 100 unknown id). Kavenegar does not sign
 * it, so set `callback_token` and put `?token=<it>` in the delivery URL.
 */
import { badResponse, baseUrlOf, channelsOf, checkCallbackToken, codePatternOf, fieldsOf, findCode, httpError, httpRequest, optionalString, parseE164, requireString, timeoutOf, unsupportedChannel } from './http-util.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type Channel, type OutboundMessage, type Provider, type ProviderFactory, type Receipt, type ReceiptOutcome, type SendResult } from './types.ts';

export const KAVENEGAR_BASE_URL = 'https://api.kavenegar.com';

export interface KavenegarConfig {
  api_key: string;
  /** Sender line, e.g. "10004346"; unset uses the account's default line. A message's `from` wins. */
  sender?: string;
  /** Verify (lookup) template name: SMS then goes through verify/lookup.json with the code as token. */
  template?: string;
  /** Regex finding the code in the text for `template` (default: the first 4–10 digit run). */
  code_pattern?: string;
  /** Shared secret expected as ?token= on the delivery URL. */
  callback_token?: string;
  channels?: Channel[];
  base_url?: string;
  timeout_ms?: number;
}

/** return.status → our error code; anything else 4xx is 'rejected'. */
const ERRORS: Record<number, string> = {
  401: 'account_disabled', 403: 'auth_failed', 407: 'auth_failed', 411: 'invalid_number', 412: 'invalid_sender',
  413: 'invalid_message', 414: 'rejected', 416: 'auth_failed', 418: 'insufficient_credit', 424: 'template_not_found',
  431: 'invalid_token', 432: 'invalid_token', 501: 'test_account_only',
};
const STATUS: Record<string, ReceiptOutcome> = {
  '1': 'enroute', '2': 'enroute', '4': 'enroute', '5': 'enroute', '10': 'delivered',
  '6': 'undelivered', '11': 'undelivered', '13': 'undelivered', '14': 'undelivered', '100': 'undelivered',
};

export const createKavenegarProvider: ProviderFactory<KavenegarConfig> = (name, config) => new KavenegarProvider(name, config);

class KavenegarProvider implements Provider {
  readonly kind = 'kavenegar';
  readonly channels: readonly Channel[];
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly codePattern?: RegExp;

  constructor(readonly name: string, private readonly config: KavenegarConfig) {
    const key = requireString(name, config, 'api_key', 'is required: the API key from the Kavenegar panel (Account → Settings)');
    if (!/^[A-Za-z0-9+=._-]+$/.test(key.trim())) throw new ProviderConfigError(name, 'api_key', 'must be the bare key (letters, digits, + = . _ -): it goes into the URL path');
    for (const f of ['sender', 'template', 'callback_token'] as const) optionalString(name, config, f);
    this.codePattern = codePatternOf(name, config);
    this.channels = channelsOf(name, config.channels, { sms: undefined, voice: undefined });
    this.base = `${baseUrlOf(name, config, KAVENEGAR_BASE_URL)}/v1/${encodeURIComponent(key.trim())}`;
    this.timeoutMs = timeoutOf(name, config);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.channels.includes(msg.channel)) throw unsupportedChannel(this.name, msg.channel, this.channels);
    const form = new URLSearchParams({ receptor: receptorOf(this.name, msg.to) });
    let method: string;
    if (msg.channel === 'voice') {
      method = 'call/maketts';
      form.set('message', msg.text);
    } else if (this.config.template) {
      method = 'verify/lookup';
      form.set('token', findCode(this.name, msg.text, this.codePattern, msg.code).code);
      form.set('template', this.config.template);
    } else {
      method = 'sms/send';
      form.set('message', msg.text);
      const sender = msg.from ?? this.config.sender;
      if (sender) form.set('sender', sender);
    }
    const res = await httpRequest(this.name, `${this.base}/${method}.json`, { body: form, timeoutMs: this.timeoutMs });
    const json = res.json as { return?: { status?: number; message?: string }; entries?: Array<{ messageid?: number | string }> } | undefined;
    const status = Number(json?.return?.status ?? res.status);
    if (res.status !== 200 || status !== 200) throw this.error(res.status, status, json?.return?.message);
    const id = json?.entries?.[0]?.messageid;
    if (id === undefined || id === null || id === '') throw badResponse(this.name, 'status 200 without entries[0].messageid');
    return { providerMessageId: String(id) };
  }

  private error(http: number, status: number, message?: string): ProviderError {
    const detail = message ? `Kavenegar ${status}: ${message}` : `Kavenegar ${status}`;
    const retryable = http === 429 || http >= 500 || status === 409 || status === 429 || (status >= 500 && status !== 501);
    if (retryable) return httpError(this.name, http >= 400 ? http : 503, status, detail);
    const code = ERRORS[status] ?? 'rejected';
    return new ProviderError(code, `${this.name}: carrier refused the message (${detail})`, false, String(status));
  }

  async handleCallback(req: CallbackRequest): Promise<Receipt[]> {
    checkCallbackToken(this.name, req, this.config.callback_token);
    const f = fieldsOf(req);
    const outcome = STATUS[f.status ?? ''];
    if (!f.messageid || !outcome) return [];
    return [{
      provider: this.name, providerMessageId: f.messageid, outcome, at: new Date(),
      ...(outcome === 'undelivered' ? { errorCode: `status:${f.status}` } : {}),
    }];
  }
}

/** Kavenegar takes Iranian numbers as 09…, others in international form with 00. */
function receptorOf(provider: string, e164: string): string {
  const p = parseE164(provider, e164);
  return p.country === 'IR' ? `0${p.nationalNumber}` : `00${p.number.slice(1)}`;
}
