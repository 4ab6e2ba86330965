/**
 * Services: POST/GET /v2/Services, GET/POST/DELETE /v2/Services/{Sid}. A Service is otpgate's
 * per-application settings for the Twilio family: code length, friendly name (the app name in the
 * message), custom codes allowed or not, the do-not-share sentence; other settings are stored and
 * echoed. Pages as Twilio's: {services, meta{page, page_size, key, url, next_page_url, …}}.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { newId } from '../../core/ids.ts';
import type { Gateway } from '../../gateway.ts';
import type { TwilioService } from '../../store/schema.ts';
import { deleteService, getService, insertService, listServices, updateService } from '../../store/twilio-services.ts';
import { resourceNotFound } from './errors.ts';
import { DEFAULT_SETTINGS, type ServiceSettings, presentService, settingsOf } from './present.ts';
import { baseUrl, bool, principal } from './principal.ts';
import * as S from './schemas.ts';

const tags = ['twilio'];
const security = [{ basic: [] }];
const SidParams = Type.Object({ Sid: S.ServiceSid });

/** The settings a create or update body sets (absent fields keep `base`). */
function settingsFrom(b: S.ServiceUpdateBody, base: ServiceSettings): ServiceSettings {
  return {
    lookup_enabled: bool(b.LookupEnabled) ?? base.lookup_enabled,
    skip_sms_to_landlines: bool(b.SkipSmsToLandlines) ?? base.skip_sms_to_landlines,
    dtmf_input_required: bool(b.DtmfInputRequired) ?? base.dtmf_input_required,
    tts_name: b.TtsName ?? base.tts_name,
    psd2_enabled: bool(b.Psd2Enabled) ?? base.psd2_enabled,
    do_not_share_warning_enabled: bool(b.DoNotShareWarningEnabled) ?? base.do_not_share_warning_enabled,
    custom_code_enabled: bool(b.CustomCodeEnabled) ?? base.custom_code_enabled,
    default_template_sid: b.DefaultTemplateSid ?? base.default_template_sid,
    verify_event_subscription_enabled: bool(b.VerifyEventSubscriptionEnabled) ?? base.verify_event_subscription_enabled,
  };
}

/** The account's Service or Twilio's 20404. */
export async function serviceOr404(gw: Gateway, accountId: string, sid: string): Promise<TwilioService> {
  const s = await getService(gw.store.db, accountId, sid);
  if (!s) throw resourceNotFound(`/Services/${sid}`);
  return s;
}

export function serviceRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/v2/Services',
    { schema: { tags, security, summary: 'Twilio Verify v2: create a Service', body: S.ServiceCreateBody, response: { 201: S.ServiceOut, ...S.errors } } },
    async (req, reply) => {
      const p = principal(req);
      const now = gw.now();
      const row: TwilioService = {
        sid: `VA${newId()}`,
        account_id: p.account.id,
        account_sid: p.accountSid,
        friendly_name: req.body.FriendlyName,
        code_length: req.body.CodeLength ? Number(req.body.CodeLength) : gw.config.verify.code_length,
        settings: JSON.stringify(settingsFrom(req.body, DEFAULT_SETTINGS)),
        created_at: now,
        updated_at: now,
      };
      await insertService(gw.store.db, row);
      return reply.status(201).send(presentService(row, baseUrl(req, gw.config.public_url)));
    },
  );

  r.get(
    '/v2/Services',
    { schema: { tags, security, summary: 'Twilio Verify v2: list Services (pages of PageSize from Page 0)', querystring: S.PageQuery, response: { 200: S.ServicePage, ...S.errors } } },
    async (req) => {
      const p = principal(req);
      const size = Math.min(1000, Math.max(1, Number(req.query.PageSize ?? 50)));
      const page = Number(req.query.Page ?? 0);
      const rows = await listServices(gw.store.db, p.account.id, page * size, size + 1);
      const base = baseUrl(req, gw.config.public_url);
      const url = (n: number) => `${base}/v2/Services?PageSize=${size}&Page=${n}`;
      return {
        services: rows.slice(0, size).map((s) => presentService(s, base)),
        meta: {
          page,
          page_size: size,
          first_page_url: url(0),
          previous_page_url: page > 0 ? url(page - 1) : null,
          url: url(page),
          next_page_url: rows.length > size ? url(page + 1) : null,
          key: 'services',
        },
      };
    },
  );

  r.get(
    '/v2/Services/:Sid',
    { schema: { tags, security, summary: 'Twilio Verify v2: fetch a Service', params: SidParams, response: { 200: S.ServiceOut, ...S.errors } } },
    async (req) => presentService(await serviceOr404(gw, principal(req).account.id, req.params.Sid), baseUrl(req, gw.config.public_url)),
  );

  r.post(
    '/v2/Services/:Sid',
    { schema: { tags, security, summary: 'Twilio Verify v2: update a Service', params: SidParams, body: S.ServiceUpdateBody, response: { 200: S.ServiceOut, ...S.errors } } },
    async (req) => {
      const accountId = principal(req).account.id;
      const s = await serviceOr404(gw, accountId, req.params.Sid);
      const b = req.body;
      const patch = {
        friendly_name: b.FriendlyName ?? s.friendly_name,
        code_length: b.CodeLength ? Number(b.CodeLength) : s.code_length,
        settings: JSON.stringify(settingsFrom(b, settingsOf(s))),
        updated_at: gw.now(),
      };
      await updateService(gw.store.db, accountId, s.sid, patch);
      return presentService({ ...s, ...patch }, baseUrl(req, gw.config.public_url));
    },
  );

  r.delete(
    '/v2/Services/:Sid',
    { schema: { tags, security, summary: 'Twilio Verify v2: delete a Service (204)', params: SidParams, response: { 204: Type.Null(), ...S.errors } } },
    async (req, reply) => {
      if (!(await deleteService(gw.store.db, principal(req).account.id, req.params.Sid))) throw resourceNotFound(`/Services/${req.params.Sid}`);
      return reply.status(204).send(null);
    },
  );
}
