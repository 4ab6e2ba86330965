/**
 * Vonage (Nexmo): SMS through the SMS API, voice through the Voice API with an NCCO `talk` action.
 * Docs: https://developer.vonage.com/en/api/sms, https://developer.vonage.com/en/api/voice,
 * https://developer.vonage.com/en/getting-started/concepts/signing-messages
 *
 * Callbacks on /hooks/<name> (`status_callback` is sent as the SMS `callback` and the call `event_url`):
 *   SMS delivery receipt: messageId, status (delivered|expired|failed|rejected|accepted|buffered|unknown), err-code
 *   voice event: uuid, status (started|ringing|answered|completed|busy|timeout|failed|rejected|unanswered|cancelled), duration
 * With `signature_secret`, every callback must be signed: voice events (and Messages-style webhooks) by an
 * `Authorization: Bearer` JWT, HS256 with the secret, whose payload_hash is the SHA-256 of the body; SMS
 * receipts by the `sig` field (`signature_method` as chosen in the Vonage dashboard, default md5hash).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { badResponse, badSignature, baseUrlOf, channelsOf, dateOr, fieldsOf, headerOf, hmac, httpError, httpRequest, jwtHs256Problem, jwtRs256, optionalString, safeEqual, timeoutOf, ttsLanguage, unsupportedChannel } from './http-util.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type Channel, type OutboundMessage, type Provider, type ProviderFactory, type Receipt, type ReceiptOutcome, type SendResult } from './types.ts';

export const VONAGE_SMS_BASE_URL = 'https://rest.nexmo.com';
export const VONAGE_VOICE_BASE_URL = 'https://api.nexmo.com';

export interface VonageConfig {
  /** SMS API credentials (Vonage dashboard → API settings). */
  api_key?: string;
  api_secret?: string;
  /** SMS sender id or number; a message's own `from` wins. */
  from?: string;
  /** Voice API: the application and its private key (PEM text or a path to the .key file). */
  application_id?: string;
  private_key?: string;
  /** Caller id for calls (a number linked to the application); unset → random_from_number. */
  voice_from?: string;
  /** Public URL of /hooks/<name>. */
  status_callback?: string;
  /** Verifies signed callbacks when set. */
  signature_secret?: string;
  signature_method?: 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';
  channels?: Channel[];
  base_url?: string;
  /** Defaults to base_url when that is set (one fake in tests), else https://api.nexmo.com. */
  voice_base_url?: string;
  timeout_ms?: number;
}

/** SMS API status → [code, retryable]; https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms */
const SMS_ERRORS: Record<string, [string, boolean]> = {
  '1': ['throttled', true], '2': ['rejected', false], '3': ['rejected', false], '4': ['auth_failed', false],
  '5': ['carrier_unavailable', true], '6': ['invalid_number', false], '7': ['number_barred', false],
  '8': ['account_barred', false], '9': ['insufficient_credit', false], '10': ['throttled', true],
  '13': ['carrier_unavailable', true], '15': ['invalid_sender', false], '29': ['number_not_whitelisted', false],
};
const DLR_STATUS: Record<string, ReceiptOutcome> = {
  delivered: 'delivered', expired: 'undelivered', failed: 'undelivered', rejected: 'undelivered',
  accepted: 'enroute', buffered: 'enroute', unknown: 'enroute',
};
const CALL_STATUS: Record<string, ReceiptOutcome> = {
  started: 'enroute', ringing: 'enroute', answered: 'enroute', machine: 'enroute', human: 'enroute',
  completed: 'delivered', busy: 'busy', timeout: 'no_answer', failed: 'undelivered',
  rejected: 'undelivered', unanswered: 'no_answer', cancelled: 'undelivered',
};

export const createVonageProvider: ProviderFactory<VonageConfig> = (name, config) => new VonageProvider(name, config);

class VonageProvider implements Provider {
  readonly kind = 'vonage';
  readonly channels: readonly Channel[];
  private readonly smsBase: string;
  private readonly voiceBase: string;
  private readonly timeoutMs: number;
  private readonly privateKey?: string;

