// The router: which route a number takes, in which order its providers are tried, how weights
// share the first choice (seeded random), and how open circuits are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteConfig } from '../../src/config.ts';
import { CircuitBreakers } from '../../src/dispatch/breaker.ts';
import { Router } from '../../src/dispatch/router.ts';
import { DevInboxProvider } from '../../src/providers/devinbox.ts';
import { createHttpProvider } from '../../src/providers/http.ts';
import type { Provider } from '../../src/providers/types.ts';

const sink = { record: async () => ({ id: 1, duplicate: false }) };
const inbox = (name: string): Provider => new DevInboxProvider(name, {}, sink);
const smsOnly = (name: string): Provider => createHttpProvider(name, { url: 'http://127.0.0.1:9/sms' });

/** mulberry32: a small seeded PRNG so weight counts are reproducible. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rig(routes: RouteConfig[], providers: Provider[], random: () => number = seeded(1)) {
  let now = 1_000_000;
  const breakers = new CircuitBreakers({ window: 4, minCalls: 2, threshold: 0.5, openMs: 10_000 }, () => now);
  const router = new Router(routes, new Map(providers.map((p) => [p.name, p])), breakers, random);
  const names = (to: string, channel: 'sms' | 'voice' = 'sms') => router.candidates(to, channel).map((p) => p.name);
  const trip = (name: string) => (breakers.record(name, false), breakers.record(name, false));
  return { router, breakers, names, trip, advance: (ms: number) => (now += ms) };
}

test('the longest matching prefix wins; no match at all is an empty list', () => {
  const { names } = rig(
    [
      { prefix: '977', providers: [{ name: 'np' }] },
      { prefix: '9779851', providers: [{ name: 'ntc' }] },
      { prefix: '1', providers: [{ name: 'us' }] },
    ],
    ['np', 'ntc', 'us'].map(inbox),
  );
  assert.deepEqual(names('+9779851023212'), ['ntc']);
  assert.deepEqual(names('+9779841023212'), ['np']);
  assert.deepEqual(names('+14155552671'), ['us']);
  assert.deepEqual(names('+447700900000'), [], 'no route for the UK');
});

test('at equal prefix a channel-specific route beats a channel-less one, but a longer prefix beats both', () => {
  const { names } = rig(
    [
      { prefix: '977', providers: [{ name: 'any' }] },
      { prefix: '977', channel: 'voice', providers: [{ name: 'caller' }] },
      { prefix: '97798', channel: 'sms', providers: [{ name: 'sms98' }] },
      { prefix: '', channel: 'sms', providers: [{ name: 'default' }] },
    ],
    ['any', 'caller', 'sms98', 'default'].map(inbox),
  );
  assert.deepEqual(names('+9779851023212', 'voice'), ['caller']);
  assert.deepEqual(names('+9779751023212', 'sms'), ['any'], '977 (any channel) is longer than "" (sms)');
  assert.deepEqual(names('+9779851023212', 'sms'), ['sms98']);
  assert.deepEqual(names('+9779851023212', 'voice'), ['caller'], '97798 is sms-only, so voice keeps the 977 voice route');
  assert.deepEqual(names('+14155552671', 'sms'), ['default']);
  assert.deepEqual(names('+14155552671', 'voice'), [], 'the only catch-all is sms');
});

test('unweighted providers are tried in the listed order; providers without the channel are left out', () => {
  const { names } = rig([{ providers: [{ name: 'primary' }, { name: 'sms-only' }, { name: 'backup' }] }], [inbox('primary'), smsOnly('sms-only'), inbox('backup')]);
  for (let i = 0; i < 20; i++) assert.deepEqual(names('+14155552671'), ['primary', 'sms-only', 'backup']);
  assert.deepEqual(names('+14155552671', 'voice'), ['primary', 'backup']);
});

test('weights share the first choice (3:1 over 4,000 picks, seeded) and the rest follow as backups in order', () => {
  const { names } = rig([{ providers: [{ name: 'a', weight: 3 }, { name: 'b', weight: 1 }, { name: 'c' }] }], ['a', 'b', 'c'].map(inbox), seeded(42));
  const first = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 4000; i++) {
    const order = names('+14155552671');
    first[order[0] as keyof typeof first]++;
    assert.equal(order.length, 3);
    assert.equal(order[2], 'c', 'the unweighted entry is always the last resort');
    assert.deepEqual([...order].sort(), ['a', 'b', 'c']);
  }
  assert.equal(first.c, 0);
  assert.ok(Math.abs(first.a - 3000) < 150, `a first ≈ 3000 of 4000: ${first.a}`);
  assert.ok(Math.abs(first.b - 1000) < 150, `b first ≈ 1000 of 4000: ${first.b}`);
});

test('an open circuit is skipped, even when it would win the weighted draw; when all are open all are tried', () => {
  const { names, trip, advance, breakers } = rig([{ providers: [{ name: 'a', weight: 9 }, { name: 'b', weight: 1 }] }], ['a', 'b'].map(inbox), seeded(7));
  trip('a');
  assert.equal(breakers.state('a'), 'open');
  for (let i = 0; i < 50; i++) assert.deepEqual(names('+14155552671'), ['b']);
  trip('b');
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const order = names('+14155552671');
    assert.deepEqual([...order].sort(), ['a', 'b'], 'every circuit open: try them all rather than stall');
    seen.add(order[0]);
  }
  assert.deepEqual([...seen].sort(), ['a', 'b'], 'and still by weight');
  advance(10_000);
  assert.equal(breakers.state('a'), 'half_open');
  assert.deepEqual([...names('+14155552671')].sort(), ['a', 'b'], 'half-open circuits take traffic again');
});
