import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from '../../src/core/backoff.ts';

test('attempt 1 is around baseMs', () => {
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 1), 1000);
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0), 500);
  const d = backoffDelay(1);
  assert.ok(d >= 500 && d <= 1000, String(d));
});

test('grows exponentially until the cap', () => {
  const top = (n: number) => backoffDelay(n, DEFAULT_BACKOFF, () => 1);
  assert.deepEqual([1, 2, 3, 4, 5].map(top), [1000, 2000, 4000, 8000, 16000]);
  assert.equal(top(9), 256000);
  assert.equal(top(10), 300000);
  assert.equal(top(1000), 300000);
  assert.equal(top(Infinity), 1000, 'nonsense attempt treated as the first');
});

test('jitter share: 0 fixed, 1 full', () => {
  const fixed: BackoffPolicy = { ...DEFAULT_BACKOFF, jitter: 0 };
  assert.equal(backoffDelay(3, fixed, () => 0), 4000);
  assert.equal(backoffDelay(3, fixed, () => 0.9), 4000);
  const full: BackoffPolicy = { ...DEFAULT_BACKOFF, jitter: 1 };
  assert.equal(backoffDelay(3, full, () => 0), 0);
  assert.equal(backoffDelay(3, full, () => 0.25), 1000);
});

test('property: within [ceiling*(1-jitter), min(maxMs, ceiling)] and non-decreasing for the same random', () => {
  const policy = fc.record({
    baseMs: fc.integer({ min: 0, max: 10_000 }),
    maxMs: fc.integer({ min: 0, max: 1_000_000 }),
    factor: fc.double({ min: 1, max: 4, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  fc.assert(
    fc.property(policy, fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (p, attempt, r) => {
      const d = backoffDelay(attempt, p, () => r);
      const ceiling = Math.min(p.maxMs, p.baseMs * p.factor ** (attempt - 1));
      assert.ok(Number.isInteger(d));
      assert.ok(d <= p.maxMs, `${d} > maxMs ${p.maxMs}`);
      assert.ok(d >= Math.floor(ceiling * (1 - p.jitter)) && d <= Math.ceil(ceiling), `${d} outside for ${ceiling}`);
      assert.ok(backoffDelay(attempt + 1, p, () => r) >= d, 'shrank with attempt');
    }),
  );
});
