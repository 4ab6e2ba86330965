// Failover end to end: POST /v1/verifications → outbox → dispatcher → a real generic `http`
// provider (a local node:http carrier) that fails → the dev inbox takes the message. The rule
// under test is in src/dispatch/failover.ts: transient errors and permanent refusals both move
// the message to the next provider (only `bad_response` stops it), refusals about one number do
// not trip the circuit, transient faults do, and an open circuit is skipped until it half-opens.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startFake, type FakeServer, type Reply } from '../fakes/server.ts';
import { build, type Harness } from '../helpers/gateway.ts';

/** A carrier whose answer the test sets: 503, 400, 2xx without an id, or 202 with an id. */
async function carrier(t: TestContext): Promise<{ fake: FakeServer; answer: Reply }> {
  const state = { answer: { status: 503, body: { error: { code: 'UPSTREAM_DOWN' } } } as Reply };
  const fake = await startFake(() => state.answer);
  t.after(() => fake.close());
  return {
    fake,
    get answer() {
      return state.answer;
    },
    set answer(r: Reply) {
      state.answer = r;
    },
  };
}

const httpProvider = (name: string, fake: FakeServer) => ({ name, kind: 'http', url: `${fake.url}/sms`, id_path: 'id', error_code_path: 'error.code', timeout_ms: 2000 });

/** Providers in route order: an http carrier per name in `http`, then the dev inbox unless left out. */
async function rig(t: TestContext, http: string[] = ['flaky'], withInbox = true) {
  const carriers = await Promise.all(http.map(() => carrier(t)));
  const names = [...http, ...(withInbox ? ['devinbox'] : [])];
  const h = await build(t, {
    providers: [...http.map((name, i) => httpProvider(name, carriers[i].fake)), { name: 'devinbox', kind: 'devinbox' }],
    routes: [{ providers: names.map((name) => ({ name })) }],
    dispatch: { backoff_base_ms: 1000, backoff_max_ms: 1000, breaker: { window: 4, min_calls: 3, threshold: 0.5, open_seconds: 30 } },
  });
  return { h, c: carriers[0], carriers };
}

/** settle() does not wait for sends in flight over HTTP; this does (real time, bounded). */
async function quiet(h: Harness): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await h.settle();
    const busy = await h.gw.store.db.selectFrom('messages').select('id').where('status', '=', 'sending').executeTakeFirst();
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('messages still sending after 5 s');
}

let n = 0;
async function send(h: Harness): Promise<string> {
  const to = `+1415555${String(2000 + n++).padStart(4, '0')}`;
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to, channel: 'sms' } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().message.id;
}

