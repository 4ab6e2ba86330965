/**
 * The vendor API families (translations onto the native core), each one plugin in its folder.
 * Their routes compile their validators and serializers on first use rather than at start: most
 * deployments use one or two families, and compiling every route of all four at start kept
 * about 5 MB of an idle gateway's RSS (issue 13).
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions } from 'fastify';
import { bitelRoutes } from './bitel/index.ts';
import type { FamilyPlugin } from '../http/plugin.ts';
import { tingtingRoutes } from './tingting/index.ts';
import { twilioRoutes } from './twilio/index.ts';
import { vonageRoutes } from './vonage/index.ts';

export function familyPlugins(): FamilyPlugin[] {
  return [tingtingRoutes, bitelRoutes, twilioRoutes, vonageRoutes].map(compiledOnFirstUse);
}

// Fastify's own default compilers, the very copies it resolves (its dependencies, not ours).
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ajvCompilers = fromFastify('@fastify/ajv-compiler') as () => Builder;
const jsonSerializers = fromFastify('@fastify/fast-json-stringify-compiler') as () => Builder;

/** A Fastify compilers factory: (the context's shared schemas, server options) → route compiler. */
type Builder = (externalSchemas: unknown, serverOptions: unknown) => (route: unknown) => Compiled;
type Compiled = ((...args: unknown[]) => unknown) & { errors?: unknown; schemaEnv?: unknown };

/**
 * `plugin` (a family, or any encapsulated routes plugin: src/http/app.ts wraps the native, admin,
 * inbox and console routes too) with Fastify's default compilers (same Ajv options, same shared schemas, same
 * handling of headers, as the factory still is Fastify's, not a custom compiler), each route's
 * part compiled on its first request instead of at registration.
 */
export function compiledOnFirstUse<Options extends FastifyPluginOptions>(plugin: FastifyPluginAsync<Options>): FastifyPluginAsync<Options> {
  return async (app, opts) => {
    setLazyCompilers(app);
    await plugin(app, opts);
  };
}

function setLazyCompilers(app: FastifyInstance): void {
  const validators = ajvCompilers();
  const serializers = jsonSerializers();
  app.setSchemaController({
    compilersFactory: {
      buildValidator: (schemas: unknown, options: unknown) => (route: unknown) => onFirstCall(() => validators(schemas, options)(route)),
      buildSerializer: (schemas: unknown, options: unknown) => (route: unknown) => onFirstCall(() => serializers(schemas, options)(route)),
    },
  } as Parameters<FastifyInstance['setSchemaController']>[0]);
}

/**
 * A function that compiles the real one on its first call and from then on is it: arguments,
 * result, and the `errors` and `schemaEnv` Fastify reads off an Ajv validator (reading them
 * compiles too, since Fastify looks at `schemaEnv` before the first call).
 */
function onFirstCall(compile: () => Compiled): Compiled {
  let real: Compiled | undefined;
  const get = () => (real ??= compile());
  const lazy = ((...args: unknown[]) => get()(...args)) as Compiled;
  Object.defineProperty(lazy, 'errors', { get: () => get().errors });
  Object.defineProperty(lazy, 'schemaEnv', { get: () => get().schemaEnv });
  return lazy;
}
