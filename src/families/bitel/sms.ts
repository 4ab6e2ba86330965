/**
 * Plain SMS and SMS status: POST /api/v1/sms/single → {requestId}, POST /api/v2/sms/single → the
 * SMS object (so a Bitel user's non-OTP alerts keep working); GET /api/v1/sms/detail/single/:id
 * and GET /api/v2/sms/status/:id for any SMS of the account (OTP or single).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Gateway } from '../../gateway.ts';
import type { Principal } from '../../http/auth.ts';
import { bindCaseInsensitive, principal } from './binding.ts';
import { ok } from './envelope.ts';
import { findMessage, sentText, smsDetailV1, smsObject, smsStatusV2 } from './present.ts';
import * as S from './schemas.ts';

const security = [{ bearer: [] }];
const PERSIAN = /[\u0600-\u06ff]/;

export function smsRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const single = ({ account, key }: Principal, b: S.SingleBody) =>
    gw.verify.sendText({
      account,
      apiKeyId: key.id,
      family: 'bitel',
      to: b.phoneNumber,
      text: b.message,
      from: b.gatewayNumber,
      locale: PERSIAN.test(b.message) ? 'fa' : 'en',
      defaultRegion: 'IR',
    });

  r.post(
    '/api/v1/sms/single',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v1: send one SMS; result is {requestId}',
        security,
        body: S.SingleBody,
        response: { 200: S.Ok(S.RequestIdObject), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.SingleBody),
    },
    async (req) => {
      const m = await single(principal(req), req.body);
      return ok({ requestId: m.id });
    },
  );

  r.post(
    '/api/v2/sms/single',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v2: send one SMS; result is the SMS object',
        security,
        body: S.SingleBody,
        response: { 200: S.Ok(S.SmsObject), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.SingleBody),
    },
    async (req) => {
      const m = await single(principal(req), req.body);
      return ok(smsObject(m, m.body));
    },
  );

  r.get(
    '/api/v1/sms/detail/single/:requestId',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v1: an SMS request with its delivery status and cost (Toman)',
        security,
        params: S.IdParams,
        response: { 200: S.Ok(S.SmsDetailV1), ...S.errors },
      },
    },
    async (req) => {
      const m = await findMessage(gw, principal(req).account.id, req.params.requestId, 'sms');
      return ok(smsDetailV1(m, await sentText(gw, m)));
    },
  );

  r.get(
    '/api/v2/sms/status/:requestId',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v2: an SMS request with its status and price (negative Toman)',
        security,
        params: S.IdParams,
        response: { 200: S.Ok(S.SmsStatusV2), ...S.errors },
      },
    },
    async (req) => {
      const m = await findMessage(gw, principal(req).account.id, req.params.requestId, 'sms');
      return ok(smsStatusV2(m, await sentText(gw, m)));
    },
  );
}
