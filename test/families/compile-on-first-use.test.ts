/**
 * The families' routes compile their validators and serializers on first use (src/families/
 * index.ts, issue 13: idle RSS), with answers identical to Fastify's eager compiling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { compiledOnFirstUse } from '../../src/families/index.ts';
import type { FamilyPlugin } from '../../src/http/plugin.ts';

const opts = {} as Parameters<FamilyPlugin>[1];

/** One POST route with a body schema and a response schema that drops `secret`. */
const route: FamilyPlugin = async (app) => {
  app.post(
    '/r',
    {
      schema: {
        body: { type: 'object', required: ['to'], properties: { to: { type: 'string', minLength: 3 }, n: { type: 'integer', default: 7 } } },
        response: { 200: { type: 'object', properties: { to: { type: 'string' }, n: { type: 'integer' } } } },
      },
    },
    async (req) => ({ ...(req.body as object), secret: 'not serialized' }),
  );
};

async function appWith(plugin: FamilyPlugin): Promise<FastifyInstance> {
  const app = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
  await app.register(plugin, opts);
  await app.ready();
  return app;
}

test('a route compiles nothing at start: a schema Ajv cannot compile fails its first request, not the start', async (t) => {
  const broken: FamilyPlugin = async (app) => {
    app.post('/b', { schema: { body: { type: 'no-such-type' } } }, async () => ({}));
  };
  await assert.rejects(appWith(broken), /Failed building the validation schema/, 'eager compiling fails at ready()');
  const app = await appWith(compiledOnFirstUse(broken));
  t.after(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/b', payload: {} });
  assert.equal(res.statusCode, 500);
});

test('answers are the eager ones: validation errors, defaults, and the response schema', async (t) => {
  const eager = await appWith(route);
  const lazy = await appWith(compiledOnFirstUse(route));
  t.after(() => Promise.all([eager.close(), lazy.close()]));
  // The first request to each is the one that compiles, so each case runs against fresh apps too.
  for (const payload of [{ to: 'x' }, {}, { to: '+14155552671' }, { to: 'abcd', n: 'two' }, { to: 'abcd', n: 2 }]) {
    const [a, b] = await Promise.all([eager, lazy].map((app) => app.inject({ method: 'POST', url: '/r', payload })));
    assert.equal(b!.statusCode, a!.statusCode, JSON.stringify(payload));
    assert.deepEqual(b!.json(), a!.json(), JSON.stringify(payload));
  }
  const ok = await lazy.inject({ method: 'POST', url: '/r', payload: { to: '+14155552671' } });
  assert.deepEqual(ok.json(), { to: '+14155552671', n: 7 }, 'the default is applied and `secret` is not serialized');
});
