/**
 * The inbox page's live feed (mailpit's model): server-sent events `new` (the whole item),
 * `update` (a message's delivery status) and `cleared`. Each stream writes its events in the
 * order the hub emitted them, so a status never overtakes the `new` of its message; the app's
 * close ends every open stream instead of waiting for browsers to hang up.
 */
import type { FastifyInstance } from 'fastify';
import type { StoreEvent } from '../../store/events.ts';
import type { Gateway } from '../../gateway.ts';
import { presentInboxItem } from './present.ts';

const KEEPALIVE_MS = 15_000;

export async function inboxLiveRoute(app: FastifyInstance, opts: { gw: Gateway }): Promise<void> {
  const { gw } = opts;
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  const frame = async (e: StoreEvent): Promise<string | undefined> => {
    if (e.type === 'inbox.new') {
      const row = await gw.inbox.find(e.inboxId);
      return row && sse('new', presentInboxItem(row, (sealed) => gw.verify.tryRevealCode({ code_sealed: sealed })));
    }
    if (e.type === 'message.status') return sse('update', { message_id: e.messageId, status: e.status });
    if (e.type === 'inbox.cleared') return sse('cleared', {});
    return undefined;
  };

  app.get('/inbox/api/events', { schema: { tags: ['dev inbox'], summary: 'Live feed of the dev inbox (text/event-stream: new, update, cleared)' } }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    let queue = Promise.resolve();
    const off = gw.hub.on((e) => {
      queue = queue.then(async () => {
        const out = await frame(e).catch(() => undefined); // an item deleted meanwhile, or a closing database
        if (out && !res.writableEnded) res.write(out);
      });
    });
    const ping = setInterval(() => res.write(': ping\n\n'), KEEPALIVE_MS).unref();
    const end = () => {
      off();
      clearInterval(ping);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    req.raw.on('close', end);
  });
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
