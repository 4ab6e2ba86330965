/**
 * SQL statements per accept and per check (issue 13: "8 statements on accept"): builds a gateway
 * in-process on the test dialect (OTPGATE_TEST_DB=postgres for PostgreSQL; test/helpers/db.ts),
 * dispatcher off and abuse on as in bench:accept, sends N codes to distinct numbers and checks a
 * wrong code N times, counting every statement the database client executed (BEGIN and COMMIT
 * included) and dividing by N. Batches of one request each (sequential), so a group commit's
 * BEGIN/COMMIT is counted whole for every request: the worst case, not the batched one.
 *
 *   node --import tsx bench/statements.ts        (OTPGATE_TEST_DB=postgres … for PostgreSQL)
 */
import { LIMIT_NAMES } from '../src/config.ts';
import { build } from '../test/helpers/gateway.ts';
import { countStatements } from '../test/helpers/statements.ts';

let count = 0;
const seen = new Map<string, number>();
const note = (sql: string) => {
  count++;
  const k = sql.replace(/\s+/g, ' ').slice(0, 90);
  seen.set(k, (seen.get(k) ?? 0) + 1);
};
countStatements(note);

const N = 50;
const after: Array<() => unknown> = [];
const h = await build(
  { after: (fn: () => unknown) => void after.push(fn) },
  {
    dispatch: { enabled: false },
    prices: [{ prefix: '', channel: 'sms', price: 1 }],
    verify: { max_attempts: 100 },
    abuse: { limits: Object.fromEntries(LIMIT_NAMES.map((name) => [name, { points: 1_000_000_000 }])), pumping: { velocity_max: 0 } },
  },
  { region: 'NP' },
);
const send = (i: number) =>
  h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: `+977984${String(i).padStart(7, '0')}`, channel: 'sms' } });
const first = await send(0);
if (first.statusCode !== 201) throw new Error(first.body);
const id = first.json().id as string;
await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id, code: 'zzzzzz' } });
await h.gw.writer.flush();

const measure = async (what: string, run: (i: number) => Promise<{ statusCode: number; body: string }>, ok: number) => {
  count = 0;
  seen.clear();
  for (let i = 1; i <= N; i++) {
    const r = await run(i);
    if (r.statusCode !== ok) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  }
  await h.gw.writer.flush();
  console.log(`${what}: ${(count / N).toFixed(2)} statements per request (${process.env.OTPGATE_TEST_DB ?? 'sqlite'})`);
  for (const [sql, n] of [...seen].sort((a, b) => b[1] - a[1])) console.log(`  ${(n / N).toFixed(2)}  ${sql}`);
};
await measure('accept', send, 201);
await measure('check (wrong code)', () => h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id, code: '000000' } }), 200);
for (const fn of after.reverse()) await fn();
