/**
 * /metrics scraped and read with a real Prometheus text parser: sends by family/channel/country,
 * receipts by status, checks valid/invalid, approvals, refusals by limit, both latency histograms,
 * outbox depth, webhook backlog, SMPP window and bind state of a real bind (tools/smsc over TCP).
 * And the guard: 401 without the token, 404 naming the keys when neither token is set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse, { type Family } from 'parse-prometheus-text-format';
import { startSmsc } from '../../tools/smsc/server.ts';
import { build, type Harness } from '../helpers/gateway.ts';

const ADMIN = 'admin-token-admin-token-0123456789';
const METRICS = 'metrics-token-metrics-token-012345';

async function scrape(h: Harness, token = METRICS): Promise<Family[] & { text: string }> {
  const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return Object.assign(parse(res.body), { text: res.body });
}

/**
 * A labelled histogram's _count/_sum, read from the exposition lines: the parser folds every
 * histogram into one label-less sample (it keys buckets by "le" only), so per-label counts are
 * read here, after the parser has accepted the whole scrape.
 */
function histogram(text: string, name: string, labels: Record<string, string>): { count: number; sum: number } {
  const out = { count: 0, sum: 0 };
  for (const line of text.split('\n')) {
    const m = /^(\w+)_(count|sum)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[3].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) out[m[2] as 'count' | 'sum'] += Number(m[4]);
  }
  return out;
}

function family(all: Family[], name: string): Family {
  const f = all.find((x) => x.name === name);
  assert.ok(f, `${name} is exposed (have: ${all.map((x) => x.name).join(', ')})`);
  return f;
}

/** The sum of the samples whose labels include `labels`; at least one must exist. */
function value(all: Family[], name: string, labels: Record<string, string> = {}): number {
  const hits = family(all, name).metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  assert.ok(hits.length > 0, `${name} has a sample with ${JSON.stringify(labels)}`);
  return hits.reduce((sum, m) => sum + Number(m.value ?? m.count ?? 0), 0);
}

