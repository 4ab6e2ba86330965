/**
 * OTP SMS: POST /api/v1/sms/otp → the request id; POST /api/v2/sms/otp ("high priority") → the
 * SMS object. Two request forms, on both versions:
 * - documented: `{phoneNumber, appName, code}`, Bitel's fixed Persian template;
 * - public PHP clients' (Guzzle): `{phoneNumber, message}`, the caller's own text sent as given;
 *   when one run of 4–10 digits (in any script's digits) stands in it, that is the code.
 * A code is recorded as a verification so native check, status and webhooks work on it. Every
 * request is a send of its code (Bitel callers pass theirs each time): a pending verification to
 * the same number is superseded, never refused by the native resend cooldown.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Gateway } from '../../gateway.ts';
import { digitRuns } from '../../core/text.ts';
import type { Principal } from '../../http/auth.ts';
import { unmaskCode } from '../../verify/codemask.ts';
import { bindCaseInsensitive, principal } from './binding.ts';
import { BitelError, ok } from './envelope.ts';
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
const PERSIAN = /[\u0600-\u06ff]/;

/** What an OTP request asks for: the fixed template with a code, or the caller's text (with the code found in it, if any). */
export type OtpForm = { kind: 'template'; appName: string; code: string } | { kind: 'text'; message: string; code?: string };

/**
 * The code of a caller's own text: its one distinct run of 4–10 digits of one script, as ASCII
 * ("کد فعال سازی شما:۱۲۳۴۵" → "12345"); undefined when there is none or more than one.
 */
export function codeInText(message: string): string | undefined {
  const found = new Set(digitRuns(message).filter((r) => r.ascii.length >= 4 && r.ascii.length <= 10).map((r) => r.ascii));
  return found.size === 1 ? [...found][0] : undefined;
}

export function otpForm(b: S.OtpBody): OtpForm {
  if (b.message !== undefined) return { kind: 'text', message: b.message, code: b.code ?? codeInText(b.message) };
  if (b.code !== undefined && b.appName !== undefined) return { kind: 'template', appName: b.appName, code: b.code };
  const missing = b.code === undefined && b.appName === undefined ? 'code and appName' : b.code === undefined ? 'code' : 'appName';
  throw new BitelError(400, 'InvalidRequest', `${missing} missing: send {phoneNumber, appName, code} for Bitel's template, or {phoneNumber, message} with your own text`);
}

export function otpRoutes(app: FastifyInstance, gw: Gateway): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  /** The stored message and the text it carries (code filled in). */
  const send = async ({ account, key }: Principal, b: S.OtpBody, version: 1 | 2) => {
    const form = otpForm(b);
    const meta = { api: `v${version}`, priority: version === 2 ? 'high' : 'normal', ...(form.kind === 'text' ? { form: 'message' } : {}) };
    if (form.kind === 'text' && form.code === undefined) {
      const message = await gw.verify.sendText({
        account,
        family: 'bitel',
        to: b.phoneNumber,
        text: form.message,
        locale: PERSIAN.test(form.message) ? 'fa' : 'en',
        defaultRegion: 'IR',
        meta,
        apiKeyId: key.id,
      });
      return { message, text: message.body };
    }
    const res = await gw.verify.send({
      account,
      apiKeyId: key.id,
      family: 'bitel',
      to: b.phoneNumber,
      channel: 'sms',
      code: form.code,
      appName: form.kind === 'template' ? form.appName : undefined,
      locale: form.kind === 'text' && !PERSIAN.test(form.message) ? 'en' : 'fa',
      defaultRegion: 'IR',
      supersede: true,
      render: (code) => (form.kind === 'template' ? otpText(form.appName, code) : form.message),
      meta,
    });
    return { message: res.message, text: unmaskCode(res.message.body, res.code) };
  };

  r.post(
    '/api/v1/sms/otp',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v1: send an OTP SMS (fixed Persian template, or your own text); result is the request id',
        security,
        body: S.OtpBody,
        response: { 200: S.Ok(S.IdString), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.OtpBody, ['code']),
    },
    async (req) => ok((await send(principal(req), req.body, 1)).message.id),
  );

  r.post(
    '/api/v2/sms/otp',
    {
      schema: {
        tags: ['bitel'],
        summary: 'Bitel v2: send a high-priority OTP SMS (fixed Persian template, or your own text); result is the SMS object',
        security,
        body: S.OtpBody,
        response: { 200: S.Ok(S.SmsObject), ...S.errors },
      },
      preValidation: bindCaseInsensitive(S.OtpBody, ['code']),
    },
    async (req) => {
      const { message, text } = await send(principal(req), req.body, 2);
      return ok(smsObject(message, text));
    },
  );
}
