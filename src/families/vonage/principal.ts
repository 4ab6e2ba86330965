/**
 * Vonage's authentication: `Bearer <JWT>` signed RS256 by an application's private key (what
 * @vonage/server-sdk sends for Verify v2), or HTTP Basic with an API key and secret, which Vonage
 * accepts too; both issued by `otpgate keys create --family vonage`. Otherwise 401 problem details.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { VendorAuth, VendorPrincipal } from '../../http/auth.ts';
import { VonageProblem } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Vonage family's auth hook on its own routes. */
    vonagePrincipal?: VendorPrincipal;
  }
}

export function vonageAuth(auth: VendorAuth): onRequestAsyncHookHandler {
  return async (req) => {
    const h = req.headers.authorization;
    const p = /^\s*basic\s/i.test(h ?? '') ? await auth.basic(h, 'vonage') : await auth.vonageJwt(h);
    if (!p)
      throw new VonageProblem(
        401,
        'Unauthorized',
        'https://developer.nexmo.com/api-errors#unauthorized',
        'You did not provide correct credentials: send a JWT signed by your application\'s private key, or Basic api_key:api_secret, from `otpgate keys create --family vonage`.',
        'unauthorized',
      );
    req.vonagePrincipal = p;
  };
}

export function principal(req: FastifyRequest): VendorPrincipal {
  return req.vonagePrincipal!;
}
