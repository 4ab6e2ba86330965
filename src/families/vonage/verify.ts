/**
 * Vonage Verify v2 requests, translated onto the native core:
 *   POST   /v2/verify                           → 202 {request_id}; 409 while the number has one in flight
 *   POST   /v2/verify/{request_id}              {code} → 200 {request_id, status: "completed"}
 *   DELETE /v2/verify/{request_id}              → 204 (cancel)
 *   POST   /v2/verify/{request_id}/next_workflow → 200; the next step's channel, same code
 * A workflow of several steps is otpgate's fallback: the next step goes out on next_workflow, or
 * after channel_timeout (./fallback.ts). Steps resend the verification's code on their channel
 * through the core, so its resend rules (cooldown, max sends) apply and answer 429.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isLocale, renderSms } from '../../core/templates.ts';
import type { Gateway } from '../../gateway.ts';
import type { Account, Verification } from '../../store/schema.ts';
import { pendingFor } from '../../store/verifications.ts';
import { conflict, invalidCode, invalidParams, requestNotFound, tooManyCodes } from './errors.ts';
import { principal } from './principal.ts';
import * as S from './schemas.ts';
import { DEFAULT_CHANNEL_TIMEOUT, nextStep, requestId, type StepLocks, verificationId, type VonageMeta, vonageMeta } from './workflow.ts';

const tags = ['vonage'];
const security: Array<Record<string, string[]>> = [{ bearer: [] }, { basic: [] }];

/** Sends step `i` of a Vonage workflow: the first creates the verification, later ones resend its code. */
export function sendStep(gw: Gateway, account: Account, meta: VonageMeta, i: number, first?: { code?: string; codeLength?: number; locale?: string }) {
  const step = meta.workflow[i];
  const base = (first?.locale ?? gw.config.verify.default_locale).toLowerCase().split('-')[0];
  const minutes = Math.round(gw.config.verify.ttl_seconds / 60);
  return gw.verify.send({
    account,
    family: 'vonage',
    to: step.to,
    channel: step.channel,
    from: step.from,
    locale: first?.locale,
    code: first?.code,
    codeLength: first?.codeLength,
    appName: meta.brand,
    render: step.channel === 'sms' && step.app_hash ? (code) => `${renderSms({ locale: isLocale(base) ? base : 'en', code, appName: meta.brand, minutes })}\n${step.app_hash}` : undefined,
    meta: { vonage: meta },
  });
}

export function verifyRoutes(app: FastifyInstance, gw: Gateway, locks: StepLocks): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  /** The account's Vonage request that is still pending, or Vonage's 404. */
  async function pending(account: Account, rid: string): Promise<{ v: Verification; meta: VonageMeta }> {
    let v: Verification;
    try {
      v = await gw.verify.get(account, verificationId(rid));
    } catch {
      throw requestNotFound(rid);
    }
    const meta = vonageMeta(v);
    if (!meta) throw requestNotFound(rid);
    if (v.status === 'max_attempts_reached') throw tooManyCodes();
    if (v.status !== 'pending') throw requestNotFound(rid);
    return { v, meta };
  }

  r.post(
    '/v2/verify',
    {
      schema: {
        tags,
        security,
        summary: 'Vonage Verify v2: start a verification (workflow of sms/voice steps to one number)',
        body: S.NewRequestBody,
        response: { 202: Type.Object({ request_id: Type.String() }), ...S.errors },
      },
    },
    async (req, reply) => {
      const { account } = principal(req);
      const b = req.body;
      const workflow = b.workflow.map((s, i) => {
        if (s.channel !== 'sms' && s.channel !== 'voice')
          throw invalidParams(`workflow[${i}].channel`, `"${s.channel}" is not a channel otpgate sends; use sms or voice`, 'unsupported_channel');
        // Vonage numbers are international without the '+' (14155550100): never a national number.
        return { ...s, channel: s.channel as 'sms' | 'voice', to: /^[0-9]{6,15}$/.test(s.to) ? `+${s.to}` : s.to };
      });
      const to = gw.verify.normalize(workflow[0].to, account.default_region, workflow[0].channel);
      workflow.forEach((s, i) => {
        if (i > 0 && gw.verify.normalize(s.to, account.default_region, s.channel) !== to)
          throw invalidParams(`workflow[${i}].to`, 'every step must go to the same number as workflow[0].to (otpgate falls back on one verification)', 'workflow_numbers_differ');
      });
      const inFlight = await pendingFor(gw.store.db, account.id, to, gw.now());
      if (inFlight) throw conflict('Concurrent verifications to the same number are not allowed.', 'verification_in_flight', requestId(inFlight.id));
      const meta: VonageMeta = {
        brand: b.brand,
        workflow,
        channel_timeout: b.channel_timeout ?? DEFAULT_CHANNEL_TIMEOUT,
        ...(b.client_ref !== undefined ? { client_ref: b.client_ref } : {}),
        ...(b.fraud_check !== undefined ? { fraud_check: b.fraud_check } : {}),
      };
      const res = await sendStep(gw, account, meta, 0, { code: b.code, codeLength: b.code_length ?? 4, locale: b.locale });
      return reply.status(202).send({ request_id: requestId(res.verification.id) });
    },
  );

  r.post(
    '/v2/verify/:request_id',
    {
      schema: {
        tags,
        security,
        summary: 'Vonage Verify v2: check a code; 400 Invalid Code when wrong, 410 after too many',
        params: S.RequestParams,
        body: S.CheckBody,
        response: { 200: Type.Object({ request_id: Type.String(), status: Type.String() }), 400: S.Problem, 410: S.Problem, ...S.errors },
      },
    },
    async (req) => {
      const { account } = principal(req);
      const { v } = await pending(account, req.params.request_id);
      const res = await gw.verify.check(account, { id: v.id, code: req.body.code });
      if (res.valid) return { request_id: requestId(v.id), status: 'completed' };
      throw res.attemptsLeft === 0 ? tooManyCodes() : invalidCode();
    },
  );

  r.delete(
    '/v2/verify/:request_id',
    { schema: { tags, security, summary: 'Vonage Verify v2: cancel a request (204)', params: S.RequestParams, response: { 204: Type.Null(), ...S.errors } } },
    async (req, reply) => {
      const { account } = principal(req);
      const { v } = await pending(account, req.params.request_id);
      await gw.verify.cancel(account, v.id);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/v2/verify/:request_id/next_workflow',
    {
      schema: {
        tags,
        security,
        summary: 'Vonage Verify v2: move to the next workflow step now (same code, the step\'s channel); 409 when none is left',
        params: S.RequestParams,
        response: { 200: Type.Object({}), ...S.errors },
      },
    },
    async (req) => {
      const { account } = principal(req);
      const rid = req.params.request_id;
      const sent = await locks.run(verificationId(rid), async () => {
        // Read under the lock: the step a concurrent sender just took is not taken again.
        const { v, meta } = await pending(account, rid);
        const i = nextStep(v, meta);
        if (i === undefined) throw conflict('There are no more workflows to execute for this request.', 'no_next_workflow');
        await sendStep(gw, account, meta, i);
        return true;
      });
      if (!sent) throw conflict('The next workflow step of this request is being sent now.', 'next_workflow_in_progress');
      return {};
    },
  );
}
