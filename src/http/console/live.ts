/**
 * The console's live feed, GET /dashboard/api/events (text/event-stream):
 * - `message`: a message accepted ({ id, status: "queued", to, country, family, channel, created_at })
 *   or changing status ({ id, status, at, error_code, provider }), in the order the store committed them;
 * - `carriers`: every provider and SMPP bind (what GET /admin/providers answers) every 2 s.
 * The app's close ends every open stream, so a drain is not held by open browser tabs.
 */
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../gateway.ts';
import { countryOf } from '../../metrics/country.ts';
import type { StoreEvent } from '../../store/events.ts';
import { describeProviders } from '../admin/routes.ts';

const CARRIERS_EVERY_MS = 2_000;
const KEEPALIVE_MS = 15_000;

/** The `message` frame of a store event, or undefined for events the console does not show. */
function frameOf(e: StoreEvent): Record<string, unknown> | undefined {
  if (e.type === 'message.created')
    return { id: e.messageId, status: 'queued', to: e.to, country: e.to ? countryOf(e.to) : null, family: e.family, channel: e.channel, created_at: e.at };
  if (e.type === 'message.status') return { id: e.messageId, status: e.status, at: e.at, error_code: e.errorCode ?? null, provider: e.provider ?? null };
  return undefined;
}

export async function consoleLive(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get('/dashboard/api/events', { schema: { hide: true } }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // In the order the hub emitted them: a status never overtakes the `new` of its message.
    const off = gw.hub.on((e: StoreEvent) => {
      const data = frameOf(e);
      if (data) send('message', data);
    });
    const carriers = () => send('carriers', describeProviders(gw));
    carriers();
    const tick = setInterval(carriers, CARRIERS_EVERY_MS).unref();
    const ping = setInterval(() => res.write(': ping\n\n'), KEEPALIVE_MS).unref();
    const end = () => {
      off();
      clearInterval(tick);
      clearInterval(ping);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    req.raw.on('close', end);
  });
}
