/**
 * otpgate rows → Twilio's JSON. Sids are a two-letter prefix and otpgate's 32-hex id (Twilio's
 * sids are prefix + 32 hex): VA a Service, VE a verification, VL a send attempt (a message).
 * Times are ISO 8601 in UTC without milliseconds, as Twilio writes them.
 */
import type { Message, TwilioService, Verification } from '../../store/schema.ts';
import type { ServiceOut, VerificationOut } from './schemas.ts';

/** The Service settings Twilio echoes (stored as JSON in twilio_services.settings). */
export interface ServiceSettings {
  lookup_enabled: boolean;
  skip_sms_to_landlines: boolean;
  dtmf_input_required: boolean;
  tts_name: string | null;
  psd2_enabled: boolean;
  do_not_share_warning_enabled: boolean;
  custom_code_enabled: boolean;
  default_template_sid: string | null;
  verify_event_subscription_enabled: boolean;
}

export const DEFAULT_SETTINGS: ServiceSettings = {
  lookup_enabled: false,
  skip_sms_to_landlines: false,
  dtmf_input_required: true,
  tts_name: null,
  psd2_enabled: false,
  do_not_share_warning_enabled: false,
  // Twilio's default: custom codes must be enabled for an account by Twilio support.
  custom_code_enabled: false,
  default_template_sid: null,
  verify_event_subscription_enabled: false,
};

export function settingsOf(s: TwilioService): ServiceSettings {
  return { ...DEFAULT_SETTINGS, ...(JSON.parse(s.settings) as Partial<ServiceSettings>) };
}

export const twilioTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What a verification row carries of the Twilio family (in verifications.meta). */
export interface TwilioMeta {
  service_sid: string;
  account_sid: string;
  device_ip?: string;
  rate_limits?: Record<string, unknown>;
  app_hash?: string;
}

export function twilioMeta(v: Pick<Verification, 'meta'>): TwilioMeta | undefined {
  if (!v.meta) return undefined;
  try {
    const m = JSON.parse(v.meta) as { twilio?: TwilioMeta };
    return m.twilio && typeof m.twilio.service_sid === 'string' ? m.twilio : undefined;
  } catch {
    return undefined;
  }
}

export const verificationSid = (id: string) => `VE${id}`;
export const channelName = (c: string) => (c === 'voice' ? 'call' : 'sms');

export function presentService(s: TwilioService, base: string): ServiceOut {
  const url = `${base}/v2/Services/${s.sid}`;
  return {
    sid: s.sid,
    account_sid: s.account_sid,
    friendly_name: s.friendly_name,
    code_length: s.code_length,
    ...settingsOf(s),
    push: { include_date: false, apn_credential_sid: null, fcm_credential_sid: null },
    totp: { issuer: s.friendly_name, time_step: 30, code_length: 6, skew: 1 },
    whatsapp: { msg_service_sid: null, from: null },
    passkeys: null,
    date_created: twilioTime(s.created_at),
    date_updated: twilioTime(s.updated_at),
    url,
    links: {
      verification_checks: `${url}/VerificationCheck`,
      verifications: `${url}/Verifications`,
      rate_limits: `${url}/RateLimits`,
      messaging_configurations: `${url}/MessagingConfigurations`,
      entities: `${url}/Entities`,
      webhooks: `${url}/Webhooks`,
      access_tokens: `${url}/AccessTokens`,
    },
  };
}

/** A verification as Twilio shows it; `messages` are its sends, oldest first. */
export function presentVerification(v: Verification, meta: TwilioMeta, messages: Message[], base: string): VerificationOut {
  const last = messages.at(-1);
  return {
    sid: verificationSid(v.id),
    service_sid: meta.service_sid,
    account_sid: meta.account_sid,
    to: v.to_number,
    channel: channelName(last?.channel ?? v.channel),
    status: v.status,
    valid: v.status === 'approved',
    lookup: { carrier: null },
    amount: null,
    payee: null,
    send_code_attempts: messages.map((m) => ({ attempt_sid: `VL${m.id}`, channel: channelName(m.channel), time: twilioTime(m.created_at) })),
    date_created: twilioTime(v.created_at),
    date_updated: twilioTime(v.updated_at),
    sna: null,
    url: `${base}/v2/Services/${meta.service_sid}/Verifications/${verificationSid(v.id)}`,
  };
}
