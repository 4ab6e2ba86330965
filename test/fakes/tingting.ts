/**
 * TingTing's send-OTP endpoint as seen by a client: POST /api/v1/auths/send/otp/ with a Bearer
 * token and JSON; success envelope {status:200, success:true, message, errors:[], data:{details}}.
 * Validation per https://apidocs.tingting.com.np/api/otp ({otp} placeholder required, personnel
 * needs otp, voice needs voice_input). Auth and throttle errors in Django REST framework's
 * {detail} shape, which the trailing-slash URLs suggest.
 */
import { SLOW_MS, scenarioOf, startFake, type FakeServer, type Reply } from './server.ts';

function invalid(message: string, errors: Record<string, string[]>): Reply {
  return { status: 400, body: { status: 400, success: false, message, errors, data: null } };
}

export function startTingTingFake(token: string): Promise<FakeServer> {
  return startFake((req) => {
    if (req.path !== '/api/v1/auths/send/otp/' || req.method !== 'POST') return { status: 404, body: { detail: 'Not found.' } };
    if (req.headers.authorization !== `Bearer ${token}`) return { status: 401, body: { detail: 'Given token not valid for any token type', code: 'token_not_valid' } };
    const b = req.json ?? {};
    switch (scenarioOf(b.number)) {
      case 'reject': return invalid('Invalid phone number.', { number: ['Enter a valid Nepali phone number.'] });
      case 'throttle': return { status: 429, body: { detail: 'Request was throttled. Expected available in 30 seconds.' } };
      case 'error': return { status: 500, body: '<h1>Server Error (500)</h1>' };
      case 'slow': return { status: 200, body: {}, delayMs: SLOW_MS };
      default: break;
    }
    if (!/^9\d{9}$/.test(b.number ?? '')) return invalid('Invalid phone number.', { number: ['Enter a valid Nepali phone number.'] });
    if (!String(b.message ?? '').includes('{otp}')) return invalid('Message must include {otp}.', { message: ['Include the {otp} placeholder.'] });
    if (!['text', 'voice'].includes(b.sms_send_options)) return invalid('Invalid sms_send_options.', { sms_send_options: ['Must be text or voice.'] });
    if (b.otp_options === 'personnel' && !b.otp) return invalid('OTP is required.', { otp: ['Required when otp_options is personnel.'] });
    if (b.sms_send_options === 'voice' && !b.voice_input) return invalid('voice_input is required.', { voice_input: ['Required for voice.'] });
    const details = { number: b.number, otp_options: b.otp_options, message: String(b.message).split('{otp}').join(b.otp), otp: b.otp, sms_send_options: b.sms_send_options };
    return { status: 200, body: { status: 200, success: true, message: 'OTP Sent Successfully.', errors: [], data: { details } } };
  });
}
