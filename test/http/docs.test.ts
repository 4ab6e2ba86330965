/**
 * Swagger UI is loaded on the first /docs request (src/http/docs.ts, issue 13: idle RSS), and
 * answers exactly as @fastify/swagger-ui registered on the app does: pages, assets, the document,
 * redirects, conditional and range requests, HEAD, and the app's 404 for paths it does not have.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { lazyDocs } from '../../src/http/docs.ts';
import { nativeErrorHandler } from '../../src/http/errors.ts';
import { build } from '../helpers/gateway.ts';

const swaggerUiLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('@fastify/swagger-ui'));

// First in this file: the comparison below registers the plugin eagerly, which loads it.
test('the gateway starts without Swagger UI and loads it on the first /docs request', async (t) => {
  const h = await build(t);
  assert.equal(swaggerUiLoaded(), false, 'not loaded by building the app');
  const doc = await h.app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(doc.statusCode, 200);
  assert.match(doc.json().openapi, /^3\./);
  assert.equal(swaggerUiLoaded(), true, 'loaded by the first /docs request');
  const ui = await h.app.inject({ method: 'GET', url: '/docs' });
  assert.match(ui.body, /swagger-ui/);
});

/** An app with one documented route and the UI at /docs, registered on it (eager) or lazily. */
async function appWith(lazy: boolean): Promise<FastifyInstance> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  await app.register(swagger, { openapi: { openapi: '3.0.3', info: { title: 't', version: '1' } } });
  if (!lazy) await app.register((await import('@fastify/swagger-ui')).default, { routePrefix: '/docs' });
  app.setErrorHandler(nativeErrorHandler);
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } }));
  if (lazy) lazyDocs(app, { ui: { routePrefix: '/docs' }, errorHandler: nativeErrorHandler });
  app.post('/r', { schema: { body: { type: 'object', properties: { to: { type: 'string' } } } } }, async () => ({}));
  await app.ready();
  return app;
}

test('answers are those of the plugin registered on the app', async (t) => {
  const eager = await appWith(false);
  const lazy = await appWith(true);
  t.after(() => Promise.all([eager.close(), lazy.close()]));
  const css = '/docs/static/swagger-ui.css';
  const etag = (await eager.inject({ method: 'GET', url: css })).headers.etag as string;
  const cases: Array<{ method: 'GET' | 'HEAD'; url: string; headers?: Record<string, string> }> = [];
  for (const url of ['/docs', '/docs/', '/docs?x=1', '/docs/json', '/docs/json/', '/docs/yaml', '/docs/static/index.html', '/docs/static/swagger-initializer.js', css, '/docs/static/swagger-ui-bundle.js', '/docs/static/logo.svg', '/docs/static/', '/docs/static/nope.js', '/docs/nope', '/docs/static/../package.json', '/docs/static/%ZZ'])
    for (const method of ['GET', 'HEAD'] as const) cases.push({ method, url });
  cases.push({ method: 'GET', url: css, headers: { 'if-none-match': etag } }, { method: 'GET', url: css, headers: { range: 'bytes=0-9' } });
  for (const c of cases) {
    const [a, b] = await Promise.all([eager, lazy].map((app) => app.inject(c)));
    const what = `${c.method} ${c.url} ${JSON.stringify(c.headers ?? {})}`;
    assert.equal(b!.statusCode, a!.statusCode, what);
    const { date: _a, ...ah } = a!.headers;
    const { date: _b, ...bh } = b!.headers;
    assert.deepEqual(bh, ah, what);
    assert.ok(b!.rawPayload.equals(a!.rawPayload), what);
  }
});
