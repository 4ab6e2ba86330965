/**
 * The Twilio Verify v2 family: a team on twilio-node changes only the base URL (the SDK's
 * httpClient, or a proxy for verify.twilio.com) and its credentials. Form-urlencoded PascalCase
 * in, snake_case JSON out, Twilio's error shape; Basic auth with AC…/SK… credentials. Registered
 * without a prefix and encapsulated: the parser, hook and error handler apply to these routes only.
 */
import { VendorAuth } from '../../http/auth.ts';
import type { FamilyPlugin } from '../../http/plugin.ts';
import { twilioErrorHandler } from './errors.ts';
import { twilioAuth } from './principal.ts';
import { serviceRoutes } from './services.ts';
import { verificationRoutes } from './verifications.ts';

/** A form body as an object of strings (the last of repeated names wins; Twilio's lists are not used here). */
export function parseForm(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

export const twilioRoutes: FamilyPlugin = async (app, { gw }) => {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) => done(null, parseForm(body as string)));
  app.setErrorHandler(twilioErrorHandler);
  app.addHook('onRequest', twilioAuth(new VendorAuth(gw.store.db, gw.now)));
  serviceRoutes(app, gw);
  verificationRoutes(app, gw);
};
