/**
 * Verifications and checks of the Twilio Verify v2 family, translated onto the native core:
 *   POST /v2/Services/{ServiceSid}/Verifications          create (a second create to a pending To
 *                                                          resends the same code: the core's rule, Twilio's too)
 *   GET  /v2/Services/{ServiceSid}/Verifications/{Sid}    fetch
 *   POST /v2/Services/{ServiceSid}/Verifications/{Sid}    Status=canceled|approved
 *   POST /v2/Services/{ServiceSid}/VerificationCheck      Code with To or VerificationSid
 * A verification belongs to the Service it was created under (verifications.meta.twilio); under
 * another Service it is not found (20404), as in Twilio.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isLocale, renderSms } from '../../core/templates.ts';
import type { Gateway } from '../../gateway.ts';
import type { Account, Verification } from '../../store/schema.ts';
import { messagesOfVerification } from '../../store/vendors.ts';
import { latestFor } from '../../store/verifications.ts';
import { invalidParameter, resourceNotFound, TwilioError } from './errors.ts';
import { channelName, presentVerification, type TwilioMeta, settingsOf, twilioMeta, twilioTime, verificationSid } from './present.ts';
import { baseUrl, principal } from './principal.ts';
import { serviceOr404 } from './services.ts';
import * as S from './schemas.ts';

const tags = ['twilio'];
const security = [{ basic: [] }];
const ServiceParams = Type.Object({ ServiceSid: S.ServiceSid });
const VerificationParams = Type.Object({ ServiceSid: S.ServiceSid, Sid: S.VerificationSid });

/** Twilio's sentence when DoNotShareWarningEnabled (twilio.com/docs/verify/api/service). */
const DO_NOT_SHARE = "Don't share this code with anyone; our employees will never ask for the code.";

const CHANNELS: Record<string, 'sms' | 'voice'> = { sms: 'sms', call: 'voice' };

function parseRateLimits(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidParameter('RateLimits', 'it is not JSON; send an object like {"end_user_ip_address":"203.0.113.7"}', 'invalid_json');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string' && typeof x !== 'number'))
    throw invalidParameter('RateLimits', 'send a JSON object whose values are strings or numbers');
  return v as Record<string, unknown>;
}

