/**
 * Kavenegar REST as seen by a client: POST {base}/v1/{api_key}/{sms/send|verify/lookup|call/maketts}.json
 * with form fields; answers {return:{status,message}, entries:[…]} with the HTTP status equal to
 * return.status. Shapes from https://kavenegar.com/rest.html.
 */
import { SLOW_MS, scenarioOf, startFake, type FakeServer, type Reply } from './server.ts';

function kaveError(status: number, message: string): Reply {
  return { status, body: { return: { status, message }, entries: null } };
}

let nextId = 8792343;

export function startKavenegarFake(apiKey: string, templates: string[] = ['otp-login']): Promise<FakeServer> {
  return startFake((req) => {
    const m = /^\/v1\/([^/]+)\/(sms\/send|verify\/lookup|call\/maketts)\.json$/.exec(req.path);
    if (!m) return kaveError(404, 'متد نامعتبر است');
    if (decodeURIComponent(m[1]) !== apiKey) return kaveError(403, 'کد شناسائی API-Key معتبر نمی‌باشد');
    const f = { ...req.query, ...req.form };
    if (!f.receptor) return kaveError(400, 'پارامترها ناقص هستند');
    switch (scenarioOf(f.receptor)) {
      case 'reject': return kaveError(411, 'گیرنده نامعتبر است');
      case 'credit': return kaveError(418, 'اعتبار حساب شما کافی نیست');
      case 'throttle': return kaveError(429, 'تعداد درخواست بیش از حد مجاز است');
      case 'error': return { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
      case 'slow': return { status: 200, body: {}, delayMs: SLOW_MS };
      default: break;
    }
    if (m[2] === 'verify/lookup') {
      if (!templates.includes(f.template)) return kaveError(424, 'الگوی مورد نظر پیدا نشد');
      if (!f.token || /\s/.test(f.token)) return kaveError(431, 'ساختار کد صحیح نمی‌باشد');
    } else if (!f.message) return kaveError(413, 'متن پیام خالی است');
    const entry = { messageid: nextId++, message: f.message ?? `token ${f.token}`, status: 5, statustext: 'ارسال به مخابرات', sender: f.sender ?? '10004346', receptor: f.receptor, date: Math.floor(Date.now() / 1000), cost: 120 };
    return { status: 200, body: { return: { status: 200, message: 'تایید شد' }, entries: [entry] } };
  });
}
