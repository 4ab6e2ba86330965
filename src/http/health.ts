/** Liveness and readiness: ready means the database answers and the dispatcher runs. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Gateway } from '../gateway.ts';

const Live = Type.Object({ status: Type.Literal('ok') }, { description: 'the process answers' });
const Ready = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready'), Type.Literal('draining')]),
    database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
    dispatcher: Type.Union([Type.Literal('running'), Type.Literal('stopped')]),
  },
  { description: 'ready: the database answers and the dispatcher runs (or is off by config)' },
);

export async function healthRoutes(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  app.get(
    '/healthz',
    { schema: { tags: ['ops'], summary: 'Liveness: the process is up (for a restart probe)', response: { 200: Live } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: 200 when the database answers and the dispatcher runs, else 503 (take the instance out of the load balancer); 503 draining during a graceful shutdown',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
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
    },
  );
}
