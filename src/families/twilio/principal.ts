/**
 * Twilio's authentication: HTTP Basic with an Account SID (AC…) and its auth token, or an API key
 * SID (SK…) and its secret, as twilio-node sends them; otherwise 401 with Twilio's 20003.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { VendorAuth, VendorPrincipal } from '../../http/auth.ts';
import { TwilioError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Twilio family's auth hook on its own routes. */
    twilioPrincipal?: VendorPrincipal;
  }
}

export function twilioAuth(auth: VendorAuth): onRequestAsyncHookHandler {
  return async (req) => {
    const p = await auth.basic(req.headers.authorization, 'twilio');
    if (!p)
      throw new TwilioError(401, 20003, 'Authenticate: send HTTP Basic with an Account SID and auth token, or an API key SID and secret, from `otpgate keys create --family twilio`', 'unauthorized');
    req.twilioPrincipal = p;
  };
}

export function principal(req: FastifyRequest): VendorPrincipal & { accountSid: string } {
  const p = req.twilioPrincipal!;
  return { ...p, accountSid: p.credential.kind === 'account' ? p.credential.id : (p.credential.owner_sid ?? p.credential.id) };
}

/** The URL prefix Twilio's `url` fields start with: the public URL, else the request's own. */
export function baseUrl(req: FastifyRequest, publicUrl: string | undefined): string {
  return (publicUrl ?? `${req.protocol}://${req.headers.host}`).replace(/\/$/, '');
}

/** Twilio's form bodies: "true"/"false" in any first-letter case. */
export const bool = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : v.toLowerCase() === 'true');
