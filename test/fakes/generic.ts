/**
 * A typical small JSON SMS gateway for the generic `http` provider: POST /v2/messages with an
 * API key header, answers 202 {data:{id,status}} or {error:{code,message}}; GET /send?to=&text=
 * answers 200 {"message_id":…}.
 */
import { randomBytes } from 'node:crypto';
import { SLOW_MS, scenarioOf, startFake, type FakeServer, type Reply } from './server.ts';

const fail = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } });

export function startGenericFake(apiKey: string): Promise<FakeServer> {
  return startFake((req) => {
    if (req.headers['x-api-key'] !== apiKey) return fail(401, 'UNAUTHORIZED', 'bad api key');
    const to: string | undefined = req.json?.to ?? req.query.to;
    switch (scenarioOf(to)) {
      case 'reject': return fail(400, 'INVALID_DESTINATION', `cannot deliver to ${to}`);
      case 'throttle': return { ...fail(429, 'RATE_LIMITED', 'slow down'), headers: { 'retry-after': '1' } };
      case 'error': return fail(503, 'UPSTREAM_DOWN', 'try later');
      case 'slow': return { status: 202, body: {}, delayMs: SLOW_MS };
      default: break;
    }
    if (req.method === 'POST' && req.path === '/v2/messages') return { status: 202, body: { data: { id: 'msg_' + randomBytes(6).toString('hex'), status: 'accepted' } } };
    if (req.method === 'GET' && req.path === '/send') return { status: 200, body: { message_id: 4711 } };
    return fail(404, 'NOT_FOUND', 'no such route');
  });
}
