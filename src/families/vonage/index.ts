/**
 * The Vonage Verify v2 family: a team on @vonage/server-sdk changes only its apiHost and its
 * application (or API key). JSON in and out, RFC 7807 problems, JWT (RS256) or Basic auth.
 * Registered without a prefix and encapsulated: the hook and error handler apply to these routes
 * only. The timed workflow fallback runs while the app is open.
 */
import { VendorAuth } from '../../http/auth.ts';
import type { FamilyPlugin } from '../../http/plugin.ts';
import { vonageErrorHandler } from './errors.ts';
import { startFallback } from './fallback.ts';
import { vonageAuth } from './principal.ts';
import { verifyRoutes } from './verify.ts';
import { StepLocks } from './workflow.ts';

/**
 * JSON bodies, where an empty one is no body: @vonage/verify2 POSTs next_workflow with
 * Content-Type application/json and nothing after it.
 */
export function parseJsonOrEmpty(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw Object.assign(new SyntaxError((e as Error).message), { statusCode: 400 });
  }
}

export const vonageRoutes: FamilyPlugin = async (app, { gw }) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonOrEmpty(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.setErrorHandler(vonageErrorHandler);
  app.addHook('onRequest', vonageAuth(new VendorAuth(gw.store.db, gw.now)));
  const locks = new StepLocks();
  verifyRoutes(app, gw, locks);
  const fallback = startFallback(gw, locks);
  app.addHook('onClose', async () => fallback.stop());
};
