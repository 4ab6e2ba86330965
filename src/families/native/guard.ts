/** The native family's door: every route behind it needs an API key valid for the native API. */
import type { FastifyRequest } from 'fastify';
import { VerifyError } from '../../verify/errors.ts';
import type { ApiKeyAuth } from '../../http/auth.ts';

export function requireNativeKey(auth: ApiKeyAuth): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const p = await auth.fromHeader(req.headers.authorization, 'native');
    if (!p)
      throw new VerifyError('unauthorized', 401, 'send a valid API key as "Authorization: Bearer <key>" (create one with `otpgate keys create`)', 'Authorization');
    req.principal = p;
  };
}
