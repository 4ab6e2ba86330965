/** Liveness and readiness: ready means the database answers and the dispatcher runs. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Gateway } from '../gateway.ts';

export async function healthRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'The process is up' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['ops'], summary: 'Database reachable and dispatcher running; 503 draining during a graceful shutdown' } }, async (_req, reply) => {
    let database = 'ok';
    try {
      await sql`select 1`.execute(gw.store.db);
    } catch {
      database = 'unreachable';
    }
    const dispatcher = gw.dispatcher.running ? 'running' : 'stopped';
    // A draining instance is alive but wants no new traffic (src/server.ts).
    if (gw.draining) return reply.status(503).send({ status: 'draining', database, dispatcher });
    const ready = database === 'ok' && (dispatcher === 'running' || !gw.config.dispatch.enabled);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', database, dispatcher });
  });
}
