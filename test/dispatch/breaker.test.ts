// Circuit breakers on an injected clock: open on the fault rate over a sliding window, stay open
// for the cool-down, then half-open, where the first outcome closes or re-opens the circuit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakerOptions, CircuitBreakers } from '../../src/dispatch/breaker.ts';
import { loadConfig } from '../../src/config.ts';

function rig() {
  const clock = { now: 5_000_000 };
  const b = new CircuitBreakers({ window: 10, minCalls: 4, threshold: 0.5, openMs: 30_000 }, () => clock.now);
  const run = (name: string, pattern: string) => {
    for (const c of pattern) b.record(name, c === '.');
  };
  return { b, clock, run };
}

test('stays closed below min_calls and below the threshold; opens when faults reach it', () => {
  const { b, run } = rig();
  run('fresh', 'xxx');
  assert.equal(b.state('fresh'), 'closed', '3 faults, but fewer than min_calls 4 calls');
  run('fresh', 'x');
  assert.equal(b.state('fresh'), 'open');
  run('p', '...xx.x');
  assert.equal(b.state('p'), 'closed', '3 faults of 7 = 43 %');
  run('p', 'x');
  assert.equal(b.state('p'), 'open', '4 of 8 = 50 %');
  assert.equal(b.allows('p'), false);
  assert.equal(b.allows('other'), true, 'circuits are per provider');
});

test('the window slides: only the last `window` calls count', () => {
  const { b, run } = rig();
  run('p', '....xxx' + '.'.repeat(10));
  run('p', 'xxxx');
  assert.equal(b.state('p'), 'closed', '4 of the last 10 (7 of 21 overall)');
  run('p', 'x');
  assert.equal(b.state('p'), 'open', '5 of the last 10, though only 8 of 22 overall');
  assert.deepEqual({ ...b.status('p'), open_until: undefined }, { state: 'open', calls: 0, faults: 0, opened: 1, open_until: undefined });
});

test('open for the cool-down, then half-open: a success closes, a fault re-opens for another cool-down', () => {
  const { b, clock, run } = rig();
  run('p', 'xxxx');
  assert.equal(b.status('p').open_until, clock.now + 30_000);
  clock.now += 29_999;
  assert.equal(b.state('p'), 'open');
  run('p', '.');
  assert.equal(b.state('p'), 'open', 'a late answer from before the opening changes nothing');
  clock.now += 1;
  assert.equal(b.state('p'), 'half_open');
  assert.equal(b.allows('p'), true);
  run('p', 'x');
  assert.equal(b.state('p'), 'open', 'the probe failed');
  assert.equal(b.status('p').opened, 2);
  clock.now += 30_000;
  run('p', '.');
  assert.equal(b.state('p'), 'closed', 'the probe succeeded');
  run('p', 'xxx');
  assert.equal(b.state('p'), 'closed', 'closed with an empty window: min_calls applies again');
});

test('options come from config.dispatch.breaker; a bad threshold is refused naming the key', () => {
  const c = loadConfig({ dispatch: { breaker: { window: 20, min_calls: 5, threshold: 0.25, open_seconds: 12 } } }, {});
  assert.deepEqual(breakerOptions(c.dispatch.breaker), { window: 20, minCalls: 5, threshold: 0.25, openMs: 12_000 });
  assert.throws(() => loadConfig({ dispatch: { breaker: { threshold: 1.5 } } }, {}), /dispatch\.breaker\.threshold/);
  assert.throws(() => loadConfig({ dispatch: { breaker: { window: 5, min_calls: 6 } } }, {}), /dispatch\.breaker\.min_calls/);
});
