/**
 * The decision adds at most one Redis round trip per send: a TCP proxy between otpgate and the
 * real Redis counts the writes the client makes (each write is one request batch whose answers
 * are awaited). Every named limit, both spend caps and the pumping window are on here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { abuseBuild, HIGH, send, usNumber } from './helpers.ts';

/** Forwards to 127.0.0.1:6379 and counts client → server chunks and the commands in them. */
async function proxy(t: { after(fn: () => unknown): void }): Promise<{ port: number; writes: number; commands: number }> {
  const stats = { port: 0, writes: 0, commands: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: 6379 });
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d) => {
      stats.writes++;
      // Each command is a RESP array at the start of a line: "*<n>\r\n$<len>\r\n<name>".
      stats.commands += (d.toString('latin1').match(/(^|\r\n)\*\d+\r\n\$\d+\r\n[a-zA-Z]+\r\n/g) ?? []).length;
      upstream.write(d);
    });
    upstream.on('data', (d) => client.write(d));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stats.port = (server.address() as { port: number }).port;
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return stats;
}

test('redis: one send decision = one round trip (8 limits, 2 spend caps, the pumping window)', async (t) => {
  const p = await proxy(t);
  const h = await abuseBuild(t, 'redis', { limits: HIGH, spend: { daily_cap: 1_000_000_000, country_daily_cap: 1_000_000_000, alert_ratio: 0.8 } }, { redis_url: `redis://127.0.0.1:${p.port}`, dispatch: { enabled: false } });
  // Warm up: connection handshake and the first load of each Lua script (NOSCRIPT → EVAL) are one-offs.
  for (let i = 0; i < 2; i++) assert.equal((await send(h, { to: usNumber(i), ip: '198.51.100.1' })).statusCode, 201);
  const rounds: Array<{ writes: number; commands: number }> = [];
  for (let i = 0; i < 10; i++) {
    const w0 = p.writes;
    const c0 = p.commands;
    const res = await send(h, { to: usNumber(10 + i), ip: '198.51.100.1' });
    assert.equal(res.statusCode, 201, res.body);
    rounds.push({ writes: p.writes - w0, commands: p.commands - c0 });
  }
  console.log(`redis per send: ${JSON.stringify(rounds[0])} (writes = round trips; commands in them)`);
  for (const r of rounds) {
    assert.equal(r.writes, 1, `one round trip per send: ${JSON.stringify(rounds)}`);
    // 7 limits apply to a send (wrong_checks counts checks) + 2 caps + 1 pumping window.
    assert.equal(r.commands, 10, `every counter rode in it: ${JSON.stringify(rounds)}`);
  }
});