  constructor(readonly name: string, private readonly config: VonageConfig) {
    for (const f of ['api_key', 'api_secret', 'from', 'application_id', 'private_key', 'voice_from', 'status_callback', 'signature_secret'] as const) optionalString(name, config, f);
    if (config.private_key) this.privateKey = loadKey(name, config.private_key);
    this.channels = channelsOf(name, config.channels, {
      sms: config.api_key && config.api_secret && config.from ? undefined : 'the SMS API needs api_key, api_secret and from',
      voice: config.application_id && config.private_key ? undefined : 'the Voice API needs application_id and private_key',
    });
    const method = config.signature_method ?? 'md5hash';
    if (!['md5hash', 'md5', 'sha1', 'sha256', 'sha512'].includes(method)) {
      throw new ProviderConfigError(name, 'signature_method', 'must be md5hash, md5, sha1, sha256 or sha512 (as set in the Vonage dashboard)');
    }
    this.smsBase = baseUrlOf(name, config, VONAGE_SMS_BASE_URL);
    this.voiceBase = baseUrlOf(name, { voice_base_url: config.voice_base_url ?? config.base_url }, VONAGE_VOICE_BASE_URL, 'voice_base_url');
    this.timeoutMs = timeoutOf(name, config);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.channels.includes(msg.channel)) throw unsupportedChannel(this.name, msg.channel, this.channels);
    return msg.channel === 'sms' ? this.sendSms(msg) : this.call(msg);
  }

  private async sendSms(msg: OutboundMessage): Promise<SendResult> {
    const c = this.config;
    const form = new URLSearchParams({ api_key: c.api_key!, api_secret: c.api_secret!, from: msg.from ?? c.from!, to: msg.to.replace(/^\+/, ''), text: msg.text, 'client-ref': msg.id });
    if (msg.encoding === 'ucs2') form.set('type', 'unicode');
    if (c.status_callback) form.set('callback', c.status_callback);
    const res = await httpRequest(this.name, `${this.smsBase}/sms/json`, { body: form, timeoutMs: this.timeoutMs });
    if (res.status !== 200) throw httpError(this.name, res.status);
    const first = (res.json as { messages?: Array<Record<string, string>> } | undefined)?.messages?.[0];
    if (!first) throw badResponse(this.name, 'no messages[] in the SMS API answer');
    if (first.status !== '0') {
      const [code, retryable] = SMS_ERRORS[first.status] ?? ['rejected', false];
      throw new ProviderError(code, `${this.name}: SMS API status ${first.status}: ${first['error-text'] ?? 'refused'}`, retryable, first.status);
    }
    if (!first['message-id']) throw badResponse(this.name, 'status 0 without a message-id');
    // A long text is sent as several parts, each with its own id and receipt; the message is
    // delivered only when every part is (Vonage: concatenated SMS report per part).
    const all = (res.json as { messages: Array<Record<string, string>> }).messages;
    const parts = all.filter((m) => m.status === '0' && m['message-id']).map((m) => m['message-id']);
    return parts.length > 1 ? { providerMessageId: first['message-id'], parts } : { providerMessageId: first['message-id'] };
  }

  private async call(msg: OutboundMessage): Promise<SendResult> {
    const c = this.config;
    const from = c.voice_from ? { from: { type: 'phone', number: c.voice_from.replace(/^\+/, '') } } : { random_from_number: true };
    const body = {
      to: [{ type: 'phone', number: msg.to.replace(/^\+/, '') }],
      ...from,
      ncco: [{ action: 'talk', text: msg.text, language: ttsLanguage(msg.locale) }],
      ...(c.status_callback ? { event_url: [c.status_callback] } : {}),
    };
    const res = await httpRequest(this.name, `${this.voiceBase}/v1/calls`, { headers: { authorization: `Bearer ${this.jwt()}` }, body, timeoutMs: this.timeoutMs });
    const json = (res.json ?? {}) as { uuid?: string; type?: string; title?: string; detail?: string };
    if (res.status < 200 || res.status >= 300) {
      const vendorCode = json.type ? json.type.split(/[#/]/).pop() : json.title;
      throw httpError(this.name, res.status, vendorCode, [json.title, json.detail].filter(Boolean).join(': '));
    }
    if (!json.uuid) throw badResponse(this.name, `HTTP ${res.status} without a call uuid`);
    return { providerMessageId: json.uuid };
  }

  /** A short-lived application JWT (RS256) per request, as the Vonage SDKs do. */
  private jwt(): string {
    const now = Math.floor(Date.now() / 1000);
    return jwtRs256({ application_id: this.config.application_id, iat: now, exp: now + 300, jti: randomUUID() }, this.privateKey!);
  }

  async handleCallback(req: CallbackRequest): Promise<Receipt[]> {
    const f = fieldsOf(req);
    if (this.config.signature_secret) this.verify(req, f, this.config.signature_secret);
    if (f.uuid && f.status && !f.messageId) {
      const outcome = CALL_STATUS[f.status];
      if (!outcome) return [];
      const billSec = f.duration !== undefined ? Number(f.duration) : undefined;
      const silent = outcome === 'delivered' && billSec === 0; // "completed" after 0 s: nobody heard the code
      return [{
        provider: this.name, providerMessageId: f.uuid, outcome: silent ? 'undelivered' : outcome, at: dateOr(f.timestamp),
        ...((outcome !== 'delivered' && outcome !== 'enroute') || silent ? { errorCode: f.status } : {}),
        ...(billSec !== undefined && Number.isFinite(billSec) ? { billSec } : {}),
      }];
    }
    const outcome = DLR_STATUS[f.status ?? ''];
    if (!f.messageId || !outcome) return [];
    const errorCode = outcome === 'undelivered' ? `${f.status}:${f['err-code'] ?? ''}` : undefined;
    // msisdn is the handset the part went to (`to` is our sender id): the match must agree.
    return [{ provider: this.name, providerMessageId: f.messageId, outcome, at: dateOr(f['message-timestamp']), ...(errorCode ? { errorCode } : {}), ...(f.msisdn ? { to: f.msisdn } : {}) }];
  }

  private verify(req: CallbackRequest, f: Record<string, string>, secret: string): void {
    const auth = headerOf(req, 'authorization');
    if (auth?.startsWith('Bearer ')) {
      const problem = jwtHs256Problem(auth.slice(7).trim(), secret, req.rawBody);
      if (problem) throw badSignature(this.name, `${problem} (check signature_secret)`);
      return;
    }
    if (!f.sig) throw badSignature(this.name, 'unsigned callback (no Bearer JWT, no sig) while signature_secret is set');
    const signed = Object.keys(f).filter((k) => k !== 'sig').sort().map((k) => `&${k}=${f[k].replace(/[&=]/g, '_')}`).join('');
    const method = this.config.signature_method ?? 'md5hash';
    const expected = method === 'md5hash'
      ? createHash('md5').update(signed + secret).digest('hex')
      : hmac(method, secret, signed).toString('hex');
    if (!safeEqual(f.sig.toLowerCase(), expected)) throw badSignature(this.name, 'sig does not match (check signature_secret and signature_method)');
  }
}

function loadKey(provider: string, value: string): string {
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new ProviderConfigError(provider, 'private_key', `is neither a PEM key nor a readable file (${(err as Error).message})`);
  }
}
