/**
 * TingTing (Nepal) as a carrier, so otpgate can front the vendor it replaces: its send-OTP endpoint
 * delivers one code by SMS ("text") or by a voice call ("voice").
 * POST {base}/api/v1/auths/send/otp/ with `Authorization: Bearer <token>` and JSON
 *   { number: "98XXXXXXXX", message: "… {otp} …", sms_send_options: "text"|"voice",
 *     otp_options: "personnel", otp: "123456", voice_input?: "np_rija" }
 * TingTing substitutes {otp} itself, so the code found in our rendered text is replaced by the
 * placeholder and sent as `otp` (what the recipient gets is exactly our text).
 * Success: { status: 200, success: true, message: "OTP Sent Successfully.", errors: [], data: { details: {…} } }.
 * Docs: https://apidocs.tingting.com.np/api/otp
 *
 * TingTing reports no delivery: messages stay "sent" (enroute), so there is no handleCallback.
 */
import { baseUrlOf, channelsOf, codePatternOf, dig, findCode, httpError, httpRequest, nationalNumber, optionalString, requireString, timeoutOf, unsupportedChannel } from './http-util.ts';
import { ProviderConfigError, type Channel, type OutboundMessage, type Provider, type ProviderFactory, type SendResult } from './types.ts';

export const TINGTING_BASE_URL = 'https://app.tingting.io';
export const TINGTING_VOICES = ['np_rija', 'np_prashanna', 'np_shreegya', 'np_binod'] as const;

export interface TingtingConfig {
  /** API token from the TingTing dashboard (sent as Bearer). */
  token: string;
  /** Voice for calls (np_rija, np_prashanna, np_shreegya, np_binod); a message's voice.voiceId wins. Default np_rija. */
  voice_input?: string;
  /** Sent as company_name when set (older TingTing API versions require it). */
  company_name?: string;
  /** Regex finding the code in the text (default: the first 4–10 digit run, spaces allowed between digits). */
  code_pattern?: string;
  channels?: Channel[];
  base_url?: string;
  timeout_ms?: number;
}

interface TingTingAnswer {
  status?: number;
  success?: boolean;
  message?: string;
  errors?: unknown;
  data?: unknown;
}

export const createTingtingProvider: ProviderFactory<TingtingConfig> = (name, config) => new TingtingProvider(name, config);

class TingtingProvider implements Provider {
  readonly kind = 'tingting';
  readonly channels: readonly Channel[];
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly codePattern?: RegExp;

  constructor(readonly name: string, private readonly config: TingtingConfig) {
    requireString(name, config, 'token', 'is required: the API token from the TingTing dashboard');
    optionalString(name, config, 'company_name');
    const voice = optionalString(name, config, 'voice_input');
    if (voice !== undefined && !(TINGTING_VOICES as readonly string[]).includes(voice)) {
      throw new ProviderConfigError(name, 'voice_input', `must be one of ${TINGTING_VOICES.join(', ')}`);
    }
    this.codePattern = codePatternOf(name, config);
    this.channels = channelsOf(name, config.channels, { sms: undefined, voice: undefined });
    this.url = `${baseUrlOf(name, config, TINGTING_BASE_URL)}/api/v1/auths/send/otp/`;
    this.timeoutMs = timeoutOf(name, config);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (!this.channels.includes(msg.channel)) throw unsupportedChannel(this.name, msg.channel, this.channels);
    const number = nationalNumber(this.name, msg.to, 'NP');
    const { code, match } = findCode(this.name, msg.text, this.codePattern, msg.code);
    const body: Record<string, string> = {
      number,
      message: msg.text.split(match).join('{otp}'),
      sms_send_options: msg.channel === 'sms' ? 'text' : 'voice',
      otp_options: 'personnel',
      otp: code,
    };
    if (msg.channel === 'voice') body.voice_input = msg.voice?.voiceId ?? this.config.voice_input ?? 'np_rija';
    if (this.config.company_name) body.company_name = this.config.company_name;
    const res = await httpRequest(this.name, this.url, { headers: { authorization: `Bearer ${this.config.token}` }, body, timeoutMs: this.timeoutMs });
    const json = (res.json ?? {}) as TingTingAnswer;
    const ok = res.status >= 200 && res.status < 300 && json.success === true;
    if (!ok) {
      const status = res.status >= 200 && res.status < 300 ? Number(json.status ?? 400) : res.status;
      throw httpError(this.name, status, String(json.status ?? res.status), describe(json));
    }
    const id = dig(json.data, 'details.id') ?? dig(json.data, 'id');
    // TingTing returns no message id in its documented answer; ours keeps logs joinable.
    return { providerMessageId: id !== undefined && id !== null ? String(id) : msg.id };
  }
}

function describe(json: TingTingAnswer): string | undefined {
  const errors = json.errors && (Array.isArray(json.errors) ? json.errors.length > 0 : Object.keys(json.errors).length > 0)
    ? ` ${JSON.stringify(json.errors)}` : '';
  return json.message || errors ? `${json.message ?? ''}${errors}`.trim() : undefined;
}

