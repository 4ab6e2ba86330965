/**
 * Twilio: SMS through the Messages API, voice through the Calls API with inline TwiML <Say>.
 * Docs: https://www.twilio.com/docs/messaging/api/message-resource,
 * https://www.twilio.com/docs/voice/api/call-resource, https://www.twilio.com/docs/usage/webhooks/webhooks-security
 *
 * Status callbacks (form posts to /hooks/<name>, the URL in `status_callback`):
 *   SMS:   MessageSid, MessageStatus (queued|sending|sent|delivered|undelivered|failed|read), ErrorCode
 *   voice: CallSid, CallStatus (queued|ringing|in-progress|completed|busy|no-answer|failed|canceled), CallDuration
 * signed with X-Twilio-Signature = base64(HMAC-SHA1(auth_token, full URL + each POST param name+value, sorted by name)).
 */
import { hmac, badResponse, badSignature, baseUrlOf, channelsOf, fieldsOf, headerOf, httpError, httpRequest, optionalString, requireString, safeEqual, timeoutOf, ttsLanguage, unsupportedChannel, xmlEscape } from './http-util.ts';
import { ProviderConfigError, type CallbackRequest, type Channel, type OutboundMessage, type Provider, type ProviderFactory, type Receipt, type ReceiptOutcome, type SendResult } from './types.ts';

export const TWILIO_BASE_URL = 'https://api.twilio.com';

export interface TwilioConfig {
  account_sid: string;
  auth_token: string;
  /** Sender: an E.164 number or alphanumeric sender id; a message's own `from` wins. */
  from?: string;
  /** Used for SMS when no sender is given (Twilio picks the number from the service). */
  messaging_service_sid?: string;
  /** Caller id for voice; defaults to `from` when that is an E.164 number. */
  voice_from?: string;
  /** Public URL of /hooks/<name>; Twilio posts statuses there and signs with it. */
  status_callback?: string;
  /** Twilio <Say> voice, e.g. "Polly.Joanna"; a message's voice.voiceId wins. */
  voice?: string;
  channels?: Channel[];
  base_url?: string;
  timeout_ms?: number;
}

const SMS_STATUS: Record<string, ReceiptOutcome> = {
  accepted: 'enroute', scheduled: 'enroute', queued: 'enroute', sending: 'enroute', sent: 'enroute',
  delivered: 'delivered', read: 'delivered', undelivered: 'undelivered', failed: 'undelivered', canceled: 'undelivered',
};
const CALL_STATUS: Record<string, ReceiptOutcome> = {
  queued: 'enroute', initiated: 'enroute', ringing: 'enroute', 'in-progress': 'enroute',
  completed: 'delivered', busy: 'busy', 'no-answer': 'no_answer', failed: 'undelivered', canceled: 'undelivered',
};

export const createTwilioProvider: ProviderFactory<TwilioConfig> = (name, config) => new TwilioProvider(name, config);

class TwilioProvider implements Provider {
  readonly kind = 'twilio';
  readonly channels: readonly Channel[];
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly auth: string;
  private readonly voiceFrom?: string;

