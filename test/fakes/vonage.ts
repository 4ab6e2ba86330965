/**
 * Vonage as seen by a client: SMS API POST /sms/json (form, HTTP 200 with messages[].status
 * "0" or an error status + error-text) and Voice API POST /v1/calls (RS256 application JWT,
 * 201 {uuid,…}, RFC 7807 errors). Shapes from developer.vonage.com (SMS troubleshooting,
 * Voice API reference, API errors).
 */
import { createVerify, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { SLOW_MS, scenarioOf, startFake, type FakeServer, type Reply } from './server.ts';

function smsStatus(to: string, status: string, errorText: string): Reply {
  return { status: 200, body: { 'message-count': '1', messages: [{ to, status, 'error-text': errorText }] } };
}

function problem(status: number, kind: string, title: string, detail: string, extra: object = {}): Reply {
  return { status, body: { type: `https://developer.nexmo.com/api-errors#${kind}`, title, detail, ...extra }, headers: { 'content-type': 'application/problem+json' } };
}

function jwtOk(auth: string | undefined, publicKey: KeyObject, applicationId: string): boolean {
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
  const [h, p, s] = token.split('.');
  if (!s) return false;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const valid = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(s, 'base64url'));
  return valid && header.alg === 'RS256' && claims.application_id === applicationId && claims.exp > Date.now() / 1000 && typeof claims.jti === 'string';
}

export interface VonageFakeOptions { apiKey: string; apiSecret: string; applicationId: string; publicKey: KeyObject }

export function startVonageFake(o: VonageFakeOptions): Promise<FakeServer> {
  return startFake((req) => {
    if (req.method === 'POST' && req.path === '/sms/json') {
      const f = req.form ?? {};
      if (f.api_key !== o.apiKey || f.api_secret !== o.apiSecret) return smsStatus(f.to, '4', 'Bad Credentials');
      if (!f.from || !f.to || !f.text) return smsStatus(f.to, '2', 'Missing from param');
      switch (scenarioOf(f.to)) {
        case 'reject': return smsStatus(f.to, '3', 'Invalid to number');
        case 'throttle': return smsStatus(f.to, '1', 'Throughput Rate Exceeded - please wait [ 30 ] and retry');
        case 'credit': return smsStatus(f.to, '9', 'Quota Exceeded - rejected');
        case 'error': return { status: 500, body: '<html><body>Internal Server Error</body></html>' };
        case 'slow': return { status: 200, body: {}, delayMs: SLOW_MS };
        default: break;
      }
      // A long text goes as several parts, one messages[] entry (and one message-id) each.
      const per = f.type === 'unicode' ? (f.text.length > 70 ? 67 : 70) : f.text.length > 160 ? 153 : 160;
      const count = Math.max(1, Math.ceil(f.text.length / per));
      const messages = Array.from({ length: count }, () => ({
        to: f.to, 'message-id': randomBytes(8).toString('hex').toUpperCase(), status: '0', 'remaining-balance': '15.53590000', 'message-price': '0.03330000', network: '23410',
      }));
      return { status: 200, body: { 'message-count': String(count), messages } };
    }
    if (req.method === 'POST' && req.path === '/v1/calls') {
      if (!jwtOk(req.headers.authorization, o.publicKey, o.applicationId)) return problem(401, 'unauthorized', 'Unauthorized', 'You did not provide correct credentials.');
      const to: string | undefined = req.json?.to?.[0]?.number;
      switch (scenarioOf(to)) {
        case 'reject': return problem(400, 'validation', 'Bad Request', 'The request failed due to validation errors', { invalid_parameters: [{ name: 'to[0].number', reason: 'must be a valid E.164 number' }] });
        case 'throttle': return problem(429, 'throttled', 'Throttled', 'Too many requests; retry later.');
        case 'error': return problem(500, 'internal-error', 'Internal Error', 'Something went wrong.');
        case 'slow': return { status: 201, body: {}, delayMs: SLOW_MS };
        default: break;
      }
      return { status: 201, body: { uuid: randomUUID(), status: 'started', direction: 'outbound', conversation_uuid: `CON-${randomUUID()}` } };
    }
    return problem(404, 'not-found', 'Not Found', `No route ${req.method} ${req.path}`);
  });
}