async function message(h: Harness, id: string) {
  const res = await h.app.inject({ method: 'GET', url: `/v1/messages/${id}`, headers: h.auth() });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

const sentEvent = (m: { events: Array<{ status: string; provider: string | null; detail: string | null }> }) => m.events.find((e) => e.status === 'sent');

test('a 503 from the first provider: the second delivers it in the same attempt, and the message says who and when', async (t) => {
  const { h, c } = await rig(t);
  const id = await send(h);
  await quiet(h);
  const m = await message(h, id);
  assert.equal(m.status, 'delivered');
  assert.equal(m.provider, 'devinbox');
  assert.equal(m.attempts, 1, 'failover happens inside the attempt, no backoff wait');
  assert.equal(m.error_code, null);
  const sent = sentEvent(m)!;
  assert.equal(sent.provider, 'devinbox');
  assert.equal(sent.detail, 'attempt 1, provider 2 after flaky: carrier_unavailable (UPSTREAM_DOWN)');
  assert.equal(c.fake.requests.length, 1, 'the first provider really was called');
  assert.equal(c.fake.last().json.id, id);
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data;
  assert.equal(inbox.length, 1);
});

test('a 4xx refusal also fails over (a carrier’s "no" is not a verdict on the number) without tripping the circuit', async (t) => {
  const { h, c } = await rig(t);
  c.answer = { status: 400, body: { error: { code: 'INVALID_DESTINATION' } } };
  for (let i = 0; i < 5; i++) {
    const m = await message(h, await send(h).then(async (id) => (await quiet(h), id)));
    assert.equal(m.status, 'delivered');
    assert.equal(sentEvent(m)!.detail, 'attempt 1, provider 2 after flaky: rejected (INVALID_DESTINATION)');
  }
  assert.equal(c.fake.requests.length, 5);
  assert.equal(h.gw.breakers.state('flaky'), 'closed', 'refusals about numbers are healthy answers');
});

test('every provider refuses: failed at once with the first refusal, not retried; a refusal plus a 503: retried later', async (t) => {
  const { h, carriers } = await rig(t, ['first', 'second'], false);
  const [first, second] = carriers;
  first.answer = { status: 400, body: { error: { code: 'BLOCKED_CONTENT' } } };
  second.answer = { status: 422, body: { error: { code: 'NO_ROUTE_TO_NETWORK' } } };
  const refused = await send(h);
  await quiet(h);
  let m = await message(h, refused);
  assert.equal(m.status, 'failed');
  assert.equal(m.provider, 'first');
  assert.equal(m.error_code, 'rejected:BLOCKED_CONTENT');
  assert.equal(m.events.at(-1).detail, 'rejected (BLOCKED_CONTENT) (first: rejected (BLOCKED_CONTENT); second: rejected (NO_ROUTE_TO_NETWORK))');
  h.advance(60_000);
  await quiet(h);
  assert.deepEqual([first.fake.requests.length, second.fake.requests.length], [1, 1], 'no retry after a permanent failure');

  second.answer = { status: 503, body: { error: { code: 'UPSTREAM_DOWN' } } };
  const mixed = await send(h);
  await quiet(h);
  m = await message(h, mixed);
  assert.equal(m.status, 'queued', 'the transient fault may clear: retried with backoff');
  assert.equal(m.error_code, 'carrier_unavailable');
  assert.match(m.events.at(-1).detail, /^retry in \d+ ms: carrier_unavailable \(first: rejected \(BLOCKED_CONTENT\); second: carrier_unavailable \(UPSTREAM_DOWN\)\)$/);
  second.answer = { status: 202, body: { id: 'sec-1' } };
  h.advance(1000);
  await quiet(h);
  m = await message(h, mixed);
  assert.equal(m.status, 'sent', 'the second provider accepted it on attempt 2 (no receipt from this carrier yet)');
  assert.equal(m.provider, 'second');
  assert.equal(m.attempts, 2);
  assert.equal(sentEvent(m)!.detail, 'attempt 2, provider 2 after first: rejected (BLOCKED_CONTENT)');
});

test('a 2xx the provider cannot read (bad_response) stops there: no second provider, it may have sent the code', async (t) => {
  const { h, c } = await rig(t);
  c.answer = { status: 200, body: { ok: true } };
  const m = await message(h, await send(h).then(async (id) => (await quiet(h), id)));
  assert.equal(m.status, 'failed');
  assert.equal(m.error_code, 'bad_response');
  assert.equal(m.provider, 'flaky');
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data;
  assert.equal(inbox.length, 0, 'the dev inbox was not asked');
});

test('transient faults open the circuit: the provider is skipped for the cool-down, then half-open probes it', async (t) => {
  const { h, c } = await rig(t);
  for (let i = 0; i < 3; i++) await send(h).then(() => quiet(h));
  assert.equal(c.fake.requests.length, 3);
  assert.equal(h.gw.breakers.state('flaky'), 'open', '3 faults of 3 calls');
  const skipped = await send(h);
  await quiet(h);
  assert.equal(c.fake.requests.length, 3, 'an open circuit is not called');
  let m = await message(h, skipped);
  assert.equal(m.status, 'delivered');
  assert.equal(sentEvent(m)!.detail, 'attempt 1', 'the dev inbox was first in line');

  h.advance(30_000);
  assert.equal(h.gw.breakers.state('flaky'), 'half_open');
  c.answer = { status: 202, body: { id: 'probe-1' } };
  const probe = await send(h);
  await quiet(h);
  assert.equal(c.fake.requests.length, 4, 'half-open: the next message probes the provider');
  m = await message(h, probe);
  assert.deepEqual([m.status, m.provider], ['sent', 'flaky']);
  assert.equal(h.gw.breakers.state('flaky'), 'closed', 'the probe succeeded');
});
