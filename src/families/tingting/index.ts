/**
 * The TingTing-compatible API family: a company that calls TingTing changes only its base URL
 * and token. Registered without a prefix and without fastify-plugin, so the parsers, hook and
 * error handler below apply to these routes only. Translation only: sends go through the
 * native VerifyService (send.ts), everything else reads the native store.
 */
import type { FastifyInstance } from 'fastify';
import type { FamilyPlugin } from '../../http/plugin.ts';
import { accountRoutes } from './account.ts';
import { tingtingErrorHandler } from './envelope.ts';
import { listRoutes } from './list.ts';
import { requireApiKey } from './principal.ts';
import { sendRoutes } from './send.ts';

/**
 * Bodies as Django REST Framework reads them: an empty JSON body is no data (TingTing's PHP
 * client POSTs generate-api-keys with Content-Type: application/json and no body), form posts
 * are accepted like DRF's FormParser does, and any other media type (text/plain included,
 * which Fastify would parse as a string) is a 415.
 */
function bodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === '') return done(null, {});
    json(req, String(body), done);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
}

export const tingtingRoutes: FamilyPlugin = async (app, opts) => {
  const { gw, auth } = opts;
  bodyParsers(app);
  app.setErrorHandler(tingtingErrorHandler);
  requireApiKey(app, auth);
  await sendRoutes(app, gw);
  await listRoutes(app, gw);
  await accountRoutes(app, gw, auth);
};