export function verificationRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { verify } = gw.config;

  /** The verification of this Service, as it is now, or 20404. */
  async function find(account: Account, serviceSid: string, sid: string): Promise<{ v: Verification; meta: TwilioMeta }> {
    const notFound = resourceNotFound(`/Services/${serviceSid}/Verifications/${sid}`);
    let v: Verification;
    try {
      v = await gw.verify.get(account, sid.slice(2));
    } catch {
      throw notFound;
    }
    const meta = twilioMeta(v);
    if (!meta || meta.service_sid !== serviceSid) throw notFound;
    return { v, meta };
  }

  const present = async (account: Account, v: Verification, meta: TwilioMeta, base: string) =>
    presentVerification(v, meta, await messagesOfVerification(gw.store.db, account.id, v.id), base);

  r.post(
    '/v2/Services/:ServiceSid/Verifications',
    {
      schema: {
        tags,
        security,
        summary: 'Twilio Verify v2: start a verification (sms or call); to a number with one pending, the same code is sent again',
        params: ServiceParams,
        body: S.VerificationCreateBody,
        response: { 201: S.VerificationOut, ...S.errors },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const service = await serviceOr404(gw, p.account.id, req.params.ServiceSid);
      const settings = settingsOf(service);
      const b = req.body;
      const channel = Object.hasOwn(CHANNELS, b.Channel) ? CHANNELS[b.Channel] : undefined;
      if (!channel) throw invalidParameter('Channel', `"${b.Channel}" is not a channel otpgate sends; use sms or call`);
      if (b.CustomCode !== undefined && !settings.custom_code_enabled)
        throw new TwilioError(400, 60204, 'Service does not support this feature: CustomCode; update the Service with CustomCodeEnabled=true', 'custom_code_disabled');
      const meta: TwilioMeta = {
        service_sid: service.sid,
        account_sid: service.account_sid,
        ...(b.DeviceIp ? { device_ip: b.DeviceIp } : {}),
        ...(b.RateLimits !== undefined ? { rate_limits: parseRateLimits(b.RateLimits) } : {}),
        ...(b.AppHash ? { app_hash: b.AppHash } : {}),
      };
      const appName = b.CustomFriendlyName ?? service.friendly_name;
      const base = (b.Locale ?? verify.default_locale).toLowerCase().split(/[-_]/)[0];
      const extra = [settings.do_not_share_warning_enabled ? DO_NOT_SHARE : undefined, b.AppHash].filter((x): x is string => !!x);
      // The core renders (and validates the locale) first; only the SMS gains the sentence and the hash.
      const render =
        channel === 'sms' && extra.length > 0
          ? (code: string) => [renderSms({ locale: isLocale(base) ? base : 'en', code, appName, minutes: Math.round(verify.ttl_seconds / 60) }), ...extra].join('\n')
          : undefined;
      const res = await gw.verify.send({
        account: p.account,
        family: 'twilio',
        to: b.To,
        channel,
        locale: b.Locale,
        codeLength: service.code_length,
        code: b.CustomCode,
        appName,
        render,
        meta: { twilio: meta },
      });
      // A resend answers with the verification it resent (created under its own Service).
      const shown = twilioMeta(res.verification) ?? meta;
      return reply.status(201).send(await present(p.account, res.verification, shown, baseUrl(req, gw.config.public_url)));
    },
  );

  r.get(
    '/v2/Services/:ServiceSid/Verifications/:Sid',
    { schema: { tags, security, summary: 'Twilio Verify v2: fetch a verification', params: VerificationParams, response: { 200: S.VerificationOut, ...S.errors } } },
    async (req) => {
      const p = principal(req);
      await serviceOr404(gw, p.account.id, req.params.ServiceSid);
      const { v, meta } = await find(p.account, req.params.ServiceSid, req.params.Sid);
      return present(p.account, v, meta, baseUrl(req, gw.config.public_url));
    },
  );

  r.post(
    '/v2/Services/:ServiceSid/Verifications/:Sid',
    {
      schema: {
        tags,
        security,
        summary: 'Twilio Verify v2: cancel or approve a pending verification (Status=canceled|approved)',
        params: VerificationParams,
        body: S.VerificationUpdateBody,
        response: { 200: S.VerificationOut, ...S.errors },
      },
    },
    async (req) => {
      const p = principal(req);
      await serviceOr404(gw, p.account.id, req.params.ServiceSid);
      const { v, meta } = await find(p.account, req.params.ServiceSid, req.params.Sid);
      const closed = await gw.verify.cancel(p.account, v.id, req.body.Status);
      return present(p.account, closed, meta, baseUrl(req, gw.config.public_url));
    },
  );

  r.post(
    '/v2/Services/:ServiceSid/VerificationCheck',
    {
      schema: {
        tags,
        security,
        summary: 'Twilio Verify v2: check a code (by To or VerificationSid); a wrong code answers status pending, valid false',
        params: ServiceParams,
        body: S.CheckBody,
        response: { 200: S.CheckOut, ...S.errors },
      },
    },
    async (req) => {
      const p = principal(req);
      const serviceSid = req.params.ServiceSid;
      await serviceOr404(gw, p.account.id, serviceSid);
      const b = req.body;
      let target: { v: Verification; meta: TwilioMeta };
      if (b.VerificationSid) target = await find(p.account, serviceSid, b.VerificationSid);
      else if (b.To) {
        const to = gw.verify.normalize(b.To, p.account.default_region, 'voice');
        const v = await latestFor(gw.store.db, p.account.id, to);
        const meta = v && twilioMeta(v);
        if (!v || !meta || meta.service_sid !== serviceSid) throw resourceNotFound(`/Services/${serviceSid}/VerificationCheck`);
        target = { v, meta };
      } else throw invalidParameter('To', 'send To (the number) or VerificationSid (VE…) with the Code', 'missing_field');
      const res = await gw.verify.check(p.account, { id: target.v.id, code: b.Code });
      const v = res.verification;
      return {
        sid: verificationSid(v.id),
        service_sid: target.meta.service_sid,
        account_sid: target.meta.account_sid,
        to: v.to_number,
        channel: channelName(v.channel),
        status: v.status,
        valid: res.valid,
        amount: null,
        payee: null,
        date_created: twilioTime(v.created_at),
        date_updated: twilioTime(v.updated_at),
        sna_attempts_error_codes: [],
      };
    },
  );
}
