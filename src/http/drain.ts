/**
 * While the process drains (src/server.ts), a request that would create work is refused with
 * 503 draining and Retry-After, so the client retries another instance; reads, checks of the
 * dashboard's session and carrier callbacks (/hooks: receipts of messages already sent) still pass.
 */
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway.ts';
import { VerifyError } from '../verify/errors.ts';

/** Seconds a refused client waits: a load balancer has stopped routing here by then. */
const RETRY_AFTER_S = 5;

/** Added on the root instance (not as an encapsulated plugin), so every family's routes see it. */
export function addDrainGuard(app: FastifyInstance, gw: Gateway): void {
  app.addHook('onRequest', async (req) => {
    if (!gw.draining || req.method !== 'POST' || req.url.startsWith('/hooks/')) return;
    throw new VerifyError('draining', 503, `this instance is shutting down; retry in ${RETRY_AFTER_S} s (another instance will take it)`, undefined, RETRY_AFTER_S);
  });
}
