/**
 * Swagger UI at /docs, loaded on its first request (issue 13: idle RSS). @fastify/swagger-ui
 * pulls in @fastify/static with glob, minimatch, path-scurry and lru-cache (and their source maps)
 * and registers its routes at start: about 3 MB of an idle gateway that most never open /docs.
 * Fastify takes no routes once it is ready, so the app owns /docs and /docs/* from the start and
 * hands each request to a small Fastify instance built on the first one, where the unmodified
 * plugin answers it: same pages, assets, ETags, ranges and redirects as registering it on the app.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

/** Headers of the docs instance's answer that belong to its own connection, not to the answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

/** Set by the docs instance on a path it has no route or file for; never sent to the client. */
const NO_ROUTE = 'x-otpgate-docs-no-route';

export interface LazyDocsOptions {
  /** @fastify/swagger-ui's options; `routePrefix` is where the UI lives on the app, e.g. '/docs'. */
  ui: FastifySwaggerUiOptions & { routePrefix: string };
  /** The app's error handler, so a failing asset read answers (and is logged) as on the app. */
  errorHandler: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => unknown;
}

/**
 * Registers GET `ui.routePrefix` and `ui.routePrefix`/* on `app` (which must have @fastify/swagger
 * registered: the UI's /json and /yaml serve `app.swagger()`). The first request imports
 * @fastify/swagger-ui and builds the instance that serves it (concurrent first requests share one
 * build; a failed build is retried by the next request); the instance closes with the app.
 * Answers are buffered (the largest asset, swagger-ui-bundle.js, is about 1.5 MB) and sent
 * through the app's reply, so its hooks and request log see /docs like any other route.
 */
export function lazyDocs(app: FastifyInstance, opts: LazyDocsOptions): void {
  let docs: Promise<FastifyInstance> | undefined;
  const instance = () =>
    (docs ??= buildDocs(app, opts).catch((err: unknown) => {
      docs = undefined;
      throw err;
    }));

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    // GET even for HEAD: the app's own HEAD route drops the body, as it did for the plugin's routes.
    const res = await (await instance()).inject({ method: 'GET', url: req.url, headers: req.headers });
    // An unknown /docs path is the app's 404, as any unknown path (and as before the UI was lazy).
    if (res.headers[NO_ROUTE]) return reply.callNotFound();
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) void reply.header(name, value);
    // No body (a redirect, a 304) stays no body: an empty Buffer would be typed application/octet-stream.
    return reply.code(res.statusCode).send(res.rawPayload.length > 0 ? res.rawPayload : undefined);
  };
  const route = { schema: { hide: true } };
  app.get(opts.ui.routePrefix, route, forward);
  app.get(`${opts.ui.routePrefix}/*`, route, forward);
  app.addHook('onClose', async () => {
    if (docs) await (await docs.catch(() => undefined))?.close();
  });
}

async function buildDocs(app: FastifyInstance, opts: LazyDocsOptions): Promise<FastifyInstance> {
  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  // The app's logger for errors, not requests: the app logs each request, as it answers it.
  // The app's router options: /docs/json/ matches as /docs/json did when the UI was on the app.
  const docs = Fastify({
    loggerInstance: app.log,
    logController: new LogController({ disableRequestLogging: true }),
    ...(app.initialConfig.routerOptions ? { routerOptions: app.initialConfig.routerOptions } : {}),
  });
  docs.setNotFoundHandler((_req, reply) => void reply.code(404).header(NO_ROUTE, '1').send());
  docs.setErrorHandler(opts.errorHandler);
  // The UI declares @fastify/swagger as its dependency for `swagger()`: here that is the app's.
  await docs.register(fp(async (f) => void f.decorate('swagger', app.swagger.bind(app)), { name: '@fastify/swagger' }));
  await docs.register(swaggerUi, opts.ui);
  await docs.ready();
  return docs;
}
