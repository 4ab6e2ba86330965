/**
 * kill -9 in the middle of 1,000 SMPP sends (issue 9, fault 4): the real gateway as a child
 * process, bound over real TCP to the SMSC simulator, killed while submits stream out, then
 * started again on the same data. A submit the SMSC answered is on record before its window
 * slot is freed, so after the restart only the submits that were in the window can go out
 * again: duplicates at the SMSC ≤ window × binds, whatever dispatch.concurrency is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFinalMessageStatus } from '../../src/core/status.ts';
import { startSmsc } from '../../tools/smsc/server.ts';
import { api, startServer, stop, tempDir, until } from './server-process.ts';

const WINDOW = 10;
const N = 1000;

test(`kill -9 mid-stream of ${N} SMPP sends: after a restart every message is final, duplicates at the SMSC ≤ the window`, async (t) => {
  // A slow SMSC answer, so the kill lands with the window full and the dispatcher far ahead.
  const smsc = await startSmsc({ response_delay_ms: 20 });
  t.after(() => smsc.close());
  const dir = tempDir(t);
  const config = join(dir, 'otpgate.json');
  writeFileSync(
    config,
    JSON.stringify({
      providers: [
        { name: 'smsc', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', window: WINDOW, reconnect_min_ms: 50, reconnect_max_ms: 500 },
      ],
      routes: [{ providers: [{ name: 'smsc' }] }],
      // The default concurrency (64): the old bound on duplicates, far above the window.
      dispatch: { poll_ms: 100 },
      verify: { resend_cooldown_seconds: 0 },
      // 1,000 sends in seconds to one number range: a flood the abuse limits would rightly stop.
      abuse: { enabled: false },
    }),
  );
  const env = { OTPGATE_CONFIG: config };
  const first = await startServer(dir, env);
  t.after(() => stop(first, 'SIGKILL'));
  const key = first.apiKey!;

  const numbers = Array.from({ length: N }, (_, i) => `+1415555${1000 + i}`);
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < N; i = next++) {
        const r = await api(first, key, 'POST', '/v1/verifications', { to: numbers[i], channel: 'sms' });
        assert.equal(r.status, 201, JSON.stringify(r.json));
        ids.push(r.json.message.id);
      }
    }),
  );
  const atAccept = smsc.stats().accepted;
  assert.ok(atAccept < N * 0.8, `the SMSC had taken ${atAccept} of ${N} before the kill; the test needs a stream in progress`);
  await until('the stream under way', async () => (smsc.stats().accepted >= atAccept + 50 ? true : undefined), 60_000);
  first.child.kill('SIGKILL');
  assert.deepEqual(await first.exited, { code: null, signal: 'SIGKILL' });
  const atKill = smsc.stats().accepted;
  t.diagnostic(`killed with ${atKill} of ${N} accepted by the SMSC`);
  assert.ok(atKill < N, 'the kill interrupted the stream');

  const second = await startServer(dir, env);
  t.after(() => stop(second, 'SIGKILL'));
  const tally = async () => {
    const by: Record<string, number> = {};
    let cursor: string | null = '';
    while (cursor !== null) {
      const { json } = await api(second, key, 'GET', `/v1/messages?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      for (const m of json.data as Array<{ id: string; status: string }>) if (ids.includes(m.id)) by[m.status] = (by[m.status] ?? 0) + 1;
      cursor = json.next_cursor;
    }
    return by;
  };
  const open = (by: Record<string, number>) => Object.entries(by).filter(([st]) => !isFinalMessageStatus(st)).reduce((n, [, c]) => n + c, 0);
  await until('every message final', async () => (open(await tally()) === 0 ? true : undefined), 180_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await tally())}; SMSC ${JSON.stringify(smsc.stats())}`);
  });
  const seen = new Map<string, number>();
  for (const m of smsc.messages) seen.set(m.to, (seen.get(m.to) ?? 0) + 1);
  const missing = numbers.filter((n) => !seen.has(n.slice(1)));
  assert.deepEqual(missing, [], 'every accepted message reached the SMSC');
  const duplicates = smsc.messages.length - seen.size;
  t.diagnostic(`duplicates at the SMSC after kill -9: ${duplicates} (window ${WINDOW}, 1 bind)`);
  assert.ok(duplicates <= WINDOW, `${duplicates} messages submitted twice > window ${WINDOW}`);
  assert.deepEqual(await stop(second), { code: 0, signal: null });
});
