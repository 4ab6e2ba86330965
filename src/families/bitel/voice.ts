/**
 * Voice OTP: POST /api/v1/voice/otp → the request id, POST /api/v2/voice/otp → the call object;
 * GET /api/v2/voice/status/:id and GET /api/v1/voice/cdr/:id. The call speaks the code in
 * Persian, digit by digit, repeatCount times (the core's Persian voice script); retryCount is
 * the re-dials the dispatcher places when a call ends unanswered or busy.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Gateway } from '../../gateway.ts';
import type { Principal } from '../../http/auth.ts';
import { bindCaseInsensitive, principal } from './binding.ts';
import { ok } from './envelope.ts';
import { callObject, cdrV1, findMessage } from './present.ts';
import * as S from './schemas.ts';

const security = [{ bearer: [] }];

const count = (v: number | string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

export function voiceRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const call = ({ account, key }: Principal, b: S.VoiceOtpBody, version: 1 | 2) =>
    gw.verify.send({
      account,
      apiKeyId: key.id,
      family: 'bitel',
      to: b.phoneNumber,
      channel: 'voice',
      code: b.text,
      locale: 'fa',
      supersede: true,
      defaultRegion: 'IR',
      voice: {
        repeat: count(b.repeatCount, 2),
        retries: count(b.retryCount, 1),
        ...(b.voiceId !== undefined ? { voiceId: b.voiceId } : {}),
      },
      meta: { api: `v${version}`, ...(b.serverId !== undefined ? { serverId: String(b.serverId) } : {}) },
    });

  r.post(
    '/api/v1/voice/otp',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v1: call a number and read a numeric code; result is the request id',
        security,
        body: S.VoiceOtpBody,
        response: { 200: S.Ok(S.IdString), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.VoiceOtpBody, ['text']),
    },
    async (req) => ok((await call(principal(req), req.body, 1)).message.id),
  );

  r.post(
    '/api/v2/voice/otp',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v2: call a number and read a numeric code; result is the call object',
        security,
        body: S.VoiceOtpBody,
        response: { 200: S.Ok(S.CallObject), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.VoiceOtpBody, ['text']),
    },
    async (req) => ok(callObject((await call(principal(req), req.body, 2)).message)),
  );

  r.get(
    '/api/v2/voice/status/:requestId',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v2: a call with its status, duration and price (negative Toman)',
        security,
        params: S.IdParams,
        response: { 200: S.Ok(S.CallObject), ...S.errors },
      },
    },
    async (req) => ok(callObject(await findMessage(gw, principal(req).account.id, req.params.requestId, 'voice'))),
  );

  r.get(
    '/api/v1/voice/cdr/:requestId',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v1: the call detail record of a request',
        security,
        params: S.IdParams,
        response: { 200: S.Ok(S.CdrV1), ...S.errors },
      },
    },
    async (req) => {
      const m = await findMessage(gw, principal(req).account.id, req.params.requestId, 'voice');
      // Bitel's transactionId is its charge; ours is the ledger row that debited this call.
      const charge = await gw.store.db
        .selectFrom('ledger')
        .select('id')
        .where('message_id', '=', m.id)
        .where('reason', '=', 'message')
        .executeTakeFirst();
      return ok(cdrV1(m, Number(charge?.id ?? 0)));
    },
  );
}
