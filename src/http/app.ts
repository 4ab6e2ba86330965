/**
 * The HTTP app, plugins in a visible order: external (swagger) → app-wide (errors, Swagger UI
 * loaded on first use, drain guard, health) → the API families → dev inbox → carrier callbacks →
 * admin → /metrics → the console.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Gateway } from '../gateway.ts';
import { adminRoutes } from './admin/routes.ts';
import { ApiKeyAuth } from './auth.ts';
import { drainOversized, emptyBodyTolerantJson } from './body.ts';
import { nativeErrorHandler } from './errors.ts';
import { healthRoutes } from './health.ts';
import { lazyDocs } from './docs.ts';
import { namedComponents } from './openapi.ts';
import * as N from '../families/native/schemas.ts';
import * as T from '../families/tingting/schemas.ts';
import * as B from '../families/bitel/schemas.ts';
import { hookRoutes } from './hooks.ts';
import { inboxRoutes } from './inbox/routes.ts';
import { addDrainGuard } from './drain.ts';
import { metricsRoute } from './metrics.ts';
import { consoleRoutes } from './console/routes.ts';
import { nativeRoutes } from '../families/native/routes.ts';
import { webhookRoutes } from '../families/native/webhook.ts';
import { compiledOnFirstUse, familyPlugins } from '../families/index.ts';

export interface AppOptions {
  logger?: boolean;
}

export async function buildApp(gw: Gateway, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: (opts.logger === false ? gw.log.child({}, { level: 'silent' }) : gw.log) as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    // Vendor paths end in '/' (Django style); clients call them with and without it.
    routerOptions: { ignoreTrailingSlash: true },
    // Strict types: "6" is not a code_length. Families that accept strings (TingTing) say so in their schemas.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Bad percent-encoding and over-long path params get the same error shape as everything else.
    frameworkErrors: nativeErrorHandler,
  });

  // Named component schemas: the shapes clients generate types from, shown once and referenced.
  const transform = namedComponents(app, [
    ['Error', N.ErrorOut],
    ['SendVerification', N.SendBody],
    ['CheckVerification', N.CheckBody],
    ['Verification', N.VerificationOut],
    ['Message', N.MessageOut],
    ['CheckResult', N.CheckOut],
    ['Balance', N.BalanceOut],
    ['TingTingSendOtp', T.SendBody],
    ['TingTingSendOtpResult', T.SendOk],
    ['TingTingError', T.ErrorEnvelope],
    ['TingTingUnauthorized', T.Detail401],
    ['BitelOtp', B.OtpBody],
    ['BitelSms', B.SmsObject],
    ['BitelCall', B.CallObject],
    ['BitelError', B.Failure],
  ]);
  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: { title: 'otpgate', version: '1', description: 'One-time passcodes by SMS and voice. Native API; TingTing-, Bitel-, Twilio Verify v2- and Vonage Verify v2-compatible APIs.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } } },
      tags: [
        { name: 'twilio', description: 'Twilio Verify v2 (form-urlencoded in, Twilio JSON and error codes out; Basic auth with AC…/SK… credentials)' },
        { name: 'vonage', description: 'Vonage Verify v2 (JSON, RFC 7807 errors; Bearer JWT of an application, or Basic api_key:api_secret)' },
      ],
    },
    transform,
  });

  // Body handling for every route (families inherit it; TingTing reads its bodies its own way).
  emptyBodyTolerantJson(app);
  app.addHook('onError', drainOversized);
  app.setErrorHandler(nativeErrorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}; see /docs` } });
  });
  // Swagger UI, loaded when /docs is first asked for (src/http/docs.ts).
  lazyDocs(app, { ui: { routePrefix: '/docs' }, errorHandler: nativeErrorHandler });

  addDrainGuard(app, gw);
  const auth = new ApiKeyAuth(gw.store.db, gw.now);
  app.decorate('auth', auth);
  await app.register(healthRoutes, { gw });
  // Validators and serializers compiled on a route's first request, as the families' are: an
  // idle gateway holds none of them (issue 13), and a first request is validated the same.
  await app.register(compiledOnFirstUse(nativeRoutes), { gw, auth });
  await app.register(compiledOnFirstUse(webhookRoutes), { gw, auth });
  for (const family of familyPlugins()) await app.register(family, { gw, auth });
  if (gw.config.dev_inbox.enabled) await app.register(compiledOnFirstUse(inboxRoutes), { gw });
  await app.register(hookRoutes, { gw });
  await app.register(compiledOnFirstUse(adminRoutes), { gw });
  await app.register(metricsRoute, { gw });
  await app.register(compiledOnFirstUse(consoleRoutes), { gw });
  return app;
}
