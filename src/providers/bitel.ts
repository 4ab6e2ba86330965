/**
 * Bitel (Iran) as a carrier, so otpgate can front the vendor it replaces.
 *   SMS:   POST {base}/api/v1/sms/single {message, phoneNumber: "0912…", gatewayNumber?}
 *   voice: POST {base}/api/v1/voice/otp {phoneNumber, text: "<digits>", repeatCount, voiceId?}
 * with `Authorization: Bearer <token>`; answers {result, error}: result {requestId} (SMS) or the
 * request id string (voice); on 4xx error is a code such as "InvalidPhoneNumber".
 * Docs: https://bitel.gitbook.io/bitel/master (API structure, Single SMS, OTP Call, Webhook events)
 *
 * Webhook on /hooks/<name> (one JSON POST per request, unsigned: set `callback_token` and add
 * ?token=<it> to the URL in the Bitel panel):
 *   SMS:   {requestId, batchId, deliveryStatus, smsCount, balanceSubtracted, requestDate}
 *          deliveryStatus 0 WAITING, 1 DELIVERED, 2 CHECK_OK, 4 DELIVERY_FAILED, 5 BLACKLIST, 9 ERROR, 10 CHECK_ERROR
 *   voice: {requestId, campaignId, cause, billSec, number, requestDate}
 *          cause 0 WAITING, 1 NORMAL, 2 NO_ANSWER, 3 USER_BUSY, 10 EXPIRED, 11 ERROR, 20 UNKNOWN
 */
import { badResponse, baseUrlOf, channelsOf, checkCallbackToken, codePatternOf, findCode, httpError, httpRequest, nationalNumber, optionalString, requireString, timeoutOf, unsupportedChannel } from './http-util.ts';
import { ProviderConfigError, ProviderError, type CallbackRequest, type Channel, type OutboundMessage, type Provider, type ProviderFactory, type Receipt, type ReceiptOutcome, type SendResult } from './types.ts';

export const BITEL_BASE_URL = 'https://api.bitel.rest';

export interface BitelConfig {
  /** API token of the Bitel project (sent as Bearer). */
  token: string;
  /** Dedicated gateway number for SMS; a message's `from` wins; unset uses Bitel's default line. */
  gateway_number?: string;
  /** Voice played before the digits; a message's voice.voiceId wins. */
  voice_id?: string;
  /** Times the digits are read when the message does not say (voice.repeat). Default 2. */
  repeat_count?: number;
  /** Regex finding the code in the voice script (default: the first 4–10 digit run). */
  code_pattern?: string;
  /** Shared secret expected as ?token= on the webhook URL. */
  callback_token?: string;
  channels?: Channel[];
  base_url?: string;
  timeout_ms?: number;
}

const ERRORS: Record<string, string> = {
  InvalidPhoneNumber: 'invalid_number', InvalidGateway: 'invalid_sender', InsufficientBalance: 'insufficient_credit',
  NotEnoughBalance: 'insufficient_credit', Unauthorized: 'auth_failed',
};
const SMS_STATUS: Record<string, [ReceiptOutcome, string]> = {
  '0': ['enroute', 'WAITING'], '1': ['delivered', 'DELIVERED'], '2': ['enroute', 'CHECK_OK'], '4': ['undelivered', 'DELIVERY_FAILED'],
  '5': ['undelivered', 'BLACKLIST'], '9': ['undelivered', 'ERROR'], '10': ['undelivered', 'CHECK_ERROR'],
};
const CALL_CAUSE: Record<string, [ReceiptOutcome, string]> = {
  '0': ['enroute', 'WAITING'], '1': ['delivered', 'NORMAL'], '2': ['undelivered', 'NO_ANSWER'], '3': ['undelivered', 'USER_BUSY'],
  '10': ['undelivered', 'EXPIRED'], '11': ['undelivered', 'ERROR'], '20': ['undelivered', 'UNKNOWN'],
};

export const createBitelProvider: ProviderFactory<BitelConfig> = (name, config) => new BitelProvider(name, config);

