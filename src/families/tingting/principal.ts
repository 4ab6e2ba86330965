/**
 * TingTing's authentication, as Django REST Framework answers it: `Authorization: Bearer <key>`
 * where the key is an otpgate API key for the tingting family (or every family); otherwise a
 * 401 { "detail": … } before the body is read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyAuth, Principal } from '../../http/auth.ts';
import { sendUnauthorized } from './envelope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the TingTing family's auth hook on its own routes. */
    tingtingPrincipal: Principal | null;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  const p = req.tingtingPrincipal;
  if (!p) throw new Error('tingting route reached without a principal; is the auth hook registered?');
  return p;
}

export function requireApiKey(app: FastifyInstance, auth: ApiKeyAuth): void {
  app.decorateRequest('tingtingPrincipal', null);
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization;
    const p = await auth.fromHeader(header, 'tingting');
    if (!p) return sendUnauthorized(reply, /^\s*bearer\s+\S/i.test(header ?? ''));
    req.tingtingPrincipal = p;
  });
}
