/**
 * The operator's view: GET /admin/providers lists each provider with its kind, state, circuit
 * and the provider's own status (SMPP: per bind state, window in use, submits/s, receipts/s,
 * errors), plus the dispatcher's counters. There is no admin role among API keys, so it is
 * guarded by the config key `admin_token` (Bearer); without one it answers 404 naming the key,
 * so an operator who never set a token exposes nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Gateway } from '../../gateway.ts';
import type { CircuitStatus } from '../../dispatch/breaker.ts';
import type { Provider } from '../../providers/types.ts';
import { VerifyError } from '../../verify/errors.ts';
import { ErrorOut } from '../../families/native/schemas.ts';
import { accountAdminRoutes } from './accounts.ts';
import { abuseAdminRoutes } from './abuse.ts';

const Open = Type.Object({}, { additionalProperties: true });

const ProvidersOut = Type.Object({
  providers: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: Type.String(),
      channels: Type.Array(Type.String()),
      state: Type.String({ description: 'up | degraded (some binds down) | down | circuit_open' }),
      circuit: Open,
      status: Open,
    }),
  ),
  dispatcher: Open,
});

export async function adminRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const token = gw.config.admin_token;
  app.addHook('onRequest', async (req) => {
    if (!token) throw new VerifyError('admin_disabled', 404, 'the admin API is off; set "admin_token" in the config (or OTPGATE_ADMIN_TOKEN) to enable it', 'admin_token');
    const given = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!sameSecret(given, token)) throw new VerifyError('unauthorized', 401, 'send the admin token as "Authorization: Bearer <admin_token>"', 'Authorization');
  });

  app.get(
    '/admin/providers',
    {
      schema: {
        tags: ['admin'],
        summary: 'Providers: state, circuit breaker, SMPP binds (window, rates, errors)',
        security: [{ bearer: [] }],
        response: { 200: ProvidersOut, 401: ErrorOut, 404: ErrorOut },
      },
    },
    async () => describeProviders(gw),
  );
  await accountAdminRoutes(app, gw);

  // Behind the same token (a child plugin inherits this plugin's onRequest guard).
  await app.register(abuseAdminRoutes, { gw });
}

/** What GET /admin/providers answers (the console's Carriers page streams the same). */
export function describeProviders(gw: Gateway) {
  return {
    providers: [...gw.providers.values()].map((p) => describe(p, gw.breakers.status(p.name))),
    dispatcher: { running: gw.dispatcher.running, ...gw.dispatcher.stats },
  };
}

function describe(p: Provider, circuit: CircuitStatus) {
  const status = p.status?.() ?? {};
  return { name: p.name, kind: p.kind, channels: [...p.channels], state: stateOf(status, circuit), circuit, status };
}

/** The provider's own word when it has one; SMPP from its binds; otherwise what the circuit knows. */
function stateOf(status: Record<string, unknown>, circuit: CircuitStatus): string {
  if (circuit.state === 'open') return 'circuit_open';
  if (typeof status.state === 'string') return status.state;
  const binds = status.binds as Array<{ state: string }> | undefined;
  if (!Array.isArray(binds) || binds.length === 0) return 'up';
  const bound = binds.filter((b) => b.state === 'bound').length;
  return bound === binds.length ? 'up' : bound > 0 ? 'degraded' : 'down';
}

/** Constant-time comparison of two secrets of any length (both hashed to the same size first). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
