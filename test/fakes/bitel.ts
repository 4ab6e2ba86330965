/**
 * Bitel v1 as seen by a client: POST /api/v1/sms/single and /api/v1/voice/otp with a Bearer token
 * and JSON; every answer is {result, error} (error null on 200, a code such as
 * "InvalidPhoneNumber" on 4xx). Shapes from https://bitel.gitbook.io/bitel/master.
 */
import { randomBytes } from 'node:crypto';
import { SLOW_MS, scenarioOf, startFake, type FakeServer, type Reply } from './server.ts';

const fail = (status: number, error: string): Reply => ({ status, body: { result: null, error } });
const id = () => randomBytes(16).toString('hex');

export function startBitelFake(token: string): Promise<FakeServer> {
  return startFake((req) => {
    const route = req.method === 'POST' ? req.path : '';
    if (route !== '/api/v1/sms/single' && route !== '/api/v1/voice/otp') return fail(404, 'NotFound');
    if (req.headers.authorization !== `Bearer ${token}`) return fail(401, 'Unauthorized');
    const b = req.json ?? {};
    switch (scenarioOf(b.phoneNumber)) {
      case 'reject': return fail(400, 'InvalidPhoneNumber');
      case 'credit': return fail(400, 'InsufficientBalance');
      case 'throttle': return fail(429, 'TooManyRequests');
      case 'error': return fail(500, 'InternalError');
      case 'slow': return { status: 200, body: { result: null, error: null }, delayMs: SLOW_MS };
      default: break;
    }
    if (!/^09\d{9}$/.test(b.phoneNumber ?? '')) return fail(400, 'InvalidPhoneNumber');
    if (route === '/api/v1/sms/single') {
      if (!b.message) return fail(400, 'InvalidRequest');
      if (b.gatewayNumber !== undefined && !/^\d+$/.test(b.gatewayNumber)) return fail(400, 'InvalidGateway');
      return { status: 200, body: { result: { requestId: id() }, error: null } };
    }
    if (!/^\d{1,10}$/.test(b.text ?? '')) return fail(400, 'InvalidRequest');
    return { status: 200, body: { result: id(), error: null } };
  });
}