  constructor(readonly name: string, private readonly config: TwilioConfig) {
    const sid = requireString(name, config, 'account_sid', 'is required: your Account SID ("AC…") from the Twilio console');
    if (!/^AC[0-9a-fA-F]{32}$/.test(sid)) throw new ProviderConfigError(name, 'account_sid', 'must look like "AC" followed by 32 hex digits (Twilio console → Account info)');
    requireString(name, config, 'auth_token', 'is required: the Auth Token paired with account_sid (Twilio console → Account info)');
    for (const f of ['from', 'messaging_service_sid', 'voice_from', 'status_callback', 'voice'] as const) optionalString(name, config, f);
    this.voiceFrom = config.voice_from ?? (config.from && /^\+\d{6,15}$/.test(config.from) ? config.from : undefined);
    this.channels = channelsOf(name, config.channels, {
      sms: config.from || config.messaging_service_sid ? undefined : 'neither from nor messaging_service_sid is set; set one of them',
      voice: this.voiceFrom ? undefined : 'no caller id: set voice_from (or from) to a Twilio phone number in E.164',
    });
    this.base = baseUrlOf(name, config, TWILIO_BASE_URL);
    this.timeoutMs = timeoutOf(name, config);
    this.auth = 'Basic ' + Buffer.from(`${config.account_sid}:${config.auth_token}`).toString('base64');
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.channels.includes(msg.channel)) throw unsupportedChannel(this.name, msg.channel, this.channels);
    const form = new URLSearchParams({ To: msg.to });
    let resource: string;
    if (msg.channel === 'sms') {
      resource = 'Messages';
      const from = msg.from ?? this.config.from;
      if (from) form.set('From', from);
      else form.set('MessagingServiceSid', this.config.messaging_service_sid!);
      form.set('Body', msg.text);
    } else {
      resource = 'Calls';
      form.set('From', msg.from && /^\+\d+$/.test(msg.from) ? msg.from : this.voiceFrom!);
      const voice = msg.voice?.voiceId ?? this.config.voice;
      const attrs = `language="${xmlEscape(ttsLanguage(msg.locale))}"` + (voice ? ` voice="${xmlEscape(voice)}"` : '');
      form.set('Twiml', `<Response><Say ${attrs}>${xmlEscape(msg.text)}</Say></Response>`);
    }
    if (this.config.status_callback) form.set('StatusCallback', this.config.status_callback);
    const url = `${this.base}/2010-04-01/Accounts/${encodeURIComponent(this.config.account_sid)}/${resource}.json`;
    const res = await httpRequest(this.name, url, { headers: { authorization: this.auth }, body: form, timeoutMs: this.timeoutMs });
    const body = (res.json ?? {}) as { sid?: string; code?: number; message?: string };
    if (res.status < 200 || res.status >= 300) throw httpError(this.name, res.status, body.code, body.message);
    if (typeof body.sid !== 'string') throw badResponse(this.name, `HTTP ${res.status} without a sid`);
    return { providerMessageId: body.sid };
  }

  async handleCallback(req: CallbackRequest): Promise<Receipt[]> {
    this.verify(req);
    const f = fieldsOf(req);
    const at = new Date();
    if (f.CallSid && f.CallStatus) {
      const outcome = CALL_STATUS[f.CallStatus];
      if (!outcome) return [];
      const billSec = f.CallDuration !== undefined ? Number(f.CallDuration) : undefined;
      return [{
        provider: this.name, providerMessageId: f.CallSid, outcome, at,
        ...(outcome !== 'delivered' && outcome !== 'enroute' ? { errorCode: f.CallStatus } : {}),
        ...(billSec !== undefined && Number.isFinite(billSec) ? { billSec } : {}),
      }];
    }
    const id = f.MessageSid ?? f.SmsSid;
    const status = f.MessageStatus ?? f.SmsStatus;
    const outcome = status ? SMS_STATUS[status] : undefined;
    if (!id || !outcome) return [];
    const errorCode = outcome === 'undelivered' ? (f.ErrorCode ? `${status}:${f.ErrorCode}` : status) : undefined;
    return [{ provider: this.name, providerMessageId: id, outcome, at, ...(errorCode ? { errorCode } : {}) }];
  }

  /**
   * Twilio's scheme: URL + POST params sorted by name, each name immediately followed by its value.
   * Twilio signs some callbacks over the URL with its port and some without, so, as its own
   * validators do (twilio-node webhooks.ts validateRequest: addPort/removePort), a signature
   * over either spelling is accepted.
   */
  private verify(req: CallbackRequest): void {
    const given = headerOf(req, 'x-twilio-signature');
    if (!given) throw badSignature(this.name, 'no X-Twilio-Signature header');
    // Query parameters are already part of the URL; only a POST's form fields are appended.
    const params = req.method.toUpperCase() === 'POST' ? fieldsOf({ ...req, query: {} }) : {};
    const tail = Object.keys(params).sort().map((k) => k + params[k]).join('');
    const ok = urlSpellings(req.url).some((url) => safeEqual(given, hmac('sha1', this.config.auth_token, url + tail).toString('base64')));
    if (!ok) throw badSignature(this.name, 'X-Twilio-Signature does not match (check auth_token and that the public URL Twilio calls is the one the hook sees)');
  }
}

/**
 * The spellings of one URL a carrier may have signed: as seen, with its port (the scheme's default
 * written out when none is: ":443", ":80") and without any port. "https://h:8443/p" →
 * ["https://h:8443/p", "https://h/p"]; "https://h/p" → ["https://h/p", "https://h:443/p"].
 */
export function urlSpellings(url: string): string[] {
  const m = /^(https?:\/\/)([^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)(:\d*)?(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, user = '', host, port, rest] = m;
  const standard = scheme.toLowerCase().startsWith('https') ? ':443' : ':80';
  const withPort = `${scheme}${user}${host}${port && port !== ':' ? port : standard}${rest}`;
  const withoutPort = `${scheme}${user}${host}${rest}`;
  return [...new Set([url, withPort, withoutPort])];
}