class BitelProvider implements Provider {
  readonly kind = 'bitel';
  readonly channels: readonly Channel[];
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly codePattern?: RegExp;

  constructor(readonly name: string, private readonly config: BitelConfig) {
    requireString(name, config, 'token', 'is required: the API token of your Bitel project (panel → API)');
    for (const f of ['gateway_number', 'voice_id', 'callback_token'] as const) optionalString(name, config, f);
    if (config.repeat_count !== undefined && !(Number.isInteger(config.repeat_count) && config.repeat_count >= 1 && config.repeat_count <= 5)) {
      throw new ProviderConfigError(name, 'repeat_count', 'must be an integer from 1 to 5 (default 2)');
    }
    this.codePattern = codePatternOf(name, config);
    this.channels = channelsOf(name, config.channels, { sms: undefined, voice: undefined });
    this.base = `${baseUrlOf(name, config, BITEL_BASE_URL)}/api/v1`;
    this.timeoutMs = timeoutOf(name, config);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.channels.includes(msg.channel)) throw unsupportedChannel(this.name, msg.channel, this.channels);
    const phoneNumber = nationalNumber(this.name, msg.to, 'IR', '0');
    let path: string;
    let body: Record<string, string>;
    if (msg.channel === 'sms') {
      path = '/sms/single';
      body = { message: msg.text, phoneNumber };
      const gateway = msg.from ?? this.config.gateway_number;
      if (gateway) body.gatewayNumber = gateway;
    } else {
      // Bitel's OTP call reads digits with its own recorded voice: it takes the code, not the script.
      path = '/voice/otp';
      body = { phoneNumber, text: findCode(this.name, msg.text, this.codePattern, msg.code).code, repeatCount: String(msg.voice?.repeat ?? this.config.repeat_count ?? 2) };
      const voiceId = msg.voice?.voiceId ?? this.config.voice_id;
      if (voiceId) body.voiceId = voiceId;
    }
    const res = await httpRequest(this.name, this.base + path, { headers: { authorization: `Bearer ${this.config.token}` }, body, timeoutMs: this.timeoutMs });
    const json = (res.json ?? {}) as { result?: unknown; error?: string | null };
    if (res.status < 200 || res.status >= 300 || json.error) {
      const status = res.status >= 200 && res.status < 300 ? 400 : res.status;
      const err = httpError(this.name, status, json.error ?? undefined, json.error ?? undefined);
      const code = json.error ? ERRORS[json.error] : undefined;
      throw code && !err.retryable ? new ProviderError(code, err.message, false, err.providerCode) : err;
    }
    const r = json.result as string | { requestId?: string; id?: string } | undefined;
    const id = typeof r === 'string' ? r : (r?.requestId ?? r?.id);
    if (!id) throw badResponse(this.name, `HTTP ${res.status} without a request id in result`);
    return { providerMessageId: String(id) };
  }

  async handleCallback(req: CallbackRequest): Promise<Receipt[]> {
    checkCallbackToken(this.name, req, this.config.callback_token);
    const events = Array.isArray(req.body) ? req.body : [req.body];
    const receipts: Receipt[] = [];
    for (const e of events as Array<Record<string, unknown> | null>) {
      if (!e || typeof e !== 'object' || e.requestId === undefined) continue;
      const isSms = e.deliveryStatus !== undefined;
      const table = isSms ? SMS_STATUS : CALL_CAUSE;
      const raw = String(isSms ? e.deliveryStatus : e.cause);
      // Numeric code or its string name ("DELIVERED", "NO_ANSWER"), as the docs show both.
      const hit = table[raw] ?? Object.values(table).find(([, label]) => label === raw.toUpperCase());
      if (!hit) continue;
      const [outcome, label] = hit;
      const billSec = !isSms && e.billSec !== undefined ? Number(e.billSec) : undefined;
      receipts.push({
        provider: this.name, providerMessageId: String(e.requestId), outcome, at: new Date(),
        ...(outcome === 'undelivered' ? { errorCode: label } : {}),
        ...(billSec !== undefined && Number.isFinite(billSec) ? { billSec } : {}),
      });
    }
    return receipts;
  }
}
