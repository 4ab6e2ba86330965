/**
 * GET /metrics: the Prometheus text exposition of src/metrics/metrics.ts. Guarded by the
 * metrics token (config `metrics_token`, for a Prometheus server) or the admin token, as a
 * Bearer header; with neither configured it answers 404 naming the keys that turn it on.
 */
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway.ts';
import { VerifyError } from '../verify/errors.ts';
import { bearerToken, sameSecret } from './console/secret.ts';

export async function metricsRoute(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const tokens = [gw.config.metrics_token, gw.config.admin_token].filter((t): t is string => !!t);
  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics (text format); Bearer metrics_token or admin_token', security: [{ bearer: [] }] } }, async (req, reply) => {
    if (tokens.length === 0)
      throw new VerifyError('metrics_disabled', 404, 'metrics are off; set "metrics_token" (or OTPGATE_METRICS_TOKEN) or "admin_token" in the config to enable /metrics', 'metrics_token');
    const given = bearerToken(req.headers.authorization);
    // Compare with every token (no early exit), so timing does not tell which one nearly matched.
    const ok = tokens.map((t) => sameSecret(given, t)).includes(true);
    if (!ok) throw new VerifyError('unauthorized', 401, 'send the metrics token (or the admin token) as "Authorization: Bearer <token>"', 'Authorization');
    const { body, contentType } = await gw.metrics.scrape();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}
