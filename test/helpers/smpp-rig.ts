/**
 * A gateway (HTTP → outbox → dispatcher → SMPP provider) bound over real TCP to the SMSC
 * simulator, and the scoring of a run: every message must end with exactly the outcome the
 * simulator gave it (delivered only when every part was DELIVRD), none left open.
 */
import assert from 'node:assert/strict';
import { build, type Harness } from './gateway.ts';
import { startSmsc, type Smsc, type SmscOptions } from '../../tools/smsc/server.ts';

export interface SmppRig {
  h: Harness;
  smsc: Smsc;
}

export async function smppRig(
  t: Parameters<typeof build>[0],
  smscOpts: SmscOptions,
  provider: Record<string, unknown> = {},
  smsc?: Smsc,
): Promise<SmppRig> {
  const sim = smsc ?? (await startSmsc(smscOpts));
  if (!smsc) t.after(() => sim.close());
  const h = await build(
    t,
    {
      providers: [
        {
          name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: sim.port, system_id: 'otpgate', password: 'secret',
          source_addr: 'OTPGate', window: 10, reconnect_min_ms: 20, reconnect_max_ms: 200, response_timeout_ms: 3000, ...provider,
        },
      ],
      routes: [{ providers: [{ name: 'carrier' }] }],
      dispatch: { backoff_base_ms: 10, backoff_max_ms: 50, poll_ms: 20 },
      verify: { resend_cooldown_seconds: 0 },
      // Hundreds of sends a second to one prefix: a flood the abuse limits would rightly stop.
      abuse: { enabled: false },
    },
    { region: 'NP' },
  );
  return { h, smsc: sim };
}

/** National NP numbers; their last digit picks the simulator's outcome (0 UNDELIV, 9 REJECTD by default). */
export function numbers(n: number, from = 1): string[] {
  return Array.from({ length: n }, (_, i) => `98${String(from + i).padStart(8, '0')}`);
}

/** Sends one code to each number, `parallel` at a time; resolves with the message ids in order. */
export async function sendAll(h: Harness, tos: string[], parallel: number, body: Record<string, unknown> = {}): Promise<string[]> {
  const ids = new Array<string>(tos.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < tos.length; i = next++) {
        const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: tos[i], channel: 'sms', ...body } });
        assert.equal(res.statusCode, 201, res.body);
        ids[i] = res.json().message.id;
      }
    }),
  );
  return ids;
}

const FINAL = ['delivered', 'undelivered', 'failed', 'expired', 'canceled'];

/**
 * Waits until every message is final, or nothing changed for `quietMs` after the simulator has
 * no receipt left to send (then the rest are stuck for good). Moves the injected clock so
 * retries fall due.
 */
export async function settleAll(rig: SmppRig, ids: string[], quietMs = 3000, maxMs = 120_000): Promise<Map<string, { status: string; to: string }>> {
  const { h, smsc } = rig;
  const end = Date.now() + maxMs;
  let last = '';
  let quietSince = Date.now();
  for (;;) {
    await h.gw.writer.flush();
    const rows = await h.gw.store.db.selectFrom('messages').select(['id', 'status', 'to_number']).where('id', 'in', ids).execute();
    const open = rows.filter((r) => !FINAL.includes(r.status)).length;
    const st = smsc.stats();
    const sig = `${open}|${rows.map((r) => r.status[0]).join('')}|${st.receipts_sent}`;
    if (sig !== last) (last = sig), (quietSince = Date.now());
    const simIdle = st.receipts_pending === 0;
    if ((rows.length === ids.length && open === 0) || (simIdle && Date.now() - quietSince > quietMs) || Date.now() > end)
      return new Map(rows.map((r) => [r.id, { status: r.status, to: r.to_number }]));
    h.advance(100);
    h.gw.dispatcher.wake();
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Score {
  total: number;
  /** Final with another outcome than the simulator gave. */
  wrong: number;
  /** Not final. */
  stuck: number;
  examples: string[];
}

/**
 * Each message against the simulator's word for the last message it received for that number
 * (after `since`, the index into smsc.messages where this batch began).
 */
export function score(smsc: Smsc, ids: string[], status: Map<string, { status: string; to: string }>, since = 0): Score {
  const expected = new Map<string, string>();
  for (const m of smsc.messages.slice(since)) expected.set(m.to, m.stats.every((s) => s === 'DELIVRD') ? 'delivered' : 'undelivered');
  const s: Score = { total: ids.length, wrong: 0, stuck: 0, examples: [] };
  for (const id of ids) {
    const row = status.get(id);
    const want = row && expected.get(row.to.replace(/^\+/, ''));
    if (!row || !FINAL.includes(row.status)) s.stuck++;
    else if (row.status !== want) s.wrong++;
    else continue;
    if (s.examples.length < 5) s.examples.push(`${id} ${row?.to}: ${row?.status}, simulator said ${want}`);
  }
  return s;
}