test('/metrics: counters, histograms and gauges follow real sends over a real SMPP bind', async (t) => {
  const smsc = await startSmsc({ receipt_delay_ms: 20, outcomes: { '0': 'UNDELIV' } });
  t.after(() => smsc.close());
  const h = await build(t, {
    admin_token: ADMIN,
    metrics_token: METRICS,
    providers: [{ name: 'carrier', kind: 'smpp', host: '127.0.0.1', port: smsc.port, system_id: 'otpgate', password: 'secret', window: 5 }],
    routes: [{ providers: [{ name: 'carrier' }] }],
    // Started by hand below, once the clock has moved: accept and receipt 1.5 s apart.
    dispatch: { poll_ms: 20, enabled: false },
  });
  const send = (to: string) => h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to, channel: 'sms' } });
  const us = await send('+14155552671');
  const np = await send('+9779801234567');
  const undeliv = await send('+14155552670');
  for (const r of [us, np, undeliv]) assert.equal(r.statusCode, 201, r.body);
  const cooled = await send('+14155552671'); // a resend inside the cooldown: refused by that limit
  assert.equal(cooled.statusCode, 429, cooled.body);

  // The receipts come back over the bind, 1.5 s later on the gateway's clock; wait for three final statuses.
  h.advance(1500);
  await h.gw.dispatcher.start();
  for (let i = 0; ; i++) {
    await h.settle();
    const open = await h.gw.store.db.selectFrom('messages').select('id').where('status', 'not in', ['delivered', 'undelivered']).execute();
    if (open.length === 0) break;
    assert.ok(i < 400, 'receipts arrive');
    await new Promise((r) => setTimeout(r, 25));
  }
  const wrong = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: np.json().id, code: '00000000' } });
  assert.equal(wrong.json().valid, false);
  const code = await h.gw.store.db.selectFrom('verifications').select('code_sealed').where('id', '=', us.json().id).executeTakeFirstOrThrow();
  const right = await h.app.inject({ method: 'POST', url: '/v1/verifications/check', headers: h.auth(), payload: { id: us.json().id, code: h.gw.verify.revealCode(code) } });
  assert.equal(right.json().valid, true, right.body);
  // The receipt counter may read the message row after the event (off the write path): wait until
  // all three receipts are counted (a fixed 50 ms sleep lost that race on a loaded machine), then
  // each is checked exactly below.
  for (let i = 0; ; i++) {
    const receipts = (await scrape(h)).find((f) => f.name === 'otpgate_receipts_total')?.metrics ?? [];
    const counted = receipts.reduce((sum, s) => sum + Number(s.value ?? 0), 0);
    if (counted >= 3) break;
    assert.ok(i < 400, `three receipts counted (have ${counted})`);
    await new Promise((r) => setTimeout(r, 25));
  }

  const m = await scrape(h);
  assert.equal(value(m, 'otpgate_sends_total', { family: 'native', channel: 'sms', country: 'US' }), 2);
  assert.equal(value(m, 'otpgate_sends_total', { country: 'NP' }), 1);
  assert.equal(value(m, 'otpgate_receipts_total', { status: 'delivered', provider: 'carrier' }), 2);
  assert.equal(value(m, 'otpgate_receipts_total', { status: 'undelivered', country: 'US' }), 1);
  assert.equal(value(m, 'otpgate_checks_total', { result: 'invalid' }), 1);
  assert.equal(value(m, 'otpgate_checks_total', { result: 'valid' }), 1);
  assert.equal(value(m, 'otpgate_approvals_total', { family: 'native', channel: 'sms' }), 1);
  assert.equal(value(m, 'otpgate_refusals_total', { limit: 'resend_cooldown' }), 1);
  assert.equal(family(m, 'otpgate_accept_seconds').type, 'HISTOGRAM');
  assert.equal(histogram(m.text, 'otpgate_accept_seconds', { family: 'native', channel: 'sms' }).count, 3, 'three accepts timed (the refusal is not)');
  assert.equal(family(m, 'otpgate_accept_to_delivered_seconds').type, 'HISTOGRAM');
  const delivered = histogram(m.text, 'otpgate_accept_to_delivered_seconds', { channel: 'sms', provider: 'carrier' });
  assert.equal(delivered.count, 2);
  assert.equal(delivered.sum, 3, 'two deliveries 1.5 s after their accept');
  assert.equal(value(m, 'otpgate_outbox_depth'), 0);
  assert.equal(value(m, 'otpgate_webhook_backlog'), 0);
  assert.equal(value(m, 'otpgate_smpp_bind_up', { provider: 'carrier', state: 'bound' }), 1);
  assert.equal(value(m, 'otpgate_smpp_window_in_use', { provider: 'carrier', bind: '1' }), 0);
  assert.ok(value(m, 'otpgate_dispatch_total', { kind: 'sent' }) >= 3);

  // Low cardinality: no label value is a phone number or an id.
  for (const f of m)
    for (const s of f.metrics)
      for (const [k, v] of Object.entries(s.labels ?? {})) assert.ok(!/^\+?\d{5,}$|^[0-9a-f-]{20,}$/i.test(v), `${f.name}{${k}="${v}"} looks like a number or an id`);

  // The admin token opens it too; a wrong one does not.
  assert.ok((await scrape(h, ADMIN)).length > 0);
  const denied = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } });
  assert.equal(denied.statusCode, 401);
  assert.equal(denied.json().error.code, 'unauthorized');
  const bare = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(bare.statusCode, 401);
});

test('/metrics is off (404 naming the keys) when neither token is configured; a queued message shows in the outbox depth', async (t) => {
  const h = await build(t, { dispatch: { enabled: false } });
  const off = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS}` } });
  assert.equal(off.statusCode, 404);
  assert.equal(off.json().error.code, 'metrics_disabled');
  assert.match(off.json().error.message, /metrics_token/);

  const on = await build(t, { dispatch: { enabled: false }, metrics_token: METRICS });
  const sent = await on.app.inject({ method: 'POST', url: '/v1/verifications', headers: on.auth(), payload: { to: '+442071234567', channel: 'voice' } });
  assert.equal(sent.statusCode, 201, sent.body);
  await on.gw.writer.flush();
  const m = await scrape(on);
  assert.equal(value(m, 'otpgate_outbox_depth'), 1);
  assert.equal(value(m, 'otpgate_sends_total', { channel: 'voice', country: 'GB' }), 1);
});
