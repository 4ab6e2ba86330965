/** The pure pumping rules: bucket arithmetic, window sums, and the verdicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketOf, judgePrefix, oldestBucket, sumWindow } from '../../src/core/pumping.ts';

const RULES = { floor: 30, threshold: 0.1, failureFloor: 20, failureThreshold: 0.6, velocityMax: 300 };
const c = (sent: number, approved = 0, delivered = 0, failed = 0) => ({ sent, approved, delivered, failed });

test('buckets: a window of W ms holds ceil(W / bucket) buckets ending with the current one', () => {
  assert.equal(bucketOf(119_999, 60_000), 1);
  assert.equal(oldestBucket(3_600_000, 3_600_000, 60_000), 60 - 60 + 1);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 10_000 }), (now, n, b) => {
      assert.equal(bucketOf(now, b) - oldestBucket(now, n * b, b) + 1, n);
    }),
  );
});

test('sumWindow: fields older than the window are left out; kinds are summed apart', () => {
  const fields: Array<[string, number]> = [['9:s', 100], ['10:s', 3], ['10:a', 1], ['11:s', 2], ['11:d', 4], ['11:f', 5]];
  assert.deepEqual(sumWindow(fields, 10), c(5, 1, 4, 5));
  assert.deepEqual(sumWindow(fields, 12), c(0));
});

test('judgePrefix: conversion only for accounts that report approvals, at or past the floor', () => {
  assert.equal(judgePrefix(c(29), RULES, true), undefined, 'under the floor');
  const v = judgePrefix(c(30), RULES, true)!;
  assert.equal(v.reason, 'low_conversion');
  assert.deepEqual([v.figures.sent, v.figures.approved, v.figures.conversion], [30, 0, 0]);
  assert.equal(judgePrefix(c(30, 3), RULES, true), undefined, '10% is not under 10%');
  assert.equal(judgePrefix(c(1000, 800), RULES, true), undefined);
  assert.equal(judgePrefix(c(299), RULES, false), undefined, 'not told ≠ pumped');
});

test('judgePrefix fallback: failure rate over enough receipts, then velocity', () => {
  assert.equal(judgePrefix(c(50, 0, 8, 11), RULES, false), undefined, '19 receipts: under the floor');
  assert.equal(judgePrefix(c(50, 0, 8, 12), RULES, false)!.reason, 'delivery_failures');
  assert.equal(judgePrefix(c(50, 0, 9, 11), RULES, false), undefined, '55% < 60%');
  assert.equal(judgePrefix(c(300, 0, 300, 0), RULES, false)!.reason, 'velocity');
  assert.equal(judgePrefix(c(300, 0, 300, 0), { ...RULES, velocityMax: 0 }, false), undefined, 'velocity 0 = off');
  fc.assert(
    fc.property(fc.nat(1000), fc.nat(1000), (sent, approved) => {
      const a = Math.min(sent, approved);
      const v = judgePrefix(c(sent, a), RULES, true);
      assert.equal(v !== undefined, sent >= RULES.floor && a / sent < RULES.threshold);
    }),
  );
});
