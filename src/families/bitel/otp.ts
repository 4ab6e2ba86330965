/**
 * OTP SMS: POST /api/v1/sms/otp → the request id; POST /api/v2/sms/otp ("high priority") → the
 * SMS object. The text is Bitel's fixed Persian template with appName and code; the caller's code
 * is the code, recorded as a verification so native check, status and webhooks work on it.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Gateway } from '../../gateway.ts';
import type { Principal } from '../../http/auth.ts';
import { unmaskCode } from '../../verify/codemask.ts';
import { bindCaseInsensitive, principal } from './binding.ts';
import { ok } from './envelope.ts';
import { smsObject } from './present.ts';
import * as S from './schemas.ts';

/**
 * Bitel's template, byte for byte (UCS-2): "به {appName} خوش آمدید", a newline, then
 * " کد یکبار مصرف  شما: {code}" with its leading space and the double space before "شما".
 */
export function otpText(appName: string, code: string): string {
  return `به ${appName} خوش آمدید\n کد یکبار مصرف  شما: ${code}`;
}

const security = [{ bearer: [] }];

export function otpRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const send = ({ account, key }: Principal, b: S.OtpBody, version: 1 | 2) =>
    gw.verify.send({
      account,
      apiKeyId: key.id,
      family: 'bitel',
      to: b.phoneNumber,
      channel: 'sms',
      code: b.code,
      appName: b.appName,
      locale: 'fa',
      defaultRegion: 'IR',
      render: (code) => otpText(b.appName, code),
      meta: { api: `v${version}`, priority: version === 2 ? 'high' : 'normal' },
    });

  r.post(
    '/api/v1/sms/otp',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v1: send an OTP SMS with the fixed Persian template; result is the request id',
        security,
        body: S.OtpBody,
        response: { 200: S.Ok(S.IdString), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.OtpBody),
    },
    async (req) => {
      const res = await send(principal(req), req.body, 1);
      return ok(res.message.id);
    },
  );

  r.post(
    '/api/v2/sms/otp',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v2: send a high-priority OTP SMS; result is the SMS object',
        security,
        body: S.OtpBody,
        response: { 200: S.Ok(S.SmsObject), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.OtpBody),
    },
    async (req) => {
      const res = await send(principal(req), req.body, 2);
      return ok(smsObject(res.message, unmaskCode(res.message.body, res.code)));
    },
  );
}
