/**
 * POST /api/system/send/otp/ (legacy) and /api/v1/auths/send/otp/ (current): one handler, a
 * thin translation onto VerifyService.send. The caller's message is rendered by this family
 * (SendRequest.render), so delivery status, webhooks, the dashboard and native check all work
 * on the verification it creates.
 *
 * The code in the text: "{otp}" (every occurrence; appended after a space when absent) becomes
 * - in an SMS: the plain code ("Hi your OTP is 12345"), which phones can autofill and which is
 *   what TingTing's own list of sent OTPs shows;
 * - in a call: the digits spaced ("1 2 3 4 5"), so text-to-speech reads them one by one;
 * - in details.message of the answer: the digits spaced, as TingTing's documents show.
 */
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { spaceDigits } from '../../core/templates.ts';
import type { Gateway } from '../../gateway.ts';
import { getAccount } from '../../store/accounts.ts';
import { VerifyError } from '../../verify/errors.ts';
import { creditPrices, creditsIn } from './credits.ts';
import { invalidFields, sendOk } from './envelope.ts';
import { principalOf } from './principal.ts';
import * as S from './schemas.ts';
import { DEFAULT_OTP_LENGTH, readSendBody, type SendInput } from './validate.ts';

export const SEND_PATHS = { legacy: '/api/system/send/otp/', v1: '/api/v1/auths/send/otp/' } as const;

const DEVANAGARI = /[\u0900-\u097F]/;

export function renderOtp(message: string, code: string): string {
  return message.includes('{otp}') ? message.split('{otp}').join(code) : `${message} ${code}`;
}

export async function sendRoutes(app: FastifyInstance, gw: Gateway): Promise<void> {
  const checkNumber = (n: string, voice: boolean): string | undefined => {
    try {
      const e164 = gw.verify.normalize(n, 'NP', voice ? 'voice' : 'sms');
      if (!e164.startsWith('+977')) return `TingTing delivers to Nepali numbers only; send a number like 9841234567 or +9779841234567 (got ${e164}).`;
      return undefined;
    } catch (err) {
      if (err instanceof VerifyError) return err.message;
      throw err;
    }
  };
  // The body goes through the DRF-style reader instead of Ajv (see validate.ts).
  const validatorCompiler: FastifySchemaCompiler<unknown> = ({ httpPart }) => (data: unknown) => {
    if (httpPart !== 'body') return { value: data };
    const r = readSendBody(data, checkNumber);
    return 'errors' in r ? { error: invalidFields(r.errors) } : { value: r.value };
  };

  for (const [generation, url] of Object.entries(SEND_PATHS)) {
    app.post(
      url,
      {
        validatorCompiler,
        schema: {
          tags: ['tingting'],
          summary: `Send an OTP by SMS or voice call (TingTing ${generation} path)`,
          deprecated: generation === 'legacy',
          security: [{ bearer: [] }],
          body: S.SendBody,
          response: { 200: S.SendOk, 400: S.ErrorEnvelope, 401: S.Detail401, 402: S.ErrorEnvelope, 429: S.ErrorEnvelope },
        },
      },
      async (req, reply) => {
        const { account } = principalOf(req);
        const b = req.body as SendInput;
        const voice = b.sms_send_options === 'voice';
        const res = await gw.verify.send({
          account,
          family: 'tingting',
          apiKeyId: principalOf(req).key.id,
          to: b.number,
          defaultRegion: 'NP',
          channel: voice ? 'voice' : 'sms',
          locale: voice || DEVANAGARI.test(b.message) ? 'ne' : 'en',
          code: b.otp_options === 'personnel' ? b.otp : undefined,
          codeLength: b.otp_length ?? DEFAULT_OTP_LENGTH,
          // Each request is a send of the code it names or a fresh one (TingTing has no resend):
          // a pending code to this number is replaced, so the second of two sends is answered.
          supersede: true,
          render: (code) => renderOtp(b.message, voice ? spaceDigits(code) : code),
          voice: voice ? { voiceId: b.voice_input } : undefined,
          meta: {
            otp_options: b.otp_options,
            sms_send_options: b.sms_send_options,
            message: b.message,
            ...(b.company_name !== undefined ? { company_name: b.company_name } : {}),
            ...(voice ? { voice_input: b.voice_input } : {}),
          },
        });
        const balance = (await getAccount(gw.store.db, account.id))?.balance ?? 0;
        const prices = creditPrices(gw.config.prices, { currency: account.currency, base: gw.config.pricing_currency, rates: gw.config.currency_rates });
        const details: Record<string, unknown> = {
          number: b.number,
          otp_options: b.otp_options,
          message: renderOtp(b.message, spaceDigits(res.code)),
          otp: res.code,
          sms_send_options: b.sms_send_options,
          credits_used: voice ? 1 : res.message.segments,
          remaining_sms_credits: creditsIn(balance, prices.sms),
          remaining_phone_credits: creditsIn(balance, prices.voice),
        };
        if (voice) Object.assign(details, { voice_input: b.voice_input, length_factor: 1 });
        return sendOk(reply, voice ? 'OTP Call Initiated Successfully.' : 'OTP Sent Successfully.', { details });
      },
    );
  }
}
