// Receipts in a cluster (issue 12): the SMSC delivers a receipt on any bind of its system_id, so
// an instance gets receipts for messages another instance submitted, whose submit_sm_resp it
// never reads. Those must reach the store (it matches through the database) and be answered at
// once, not held for the submit answer: held, they fill the SMSC's window of unanswered
// deliver_sm on that bind and receipts crawl. A lone instance still holds a receipt naming no
// answer yet, and answers it after that bounded wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startSmsc } from '../../tools/smsc/server.ts';
import { SmppProvider } from '../../src/providers/smpp/index.ts';
import type { ProviderContext, Receipt, SlotHooks } from '../../src/providers/types.ts';

const log = pino({ level: 'silent' });

/** Polls `check` until it returns true; fails with `what` and the last state after `ms`. */
async function until(what: string, check: () => boolean, state: () => unknown, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`${what}: ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A cluster context holding only bind slot `slot` of the deployment's binds (as store/leases.ts grants it). */
function clusterCtx(slot: number, receipts: Receipt[]): ProviderContext {
  return {
    onReceipt: (r) => void receipts.push(r),
    log,
    leaseSlots: (_key: string, _total: number, hooks: SlotHooks) => {
      hooks.onAcquire(slot);
      let held = [slot];
      return {
        get slots() {
          return held;
        },
        async stop() {
          for (const i of held) hooks.onLose(i);
          held = [];
        },
      };
    },
  };
}

const link = (port: number, extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1', port, system_id: 'otpgate', password: 'secret', source_addr: 'OTPGate', binds: 2, window: 10,
  // Long: the wait a held receipt would get is response_timeout_ms + 1 s, far beyond this test.
  response_timeout_ms: 60_000, reconnect_min_ms: 60_000, reconnect_max_ms: 60_000, ...extra,
});

test('cluster: receipts of messages another instance submitted, arriving after its bind was cut, are handed on and answered at once', async (t) => {
  const N = 20;
  // The receipts leave the SMSC after the cut below, so they all come to the surviving bind.
  const smsc = await startSmsc({ outcomes: { '0': 'DELIVRD' }, receipt_delay_ms: 1500, id_format: 'hex' });
  t.after(() => smsc.close());
  const onA: Receipt[] = [];
  const onB: Receipt[] = [];
  const b = new SmppProvider('sim', link(smsc.port));
  await b.start(clusterCtx(2, onB));
  t.after(() => b.stop());
  await until('B bound', () => smsc.stats().bound === 1, () => smsc.stats(), 10_000);
  const a = new SmppProvider('sim', link(smsc.port));
  await a.start(clusterCtx(1, onA));
  t.after(() => a.stop());
  await until('A bound too', () => smsc.stats().bound === 2 && a.canSend(), () => smsc.stats(), 10_000);

  // B submits (A never reads these answers), then B's bind is cut (the oldest connection).
  const keys = new Set<string>();
  for (let i = 0; i < N; i++) {
    const res = await b.send({ id: `m${i}`, to: `+1415300${String(i).padStart(4, '0')}`, channel: 'sms', text: `code ${i}` } as never);
    for (const k of res.parts ?? []) keys.add(k);
  }
  assert.equal(keys.size, N);
  assert.ok(smsc.dropOne(), 'B’s bind cut');

  await until(
    'every receipt answered by the surviving instance',
    () => smsc.stats().receipts_acked >= N && smsc.stats().receipts_pending === 0,
    () => ({ smsc: smsc.stats(), a_waiting: a.status().receipts_waiting_for_answer, a_got: onA.length, b_got: onB.length }),
    20_000,
  );
  assert.equal(a.status().receipts_waiting_for_answer, 0, 'nothing held waiting for an answer this instance never reads');
  const got = new Set([...onA, ...onB].map((r) => r.providerMessageId));
  assert.deepEqual([...keys].filter((k) => !got.has(k)), [], 'every receipt handed to the store');
  assert.ok(onA.length > 0, 'the surviving instance got receipts for B’s messages');
});

test('alone: a receipt naming no submit answer is held, then handed on and answered after its bounded wait', async (t) => {
  const smsc = await startSmsc({ outcomes: { '0': 'DELIVRD' }, receipt_delay_ms: 300, id_format: 'hex' });
  t.after(() => smsc.close());
  // The submitter: answers recorded only here, so its receipts are unknown to `alone` below.
  const onB: Receipt[] = [];
  const b = new SmppProvider('sim', link(smsc.port, { binds: 1 }));
  await b.start({ onReceipt: (r) => void onB.push(r), log });
  t.after(() => b.stop());
  await until('B bound', () => smsc.stats().bound === 1, () => smsc.stats(), 10_000);
  const res = await b.send({ id: 'm1', to: '+14153009999', channel: 'sms', text: 'code 1' } as never);
  assert.ok(smsc.dropOne(), 'B’s bind cut');
  const onAlone: Receipt[] = [];
  // A short hold (response_timeout_ms + 1 s) so its end comes within the test.
  const alone = new SmppProvider('sim', link(smsc.port, { binds: 1, response_timeout_ms: 200 }));
  await alone.start({ onReceipt: (r) => void onAlone.push(r), log });
  t.after(() => alone.stop());
  await until(
    'the held receipt answered after its wait',
    () => smsc.stats().receipts_acked >= 1 && smsc.stats().receipts_pending === 0,
    () => ({ smsc: smsc.stats(), waiting: alone.status().receipts_waiting_for_answer }),
    20_000,
  );
  assert.deepEqual(onAlone.map((r) => r.providerMessageId), res.parts, 'handed to the store (matched there, or parked)');
  assert.equal(alone.status().receipts_waiting_for_answer, 0);
});
